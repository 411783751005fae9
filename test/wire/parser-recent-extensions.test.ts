/**
 * The wire grammar of three recent extensions Dovecot 2.3 lacks: the
 * untagged JMAPACCESS response (RFC 9698), the MESSAGELIMIT response code
 * (RFC 9738) and the METADATA responses that LIST-METADATA (RFC 9590)
 * interleaves with LIST responses.
 */
import { describe, expect, it } from 'vitest';
import { parse, parseAll } from './fixtures/parser-helpers.js';

const code = (c: string) => {
  const r = parse(`a1 OK [${c}] text\r\n`);
  if (r.kind !== 'tagged') throw new Error('not tagged');
  return r.code;
};

describe('JMAPACCESS response (RFC 9698)', () => {
  it('* JMAPACCESS with a quoted URL carries the URL', () => {
    expect(parse('* JMAPACCESS "https://example.com/.well-known/jmap"\r\n')).toEqual({
      kind: 'untagged',
      name: 'JMAPACCESS',
      url: 'https://example.com/.well-known/jmap',
    });
  });

  it('a URL with ] or spaces quoted, and an atom URL, are read as sent', () => {
    expect(parse('* JMAPACCESS "https://example.com/.s/[jmap]"\r\n')).toMatchObject({
      url: 'https://example.com/.s/[jmap]',
    });
    expect(parse('* JMAPACCESS https://example.com/jmap\r\n')).toMatchObject({
      name: 'JMAPACCESS',
      url: 'https://example.com/jmap',
    });
  });

  it('a JMAPACCESS response without its URL is a parse error, not an empty URL', () => {
    expect(() => parse('* JMAPACCESS\r\n')).toThrow(/expected|JMAPACCESS/i);
  });
});

describe('MESSAGELIMIT response code (RFC 9738)', () => {
  it('[MESSAGELIMIT n uid] on a partial OK names the limit and the lowest UID processed', () => {
    expect(code('MESSAGELIMIT 1000 23221')).toEqual({
      name: 'MESSAGELIMIT',
      limit: 1000,
      lowestUid: 23221,
    });
  });

  it('[MESSAGELIMIT n] on a refusal has no UID', () => {
    const r = parse('a2 NO [MESSAGELIMIT 1000] Too many messages to copy\r\n');
    expect(r).toEqual({
      kind: 'tagged',
      tag: 'a2',
      status: 'NO',
      code: { name: 'MESSAGELIMIT', limit: 1000, lowestUid: null },
      text: 'Too many messages to copy',
    });
  });

  it('a malformed MESSAGELIMIT code (no number, zero limit) is kept verbatim as OTHER', () => {
    expect(code('MESSAGELIMIT')).toEqual({ name: 'OTHER', atom: 'MESSAGELIMIT', text: null });
    expect(code('MESSAGELIMIT 0 5')).toEqual({
      name: 'OTHER',
      atom: 'MESSAGELIMIT',
      text: '0 5',
    });
    expect(code('MESSAGELIMIT 10 x')).toEqual({
      name: 'OTHER',
      atom: 'MESSAGELIMIT',
      text: '10 x',
    });
  });
});

describe('METADATA interleaved with LIST (RFC 9590)', () => {
  it('a LIST response followed by its METADATA response parse as two responses', () => {
    const [l, m] = parseAll(
      '* LIST (\\HasNoChildren) "." INBOX\r\n' +
        '* METADATA "INBOX" ("/shared/comment" "Hi" "/private/color" NIL)\r\n',
    );
    expect(l).toMatchObject({ name: 'LIST', mailbox: 'INBOX', delimiter: '.' });
    expect(m).toEqual({
      kind: 'untagged',
      name: 'METADATA',
      mailbox: 'INBOX',
      entries: new Map([
        ['/shared/comment', Buffer.from('Hi')],
        ['/private/color', null],
      ]),
    });
  });
});
