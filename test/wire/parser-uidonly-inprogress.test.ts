import { describe, expect, it } from 'vitest';
import { ImapParseError } from '../../src/model/errors.js';
import { literalStartInfo } from '../../src/wire/parser.js';
import { attributesBeforeLiteral } from '../../src/wire/literal-context.js';
import { bytes, parse, parseAll } from './fixtures/parser-helpers.js';

const code = (c: string) => {
  const r = parse(`* OK [${c}] text\r\n`);
  if (r.kind !== 'untagged' || r.name !== 'OK') throw new Error('not OK');
  return r.code;
};

describe('INPROGRESS response code (RFC 9585 4, 5)', () => {
  it('names the tag of the command and its count and total', () => {
    expect(code('INPROGRESS ("A5" 10 100)')).toEqual({
      name: 'INPROGRESS',
      tag: 'A5',
      count: 10,
      total: 100,
    });
  });

  it('NIL stands for an unknown tag, count or total', () => {
    expect(code('INPROGRESS ("A5" NIL NIL)')).toEqual({
      name: 'INPROGRESS',
      tag: 'A5',
      count: null,
      total: null,
    });
    expect(code('INPROGRESS (NIL 3 NIL)')).toEqual({
      name: 'INPROGRESS',
      tag: null,
      count: 3,
      total: null,
    });
    expect(code('inprogress (nil nil 7)')).toEqual({
      name: 'INPROGRESS',
      tag: null,
      count: null,
      total: 7,
    });
  });

  it('a bare INPROGRESS says only that a command still runs', () => {
    expect(code('INPROGRESS')).toEqual({ name: 'INPROGRESS', tag: null, count: null, total: null });
  });

  it('keeps the text after the code', () => {
    const r = parse('* OK [INPROGRESS ("A5" 0 500)] Still on it\r\n');
    expect(r).toMatchObject({ name: 'OK', text: 'Still on it' });
  });

  it('a malformed INPROGRESS is kept verbatim as OTHER instead of failing the response', () => {
    expect(code('INPROGRESS (A5 1 2)')).toEqual({
      name: 'OTHER',
      atom: 'INPROGRESS',
      text: '(A5 1 2)',
    });
    expect(code('INPROGRESS ("A5" x 2)')).toEqual({
      name: 'OTHER',
      atom: 'INPROGRESS',
      text: '("A5" x 2)',
    });
    expect(code('INPROGRESS ("A5" 1 2')).toEqual({
      name: 'OTHER',
      atom: 'INPROGRESS',
      text: '("A5" 1 2',
    });
  });
});

describe('UIDREQUIRED response code (RFC 9586)', () => {
  it('carries no data', () => {
    expect(code('UIDREQUIRED')).toEqual({ name: 'UIDREQUIRED' });
    const r = parse('A3 BAD [UIDREQUIRED] Message sequence numbers are not allowed\r\n');
    expect(r).toMatchObject({
      kind: 'tagged',
      tag: 'A3',
      status: 'BAD',
      code: { name: 'UIDREQUIRED' },
      text: 'Message sequence numbers are not allowed',
    });
  });
});

describe('UIDFETCH response (RFC 9586)', () => {
  it('is FETCH data named by UID, the UID also among the attributes', () => {
    const r = parse('* 4711 UIDFETCH (FLAGS (\\Seen) MODSEQ (12))\r\n');
    expect(r).toEqual({
      kind: 'untagged',
      name: 'UIDFETCH',
      uid: 4711,
      attributes: { flags: ['\\Seen'], modseq: 12n, uid: 4711 },
    });
  });

  it('a UID item agreeing with the number is accepted', () => {
    const r = parse('* 9 UIDFETCH (UID 9 RFC822.SIZE 120)\r\n');
    expect(r).toMatchObject({ name: 'UIDFETCH', uid: 9, attributes: { uid: 9, rfc822Size: 120 } });
  });

  it('carries literals like FETCH', () => {
    const r = parse('* 12 UIDFETCH (BODY[HEADER] {10}\r\nSubject:\r\n)\r\n');
    if (r.kind !== 'untagged' || r.name !== 'UIDFETCH') throw new Error('not UIDFETCH');
    expect(r.attributes.sections?.get('BODY[HEADER]')?.data?.toString()).toBe('Subject:\r\n');
  });

  it('a UID item naming another message is a parse error', () => {
    expect(() => parse('* 9 UIDFETCH (UID 10 FLAGS ())\r\n')).toThrow(ImapParseError);
    expect(() => parse('* 9 UIDFETCH (UID 10 FLAGS ())\r\n')).toThrow(/UIDFETCH of UID 9/);
  });

  it('UID 0 is a parse error', () => {
    expect(() => parse('* 0 UIDFETCH (FLAGS ())\r\n')).toThrow(/non-zero UID before UIDFETCH/);
  });

  it('responses around it parse as before', () => {
    const rs = parseAll('* 3 UIDFETCH (FLAGS ())\r\n* VANISHED 4:5\r\n* 2 EXISTS\r\n');
    expect(rs.map((r) => (r.kind === 'untagged' ? r.name : r.kind))).toEqual([
      'UIDFETCH',
      'VANISHED',
      'EXISTS',
    ]);
  });

  it('a streamed literal of UIDFETCH knows its item and the items before it', () => {
    const prefix = bytes(
      '* 77 UIDFETCH (BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7bit" 5 1) BODY[1] {5}',
    );
    const info = literalStartInfo(prefix, 5);
    expect(info).toMatchObject({ name: 'UIDFETCH', seq: null, item: 'BODY[1]' });
    const before = attributesBeforeLiteral(info);
    expect(before?.uid).toBe(77);
    expect(before?.bodyStructure).toMatchObject({ type: 'text', subtype: 'plain' });
  });
});
