/**
 * Mailbox names a server sends that are not valid modified UTF-7 (RFC 3501
 * 5.1.3): kept as sent when decoded, and sent back as they are, so the name
 * LIST returned opens that very mailbox (encoding it would name another).
 */
import { describe, expect, it } from 'vitest';
import { list } from '../../src/commands/list.js';
import { select } from '../../src/commands/select.js';
import { status } from '../../src/commands/status.js';
import { ImapConnection } from '../../src/connection/connection.js';
import { encodeCommand } from '../../src/wire/encoder.js';
import { mailbox } from '../../src/wire/args.js';
import { startScriptedServer } from '../helpers/scripted-server.js';

const SELECTED = '* 0 EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n$tag OK [READ-WRITE] done\r\n';

describe('mailbox names that are not modified UTF-7', () => {
  it('a name LIST returned as sent is sent back as it is; valid names are still encoded', async () => {
    const server = await startScriptedServer([
      { send: '* OK [CAPABILITY IMAP4rev1] ready\r\n' },
      { expect: /^A\d+ LIST / },
      {
        send:
          '* LIST () "/" "Foo&Bar"\r\n* LIST () "/" "&AGE-"\r\n' +
          '* LIST () "/" "Entw&APw-rfe"\r\n$tag OK done\r\n',
      },
      { expect: /^A\d+ SELECT / },
      { send: SELECTED },
      { expect: /^A\d+ SELECT / },
      { send: SELECTED },
      { expect: /^A\d+ STATUS / },
      { send: '* STATUS "Entw&APw-rfe" (MESSAGES 3)\r\n$tag OK done\r\n' },
      { expect: /^A\d+ SELECT / },
      { send: SELECTED },
      { stall: true },
    ]);
    const conn = await ImapConnection.connect({
      host: server.host,
      port: server.port,
      security: 'none',
      tagPrefix: 'A',
      timeouts: { connect: 2000, greeting: 2000, command: 2000 },
    });
    const names = (await list(conn, '', '*')).map((e) => e.name);
    expect(names).toEqual(['Foo&Bar', '&AGE-', 'Entwürfe']);
    await select(conn, 'Foo&Bar');
    await select(conn, '&AGE-');
    expect((await status(conn, 'Entwürfe', ['MESSAGES'])).messages).toBe(3);
    await select(conn, 'Entwürfe');
    const sent = server.receivedText();
    expect(sent).toMatch(/SELECT Foo&Bar\r\n/);
    expect(sent).toMatch(/SELECT &AGE-\r\n/);
    expect(sent).toMatch(/STATUS Entw&APw-rfe \(MESSAGES\)\r\n/);
    expect(sent).toMatch(/SELECT Entw&APw-rfe\r\n/);
    conn.close();
    await server.close();
  });

  it('a valid name in a form the encoder would not write (null shift, `&ACY-`) is kept as sent', async () => {
    // RFC 3501 5.1.3 does not permit the null shift `-&`; `&ACY-` is `&` in base64.
    // Decoded, both would be encoded back differently (`&AOkA6Q-`, `&-`): another mailbox.
    const server = await startScriptedServer([
      { send: '* OK [CAPABILITY IMAP4rev1] ready\r\n' },
      { expect: /^A\d+ LIST / },
      {
        send:
          '* LIST () "/" "&AOk-&AOk-"\r\n* LIST () "/" "&ACY-"\r\n' +
          '* LIST () "/" "a&-b/&AOkA6Q-"\r\n$tag OK done\r\n',
      },
      { expect: /^A\d+ SELECT / },
      { send: SELECTED },
      { expect: /^A\d+ SELECT / },
      { send: SELECTED },
      { expect: /^A\d+ SELECT / },
      { send: SELECTED },
      { stall: true },
    ]);
    const conn = await ImapConnection.connect({
      host: server.host,
      port: server.port,
      security: 'none',
      tagPrefix: 'A',
      timeouts: { connect: 2000, greeting: 2000, command: 2000 },
    });
    const entries = await list(conn, '', '*');
    expect(entries.map((e) => e.name)).toEqual(['&AOk-&AOk-', '&ACY-', 'a&b/éé']);
    for (const e of entries) await select(conn, e.name);
    const sent = server.receivedText();
    expect(sent).toMatch(/SELECT &AOk-&AOk-\r\n/);
    expect(sent).toMatch(/SELECT &ACY-\r\n/);
    expect(sent).toMatch(/SELECT a&-b\/&AOkA6Q-\r\n/);
    conn.close();
    await server.close();
  });

  it('the encoder sends a noted name (raw 8-bit too) unchanged, any other name encoded', () => {
    const raw = new Set(['Café', 'Foo&Bar']);
    const text = (name: string, rawMailboxNames?: ReadonlySet<string>): string =>
      Buffer.concat(
        encodeCommand('A1', 'SELECT', [mailbox(name)], { rawMailboxNames }).parts.flatMap((p) =>
          p.type === 'data' ? [p.data] : [],
        ),
      ).toString('utf8');
    expect(text('Foo&Bar', raw)).toBe('A1 SELECT Foo&Bar\r\n');
    expect(text('Foo&Bar')).toBe('A1 SELECT Foo&-Bar\r\n');
    expect(text('Café', raw)).toBe('A1 SELECT {5}\r\nCafé\r\n');
    expect(text('Café')).toBe('A1 SELECT Caf&AOk-\r\n');
    expect(text('Caffè', raw)).toBe('A1 SELECT Caff&AOg-\r\n');
  });
});
