/**
 * Legacy 8-bit headers (raw Latin-1 bytes, no RFC 2047) through the real
 * Dovecot: it sends them as they are stored, in ENVELOPE and BODYSTRUCTURE
 * strings (a literal or a quoted string). They are not UTF-8, and read as
 * UTF-8 their bytes became U+FFFD, in `rawSubject` too: now read as Latin-1,
 * one code point per byte, nothing lost. UTF-8 headers stay UTF-8.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchOne } from '../../src/commands/fetch.js';
import type { ImapConnection } from '../../src/connection/connection.js';
import type { MultiPart, SinglePart } from '../../src/model/body-structure.js';
import { literal, mailbox } from '../../src/wire/args.js';
import { connectAlice, uniqueMailbox } from '../helpers/dovecot.js';

let conn: ImapConnection;
const box = uniqueMailbox('t-8bit');

const latin1 = Buffer.concat([
  Buffer.from('From: "Fran'),
  Buffer.from([0xe7]),
  Buffer.from('ois" <f@example.com>\r\nTo: Z'),
  Buffer.from([0xfc]),
  Buffer.from('rich <z@example.com>\r\nSubject: caf'),
  Buffer.from([0xe9]),
  Buffer.from(' cr'),
  Buffer.from([0xe8]),
  Buffer.from('me\r\nMessage-ID: <8bit@example.com>\r\nMIME-Version: 1.0\r\n'),
  Buffer.from('Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'),
  Buffer.from('Content-Type: text/plain\r\n\r\nhi\r\n--B\r\n'),
  Buffer.from('Content-Type: application/octet-stream; name="r'),
  Buffer.from([0xe9]),
  Buffer.from('sum'),
  Buffer.from([0xe9]),
  Buffer.from('.pdf"\r\nContent-Description: pi'),
  Buffer.from([0xe8]),
  Buffer.from('ce jointe\r\n\r\nx\r\n--B--\r\n'),
]);
const utf8 = Buffer.from(
  'From: "Jörg" <j@example.com>\r\nTo: x@example.com\r\nSubject: Ünïcödé 😀\r\n\r\nbody\r\n',
);

beforeAll(async () => {
  conn = await connectAlice();
  await conn.exec('CREATE', [mailbox(box)]);
  await conn.exec('APPEND', [mailbox(box), literal(latin1)]);
  await conn.exec('APPEND', [mailbox(box), literal(utf8)]);
  await conn.exec('EXAMINE', [mailbox(box)]);
});

afterAll(async () => {
  if (conn === undefined) return;
  if (conn.state === 'selected') await conn.run('UNSELECT');
  await conn.run('DELETE', [mailbox(box)]);
  await conn.logout();
});

describe('8-bit headers in ENVELOPE and BODYSTRUCTURE', () => {
  it('Latin-1 bytes are kept as Latin-1 code points, not U+FFFD', async () => {
    const m = await fetchOne(conn, 1, { envelope: true, bodyStructure: true });
    const e = m!.envelope!;
    expect(e.rawSubject).toBe('caf\u00e9 cr\u00e8me');
    expect(e.subject).toBe('caf\u00e9 cr\u00e8me');
    expect(
      Buffer.from(e.rawSubject!, 'latin1').equals(Buffer.from('caf\xe9 cr\xe8me', 'latin1')),
    ).toBe(true);
    expect(e.from[0]).toMatchObject({ name: 'Fran\u00e7ois', address: 'f@example.com' });
    expect(e.to[0]).toMatchObject({ name: 'Z\u00fcrich', address: 'z@example.com' });
    const part = (m!.bodyStructure as MultiPart).childNodes[1] as SinglePart;
    expect(part.params.get('name')).toBe('r\u00e9sum\u00e9.pdf');
    expect(part.description).toBe('pi\u00e8ce jointe');
  });

  it('UTF-8 headers stay UTF-8', async () => {
    const m = await fetchOne(conn, 2, { envelope: true });
    expect(m!.envelope!.subject).toBe('Ünïcödé 😀');
    expect(m!.envelope!.from[0]).toMatchObject({ name: 'Jörg' });
  });
});
