/**
 * MOVE emulated on a scripted server without MOVE and UIDPLUS (which a real
 * Dovecot never is), by sequence number: the server may send EXPUNGE during
 * COPY (RFC 9051 7.5.1), so the messages are pinned by UID first and marked
 * with UID STORE, never by the (renumbered) sequence numbers.
 */
import { expect, it, vi } from 'vitest';
import { copy } from '../../src/commands/copy.js';
import { expunge } from '../../src/commands/expunge.js';
import { move } from '../../src/commands/move.js';
import { store } from '../../src/commands/store.js';
import { uidExpunge } from '../../src/commands/uid-expunge.js';
import { ImapStateError } from '../../src/model/errors.js';
import { useScriptedServers } from '../helpers/scripted-harness.js';

vi.setConfig({ testTimeout: 10_000 });

const { serve, connect } = useScriptedServers();

it('sequence numbers are pinned by UID before COPY, so an EXPUNGE during COPY cannot shift the STORE', async () => {
  const lines: string[] = [];
  const server = await serve(async (c) => {
    await c.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
    await c.expect(/^\S+ SELECT INBOX$/);
    await c.write('* 4 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n$tag OK [READ-WRITE] selected\r\n');
    lines.push(await c.expect(/FETCH/));
    await c.write('* 3 FETCH (UID 13)\r\n* 4 FETCH (UID 14)\r\n$tag OK fetched\r\n');
    lines.push(await c.expect(/COPY/));
    // Another client expunged message 2 meanwhile: the old 3 and 4 are now 2 and 3.
    await c.write('* 2 EXPUNGE\r\n$tag OK copied\r\n');
    lines.push(await c.expect(/STORE/));
    await c.write('$tag OK stored\r\n');
    lines.push(await c.expect(/EXPUNGE/));
    await c.write('* 3 EXPUNGE\r\n* 2 EXPUNGE\r\n$tag OK expunged\r\n');
  });
  const conn = await connect(server);
  await conn.run('SELECT', [{ type: 'atom', value: 'INBOX' }]);

  const result = await move(conn, '3:4', 'Archive', { allowExpungeAll: true });

  expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual([
    'FETCH 3:4 (UID)',
    'UID COPY 13:14 Archive',
    'UID STORE 13:14 +FLAGS.SILENT (\\Deleted)',
    'EXPUNGE',
  ]);
  expect(result).toEqual({ copyUid: null, expunged: [3, 2], vanished: null, emulated: true });
});

it('a UID set with * is pinned too (UID FETCH), so a message arriving between COPY and STORE is not deleted', async () => {
  const lines: string[] = [];
  const server = await serve(async (c) => {
    await c.write('* OK [CAPABILITY IMAP4rev1 UIDPLUS] ready\r\n');
    await c.expect(/^\S+ SELECT INBOX$/);
    await c.write('* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n$tag OK [READ-WRITE] selected\r\n');
    lines.push(await c.expect(/FETCH/));
    await c.write('* 1 FETCH (UID 5)\r\n* 2 FETCH (UID 6)\r\n$tag OK fetched\r\n');
    lines.push(await c.expect(/COPY/));
    // A new message (UID 7) arrives: `5:*` would now take it in.
    await c.write('* 3 EXISTS\r\n$tag OK [COPYUID 9 5:6 1:2] copied\r\n');
    lines.push(await c.expect(/STORE/));
    await c.write('$tag OK stored\r\n');
    lines.push(await c.expect(/EXPUNGE/));
    await c.write('* 2 EXPUNGE\r\n* 1 EXPUNGE\r\n$tag OK expunged\r\n');
  });
  const conn = await connect(server);
  await conn.run('SELECT', [{ type: 'atom', value: 'INBOX' }]);

  await move(conn, '5:*', 'Archive', { uid: true });

  expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual([
    'UID FETCH 5:* (UID)',
    'UID COPY 5:6 Archive',
    'UID STORE 5:6 +FLAGS.SILENT (\\Deleted)',
    'UID EXPUNGE 5:6',
  ]);
});

it('SELECT answered [READ-ONLY]: MOVE (emulated) and EXPUNGE are refused before anything is sent; COPY is not, nor a STORE (per-user state may be allowed, RFC 9051 6.3.2)', async () => {
  const lines: string[] = [];
  const server = await serve(async (c) => {
    await c.write('* OK [CAPABILITY IMAP4rev1 UIDPLUS] ready\r\n');
    await c.expect(/^\S+ SELECT INBOX$/);
    await c.write('* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n$tag OK [READ-ONLY] selected\r\n');
    // The next commands the client sends are the STORE and the COPY: nothing before them.
    lines.push(await c.expect(/./));
    await c.write('* 1 FETCH (UID 5 FLAGS (\\Seen))\r\n$tag OK stored\r\n');
    lines.push(await c.expect(/./));
    await c.write('$tag OK [COPYUID 9 5 1] copied\r\n');
  });
  const conn = await connect(server);
  await conn.run('SELECT', [{ type: 'atom', value: 'INBOX' }]);
  expect(conn.selected?.readOnly).toBe(true);

  for (const attempt of [
    () => move(conn, '5', 'Archive', { uid: true }),
    () => move(conn, 1, 'Archive'),
    () => expunge(conn),
    () => uidExpunge(conn, '5'),
  ]) {
    const err = await attempt().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImapStateError);
    expect((err as Error).message).toMatch(/read-only/);
  }
  const stored = await store(conn, '5', { add: ['\\Seen'], uid: true });
  expect(stored.updated.map((m) => m.uid)).toEqual([5]);
  const r = await copy(conn, '5', 'Archive', { uid: true });
  expect(r?.destination.toString()).toBe('1');
  expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual([
    'UID STORE 5 +FLAGS (\\Seen)',
    'UID COPY 5 Archive',
  ]);
});
