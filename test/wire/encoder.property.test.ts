import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImapArgumentError } from '../../src/model/errors.js';
import { astring, mailbox, secret, str } from '../../src/wire/args.js';
import type { CommandArg, EncodedCommand, LiteralMode } from '../../src/wire/command-arg.js';
import { encodeCommand } from '../../src/wire/encoder.js';
import { decodeMailboxUtf7 } from '../../src/wire/utf7.js';

/**
 * A test-only reader for what the encoder emits after `a1 X `: atoms, quoted
 * strings and literals separated by single spaces, then CRLF. It checks that
 * every CR or LF outside a literal is the final CRLF, that each synchronizing
 * literal is followed by a continue step, and returns the values as bytes.
 */
function readArgs(e: EncodedCommand): Buffer[] {
  // Flatten, remembering where the continue steps were.
  const chunks: Buffer[] = [];
  const continueAt = new Set<number>();
  let length = 0;
  for (const p of e.parts) {
    if (p.type === 'data') {
      chunks.push(p.data);
      length += p.data.length;
    } else if (p.type === 'continue') {
      continueAt.add(length);
    } else {
      throw new Error('unexpected stream');
    }
  }
  const b = Buffer.concat(chunks);
  const prefix = 'a1 X ';
  expect(b.subarray(0, prefix.length).toString('latin1')).toBe(prefix);
  let i = prefix.length;
  const values: Buffer[] = [];
  for (;;) {
    const c = b[i];
    if (c === 0x22) {
      const out: number[] = [];
      i++;
      for (;;) {
        const d = b[i]!;
        expect(d === 0x0d || d === 0x0a || d === undefined).toBe(false);
        if (d === 0x22) break;
        if (d === 0x5c) {
          i++;
          expect([0x22, 0x5c]).toContain(b[i]);
        }
        out.push(b[i]!);
        i++;
      }
      i++;
      values.push(Buffer.from(out));
    } else if (c === 0x7b) {
      const close = b.indexOf('}\r\n', i);
      const spec = b.subarray(i + 1, close).toString('latin1');
      const m = /^(\d+)(\+?)$/.exec(spec);
      expect(m).not.toBeNull();
      const n = Number(m![1]);
      i = close + 3;
      expect(continueAt.has(i)).toBe(m![2] !== '+');
      values.push(b.subarray(i, i + n));
      i += n;
    } else {
      const start = i;
      while (i < b.length && b[i] !== 0x20 && b[i] !== 0x0d) {
        expect(b[i]).not.toBe(0x0a);
        expect(b[i]).toBeLessThan(0x80);
        expect('(){%*"\\'.includes(String.fromCharCode(b[i]!))).toBe(false);
        i++;
      }
      expect(i).toBeGreaterThan(start);
      const a = b.subarray(start, i);
      expect(a.toString('latin1').toUpperCase()).not.toBe('NIL');
      values.push(a);
    }
    if (b[i] === 0x20) {
      i++;
      continue;
    }
    expect(b.subarray(i).toString('latin1')).toBe('\r\n');
    return values;
  }
}

const tricky = fc.constantFrom(
  'a',
  'N',
  'I',
  'L',
  'n',
  ' ',
  '"',
  '\\',
  '\r',
  '\n',
  '(',
  ']',
  '{',
  '}',
  '*',
  '%',
  '&',
  '-',
  '+',
  'é',
  '日',
  '😀',
  '\t',
);
const anyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: tricky, maxLength: 12 }),
  fc.constantFrom('', 'NIL', 'nil', 'INBOX', 'inbox', 'a\r\nA2 LOGOUT'),
);
const options = fc.record({
  literalMode: fc.constantFrom<LiteralMode>('sync', 'plus', 'minus', 'rev2'),
  utf8: fc.boolean(),
});

describe('encoder properties', () => {
  it('astrings and strings decode back to the same text, with no CR/LF outside a literal', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(anyString, fc.boolean()), { maxLength: 5 }),
        options,
        (vals, opts) => {
          const ok = vals.filter(([s]) => !s.includes('\0'));
          const args: CommandArg[] = ok.map(([s, isAstring]) => (isAstring ? astring(s) : str(s)));
          const e = encodeCommand('a1', 'X', args, opts);
          if (args.length === 0) {
            expect(e.parts).toEqual([{ type: 'data', data: Buffer.from('a1 X\r\n') }]);
            return;
          }
          const decoded = readArgs(e).map((v) => v.toString('utf8'));
          expect(decoded).toEqual(ok.map(([s]) => s));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('mailbox names survive the wire, as modified UTF-7 or as UTF-8', () => {
    fc.assert(
      fc.property(anyString, options, (name, opts) => {
        fc.pre(!name.includes('\0'));
        const e = encodeCommand('a1', 'X', [mailbox(name)], opts);
        const [v] = readArgs(e);
        const wire = v!.toString('utf8');
        const back = opts.utf8 ? wire : decodeMailboxUtf7(wire);
        if (name.toUpperCase() === 'INBOX' && /^[a-z]+$/i.test(name)) expect(back).toBe('INBOX');
        else expect(back).toBe(name);
        if (!opts.utf8) expect(e.parts).toHaveLength(1); // never a literal
      }),
      { numRuns: 2000 },
    );
  });

  it('a secret never appears in the redacted text', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4, unit: tricky }), options, (pw, opts) => {
        const e = encodeCommand('a1', 'X', [secret(`SECRET${pw}`)], opts);
        expect(e.redacted).toBe('a1 X [redacted]');
        expect(readArgs(e).map((v) => v.toString('utf8'))).toEqual([`SECRET${pw}`]);
      }),
    );
  });

  it('NUL is refused in strings, never sent', () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        expect(() => encodeCommand('a1', 'X', [{ type: 'string', value: `${a}\0${b}` }])).toThrow(
          ImapArgumentError,
        );
      }),
      { numRuns: 200 },
    );
  });
});
