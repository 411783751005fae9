/**
 * imaplib's response bookkeeping on bytes: the byte-level fast paths give
 * what CPython's regexes give, and streamed literals take their place.
 */
import { describe, expect, it } from 'vitest';
import {
  emptyResponses,
  recordTagged,
  recordUntagged,
  type UntaggedResponses,
} from '../../src/imaplib/response-log.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** CPython's `Untagged_response` / `Untagged_status` on the first line, as regexes on text. */
function reference(line: string): [string, string] | null {
  let m = /^\* ([A-Z-]+)(?: (.*))?$/s.exec(line);
  if (m) return [m[1]!, m[2] ?? ''];
  m = /^\* (\d+) ([A-Z-]+)(?: (.*))?$/s.exec(line);
  if (!m) return null;
  return [m[2]!, m[3] ? `${m[1]!} ${m[3]}` : m[1]!];
}

function record(line: string): [string | null, UntaggedResponses] {
  const ur = emptyResponses();
  return [recordUntagged(ur, { pieces: [b(line)] }), ur];
}

describe('imaplib response log', () => {
  it('untagged lines split into name and data as CPython regexes do', () => {
    const lines = [
      '* 20 EXISTS',
      '* 0 RECENT',
      '* 5 EXISTS ',
      '* 5 FETCH (UID 3 FLAGS (\\Seen))',
      '* 5 FETCH ',
      '* 5 ',
      '* 5',
      '* OK',
      '* OK ',
      '* OK [UIDVALIDITY 5] UIDs valid',
      '* OK[x]',
      '* X-FOO bar',
      '* SEARCH',
      '* SEARCH 1 2 3',
      '* ok lower',
      '* 5 fetch (UID 1)',
      '*  OK',
      '+ idling',
      '* 12 EXPUNGE\u00e9',
      '* CAPABILITY IMAP4rev1 caf\u00e9',
    ];
    for (const line of lines) {
      const want = reference(line);
      const [typ, ur] = record(line);
      expect(typ, line).toBe(want ? want[0] : null);
      if (want) expect(ur[want[0]]![0], line).toEqual(b(want[1]));
    }
  });

  it('a literal becomes a (line, literal) pair and the text after it continues the data', () => {
    const ur = emptyResponses();
    const typ = recordUntagged(ur, {
      pieces: [b('* 1 FETCH (BODY[] {5}'), b('hello'), b(' UID 7)')],
    });
    expect(typ).toBe('FETCH');
    expect(ur['FETCH']).toEqual([[b('1 (BODY[] {5}'), b('hello')], b(' UID 7)')]);
  });

  it('a literal the engine streamed out of the raw framing is taken from the source', () => {
    const ur = emptyResponses();
    const sizes: number[] = [];
    recordUntagged(
      ur,
      { pieces: [b('* 1 FETCH (BODY[] {5}'), Buffer.alloc(0), b(' BODY[1] {0}'), b(''), b(')')] },
      (size) => {
        sizes.push(size);
        return b('hello');
      },
    );
    expect(sizes).toEqual([5]);
    expect(ur['FETCH']).toEqual([
      [b('1 (BODY[] {5}'), b('hello')],
      [b(' BODY[1] {0}'), b('')],
      b(')'),
    ]);
  });

  it('keeps no view into the socket read: a small piece of data never holds the whole read alive', () => {
    // The pieces as the parser hands them out: views into one 64 KiB read.
    const read = Buffer.alloc(64 * 1024, 0x20);
    const text = '* 1 FETCH (BODY[] {5}hello UID 7)* OK [ALERT] look';
    read.write(text, 'latin1');
    const piece = (from: number, to: number): Buffer => read.subarray(from, to);
    const ur = emptyResponses();
    recordUntagged(ur, { pieces: [piece(0, 21), piece(21, 26), piece(26, 33)] });
    recordUntagged(ur, { pieces: [piece(33, 50)] });
    const kept: Buffer[] = [];
    const walk = (v: unknown): void => {
      if (Buffer.isBuffer(v)) kept.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
    };
    walk(Object.values(ur));
    expect(kept.length).toBeGreaterThanOrEqual(5);
    for (const buf of kept) expect(buf.buffer).not.toBe(read.buffer);
    expect(ur['FETCH']).toEqual([[b('1 (BODY[] {5}'), b('hello')], b(' UID 7)')]);
    expect(ur['OK']).toEqual([b('[ALERT] look')]);
    // Changing the read afterwards (a reused buffer) changes nothing kept.
    read.fill(0x58);
    expect(ur['FETCH']).toEqual([[b('1 (BODY[] {5}'), b('hello')], b(' UID 7)')]);
  });

  it('a tagged line splits into status and text, recording its response code', () => {
    const ur = emptyResponses();
    const fallback = { status: 'OK', text: 'x' };
    expect(
      recordTagged(ur, { pieces: [b('ABCD12 OK [READ-WRITE] Select completed.')] }, fallback),
    ).toEqual(['OK', [b('[READ-WRITE] Select completed.')]]);
    expect(ur['READ-WRITE']).toEqual([b('')]);
    expect(recordTagged(ur, { pieces: [b('ABCD13 NO')] }, { status: 'NO', text: 'gone' })).toEqual([
      'NO',
      [b('gone')],
    ]);
    expect(recordTagged(ur, { pieces: [b('ABCD14 BAD ')] }, fallback)).toEqual(['BAD', [b('')]]);
  });
});
