/**
 * Binary literals on a server announcing IMAP4rev2 without LITERAL+ or
 * LITERAL- (scripted; Dovecot 2.3 does not speak IMAP4rev2): RFC 9051's
 * `literal8 = "~{" number64 "}"` has no `+`, so `~{n}` waits for the
 * continuation, while a small `{n+}` (IMAP4rev2 includes LITERAL-) does not.
 */
import { expect, it, vi } from 'vitest';
import { append } from '../../src/commands/append.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';

vi.setConfig({ testTimeout: 10_000 });

const { serve, connect } = useScriptedServers();

it('IMAP4rev2 alone: APPEND sends a synchronizing ~{n}, a text literal stays {n+}', async () => {
  const got: string[] = [];
  const server = await serve(async (c) => {
    await c.write('* OK [CAPABILITY IMAP4rev2 BINARY] ready\r\n');
    got.push(await c.expect(/APPEND/));
    let tag = c.tag;
    await c.write('+ go on\r\n');
    got.push((await c.readBytes(4)).toString('latin1'));
    await c.expect(/^$/);
    await c.write(`${tag} OK appended\r\n`);
    got.push(await c.expect(/APPEND/));
    tag = c.tag;
    got.push((await c.readBytes(2)).toString('latin1'));
    await c.expect(/^$/);
    await c.write(`${tag} OK appended\r\n`);
  });
  const conn = await connect(server);
  expect(conn.literalMode).toBe('rev2');

  await append(conn, 'INBOX', Buffer.from([0x61, 0x00, 0x62, 0xff]), { binary: true });
  await append(conn, 'INBOX', 'hi');

  expect(got.map((l) => l.replace(/^\S+ /, ''))).toEqual([
    'APPEND INBOX ~{4}',
    'a\x00b\xff',
    'APPEND INBOX {2+}',
    'hi',
  ]);
});
