import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImapError } from '../../src/model/errors.js';
import type { Response } from '../../src/model/response.js';
import { ResponseParser } from '../../src/wire/parser.js';
import { buildParserCorpus } from '../../bench/parser-corpus.js';
import { parseSplit } from './fixtures/parser-helpers.js';
import { mutate, seeded } from './fixtures/mutate.js';
import { realResponseBytes } from './fixtures/responses.js';

const FC = { seed: 42, numRuns: 200 };

const corpus = Buffer.concat([...realResponseBytes, buildParserCorpus(40, 7)]);
const wholeResult = (() => {
  const p = new ResponseParser();
  const out = p.push(corpus);
  p.end();
  return out;
})();

/** Runs the parser over chunks; returns the responses or the ImapError; rethrows anything else. */
function run(chunks: Buffer[]): Response[] | ImapError {
  const p = new ResponseParser({ maxDepth: 32, maxLineLength: 4096, maxLiteralSize: 4096 });
  const out: Response[] = [];
  try {
    for (const c of chunks) out.push(...p.push(c));
    p.end();
    return out;
  } catch (err) {
    if (err instanceof ImapError) return err;
    throw err;
  }
}

function chunk(input: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    out.push(input.subarray(prev, c));
    prev = c;
  }
  out.push(input.subarray(prev));
  return out;
}

describe('parser properties', () => {
  it('the real-response corpus parses to one response each', () => {
    expect(wholeResult).toHaveLength(realResponseBytes.length + 40);
  });

  it('random chunk splits of real responses give the same result as one buffer', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: corpus.length }), { maxLength: 40 }),
        (cuts) => {
          expect(parseSplit(corpus, cuts)).toEqual(wholeResult);
        },
      ),
      FC,
    );
  });

  it('splitting never changes the result, for mutated input too', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: realResponseBytes.length - 1 }),
        fc.integer(),
        fc.array(fc.nat(), { maxLength: 6 }),
        (i, seed, rawCuts) => {
          const input = mutate(realResponseBytes[i]!, seeded(seed));
          const cuts = rawCuts.map((c) => (input.length === 0 ? 0 : c % input.length));
          const a = run([input]);
          const b = run(chunk(input, cuts));
          if (a instanceof ImapError || b instanceof ImapError) {
            expect(b instanceof ImapError).toBe(a instanceof ImapError);
            if (a instanceof ImapError && b instanceof ImapError) expect(b.code).toBe(a.code);
          } else {
            expect(b).toEqual(a);
          }
        },
      ),
      FC,
    );
  });

  it('random bytes never throw anything but ImapError subclasses', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (arr, rawCuts) => {
          const input = Buffer.from(arr);
          const t = Date.now();
          run(
            chunk(
              input,
              rawCuts.map((c) => (input.length ? c % input.length : 0)),
            ),
          );
          expect(Date.now() - t).toBeLessThan(1000);
        },
      ),
      { seed: 42, numRuns: 500 },
    );
  });

  it('grammar-shaped random input never throws anything but ImapError subclasses', () => {
    const alphabet = fc.constantFrom(
      ...'(){}[]<>"\\ \r\n*+~0123456789NILFETCHBODYUID.'.split(''),
      '{3}\r\n',
      '* 1 FETCH (',
      'BODYSTRUCTURE (',
      'a1 OK [',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 120 }), (parts) => {
        run([Buffer.from(parts.join(''), 'latin1')]);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('mutated real responses never throw anything but ImapError subclasses', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: realResponseBytes.length - 1 }),
        fc.integer(),
        (i, seed) => {
          run([mutate(realResponseBytes[i]!, seeded(seed))]);
        },
      ),
      { seed: 42, numRuns: 1000 },
    );
  });

  it('keepRaw pieces rebuild the response bytes', () => {
    for (const input of realResponseBytes) {
      const p = new ResponseParser({ keepRaw: true });
      const [r] = p.push(input);
      const pieces = r!.raw!.pieces;
      const rebuilt: Buffer[] = [];
      pieces.forEach((piece, k) => {
        rebuilt.push(piece);
        if (k % 2 === 0 && k < pieces.length - 1) rebuilt.push(Buffer.from('\r\n'));
      });
      rebuilt.push(Buffer.from('\r\n'));
      expect(Buffer.concat(rebuilt)).toEqual(input);
    }
  });
});
