/**
 * ImapClient against the real Dovecot: connect/list/status, mailbox locks,
 * the FETCH iterator with STOREs inside the loop, streaming downloads,
 * events while idling, and automatic reconnection with QRESYNC (and
 * CONDSTORE) resynchronisation after the server-side process of the
 * client's connection is killed.
 *
 * Reads use alice's INBOX read-only (300 seeded messages, see
 * scripts/test-server/SEED.md); writes use carol and scratch mailboxes
 * `t-cli-<random>`, deleted afterwards.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ImapClient } from '../../src/client/client.js';
import type { ClientEvents, ResyncEvent } from '../../src/client/events.js';
import type { MailboxTreeNode } from '../../src/client/mailbox-tree.js';
import type { ClientOptions } from '../../src/client/options.js';
import { select } from '../../src/commands/select.js';
import { store } from '../../src/commands/store.js';
import { uidExpunge } from '../../src/commands/uid-expunge.js';
import { ImapConnection } from '../../src/connection/connection.js';
import { ImapConnectionError, ImapProtocolError, ImapStateError } from '../../src/model/errors.js';
import { literal, list, mailbox } from '../../src/wire/args.js';
import type { CommandArg } from '../../src/wire/command-arg.js';
import {
  captureLogger,
  imapProcessFor,
  plainOptions,
  testMessage,
  testServer,
} from '../helpers/dovecot.js';

const clients: ImapClient[] = [];
const conns: ImapConnection[] = [];
const created: string[] = [];
let admin: ImapConnection;

function clientOptions(user: string, extra: Partial<ClientOptions> = {}): ClientOptions {
  const { auth, host, port, security } = plainOptions(user);
  return { host, port, security, auth, ...extra };
}

async function connectClient(
  user: string,
  extra: Partial<ClientOptions> = {},
): Promise<ImapClient> {
  const client = await ImapClient.connect(clientOptions(user, extra));
  clients.push(client);
  return client;
}

async function connectCarol(): Promise<ImapConnection> {
  const conn = await ImapConnection.connect(plainOptions('carol'));
  conns.push(conn);
  return conn;
}

/** A scratch mailbox of carol's with `count` messages (`cli 1`...), UIDs 1..count. */
async function scratch(count: number): Promise<string> {
  const name = `t-cli-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  created.push(name);
  await admin.exec('CREATE', [mailbox(name)]);
  if (count > 0) {
    const args: CommandArg[] = [mailbox(name)];
    for (let i = 1; i <= count; i++) args.push(list([]), literal(testMessage(`cli ${i}`)));
    await admin.exec('APPEND', args); // MULTIAPPEND
  }
  return name;
}

/** The next `event` of `client` (fails after `timeoutMs`). */
async function next<K extends keyof ClientEvents>(
  client: ImapClient,
  event: K,
  timeoutMs = 10_000,
): Promise<ClientEvents[K][0]> {
  const [value] = (await once(client, event, { signal: AbortSignal.timeout(timeoutMs) })) as [
    ClientEvents[K][0],
  ];
  return value;
}

async function readAll(stream: Readable): Promise<{ data: Buffer; chunks: number }> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return { data: Buffer.concat(chunks), chunks: chunks.length };
}

/** PID of the Dovecot imap process serving the client's current connection. */
function serverPidOf(client: ImapClient): number {
  const port = (client.connection!.socket as Socket).localPort!;
  const pid = imapProcessFor(port);
  if (pid === null) throw new Error('could not find the Dovecot imap process of the client');
  return pid;
}

beforeAll(async () => {
  testServer();
  admin = await connectCarol();
});

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const c of conns.splice(0)) if (c !== admin) c.close();
});

afterAll(async () => {
  for (const name of created) await admin.run('DELETE', [mailbox(name)]).catch(() => undefined);
  await admin.logout();
});

describe('ImapClient basics (Dovecot)', () => {
  it('connects, ENABLEs CONDSTORE and QRESYNC, lists mailboxes and reads STATUS', async () => {
    const client = await connectClient('alice');
    expect(client.enabled.has('QRESYNC')).toBe(true);
    expect(client.enabled.has('CONDSTORE')).toBe(true);
    const names = (await client.list()).map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining(['INBOX', 'Notes', 'Projects/Ärger', 'Archive/2024']),
    );
    const st = await client.status('INBOX', ['MESSAGES', 'UIDNEXT', 'UNSEEN']);
    expect(st).toMatchObject({ name: 'INBOX', messages: 300, uidNext: 301 });
    expect(typeof st.unseen).toBe('number');
    const info = await client.mailboxOpen('INBOX', { readOnly: true });
    expect(info).toMatchObject({ path: 'INBOX', readOnly: true, exists: 300, uidNext: 301 });
    expect(typeof info.highestModseq).toBe('bigint');
    expect(await client.search({ from: 'bob@example.com' })).toEqual([3, 5, 16, 18]);
    const q = await client.quota('INBOX');
    expect(q.roots.length).toBeGreaterThan(0);
    await client.logout();
    expect(client.usable).toBe(false);
    await expect(client.noop()).rejects.toBeInstanceOf(ImapConnectionError);
  });

  it('appendMany stores messages in one MULTIAPPEND, in order, with flags and dates', async () => {
    const box = await scratch(0);
    const log = captureLogger();
    const client = await connectClient('carol', { logger: log.logger });
    const date = new Date('2024-03-01T10:00:00Z');
    const result = await client.appendMany(box, [
      { message: testMessage('many 1'), flags: ['\\Seen'] },
      { message: testMessage('many 2'), internalDate: date },
      { message: testMessage('many 3') },
    ]);
    expect(result?.uids).toEqual([1, 2, 3]);
    expect(log.lines.filter((l) => /^C: \S+ APPEND /.test(l))).toHaveLength(1);
    const lock = await client.getMailboxLock(box, { readOnly: true });
    try {
      const got = await client.fetchAll('1:*', { flags: true, internalDate: true, envelope: true });
      expect(got.map((m) => m.envelope?.subject)).toEqual(['many 1', 'many 2', 'many 3']);
      expect(got[0]!.flags?.has('\\Seen')).toBe(true);
      expect(got[1]!.internalDate?.getTime()).toBe(date.getTime());
    } finally {
      lock.release();
    }
  });

  it('message operations without a selected mailbox fail with ImapStateError', async () => {
    const client = await connectClient('alice');
    await expect(client.search({ all: true })).rejects.toBeInstanceOf(ImapStateError);
  });

  it('under a readOnly lock, flag changes, delete and move throw ImapStateError and change nothing', async () => {
    const box = await scratch(2);
    const dest = await scratch(0);
    const log = captureLogger();
    const client = await connectClient('carol', { logger: log.logger });
    const lock = await client.getMailboxLock(box, { readOnly: true });
    try {
      const sentBefore = log.lines.filter((l) => l.startsWith('C: ')).length;
      await expect(client.messageFlagsAdd([1], ['\\Flagged'])).rejects.toBeInstanceOf(
        ImapStateError,
      );
      await expect(client.messageFlagsSet([1], [])).rejects.toBeInstanceOf(ImapStateError);
      await expect(client.messageDelete([1])).rejects.toBeInstanceOf(ImapStateError);
      // Dovecot performs a MOVE from an EXAMINEd mailbox: refused before it is sent.
      await expect(client.messageMove([2], dest)).rejects.toBeInstanceOf(ImapStateError);
      expect(log.lines.filter((l) => l.startsWith('C: ')).length).toBe(sentBefore);
      const got = await client.fetchAll('1:*', { uid: true, flags: true });
      expect(got.map((m) => [m.uid, [...m.flags!].filter((f) => f !== '\\Recent')])).toEqual([
        [1, []],
        [2, []],
      ]);
      expect(await client.messageCopy([2], dest)).toMatchObject({ destination: expect.anything() });
    } finally {
      lock.release();
    }
    expect((await client.status(dest, ['MESSAGES'])).messages).toBe(1);
  });

  it('locks serialize tasks on different mailboxes in request order; mailbox commands need no lock', async () => {
    const a = await scratch(2);
    const b = await scratch(3);
    const client = await connectClient('carol');
    const log: string[] = [];
    const taskA = (async () => {
      const lock = await client.getMailboxLock(a);
      try {
        log.push(`A locked ${client.mailbox?.path === a}`);
        log.push(`A search ${(await client.search({ all: true })).join(',')}`);
        await new Promise((r) => setTimeout(r, 150));
        log.push(`A still ${client.mailbox?.path === a}`);
      } finally {
        log.push('A release');
        lock.release();
      }
    })();
    const taskB = (async () => {
      const lock = await client.getMailboxLock(b, { readOnly: true });
      try {
        log.push(`B locked ${client.mailbox?.path === b} ro=${client.mailbox?.readOnly}`);
        log.push(`B search ${(await client.search({ all: true })).join(',')}`);
      } finally {
        log.push('B release');
        lock.release();
      }
    })();
    // A STATUS while A holds its lock runs at once (no lock needed).
    const statusDone = (async () => {
      await waitFor(() => log.includes('A search 1,2'));
      log.push(`status ${(await client.status(b, ['MESSAGES'])).messages}`);
    })();
    // A lock-free message operation issued while A's lock is still being
    // granted cannot be A's: it queues behind both locks and runs on B.
    const implicit = client.search({ all: true }).then((r) => log.push(`implicit ${r.join(',')}`));
    await Promise.all([taskA, taskB, statusDone, implicit]);
    expect(log).toEqual([
      'A locked true',
      'A search 1,2',
      'status 3',
      'A still true',
      'A release',
      'B locked true ro=true',
      'B search 1,2,3',
      'B release',
      'implicit 1,2,3',
    ]);

    // A message operation issued while nobody holds a lock takes it for its
    // duration: a lock asked for meanwhile waits for the loop to end.
    const order: string[] = [];
    const loop = (async () => {
      for await (const m of client.fetch('1:*', { flags: true })) {
        order.push(`fetch ${m.uid}`);
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    await new Promise((r) => setTimeout(r, 10));
    const lockA = client.getMailboxLock(a).then((l) => {
      order.push(`locked ${client.mailbox?.path === a}`);
      l.release();
    });
    await Promise.all([loop, lockA]);
    expect(order).toEqual(['fetch 1', 'fetch 2', 'fetch 3', 'locked true']);

    // Breaking out of such a loop (at its first message, while the FETCH
    // runs), or a loop that fails, gives the lock back.
    for await (const m of client.fetch('1:*', { uid: true })) if (m.uid === 1) break;
    await expect(
      (async () => {
        for await (const m of client.fetch('999', { uid: true }, { uid: false })) void m;
      })(),
    ).rejects.toBeInstanceOf(ImapProtocolError);
    const again = await client.getMailboxLock(a, { signal: AbortSignal.timeout(3000) });
    expect(client.mailbox?.path).toBe(a);
    again.release();
  });

  it('a FETCH loop can STORE inside the loop without deadlock (small highWaterMark)', async () => {
    const box = await scratch(40);
    const client = await connectClient('carol');
    const lock = await client.getMailboxLock(box);
    try {
      const seen: number[] = [];
      for await (const m of client.fetch('1:*', { flags: true }, { highWaterMark: 3 })) {
        seen.push(m.uid!);
        if (m.uid! % 2 === 0) await client.messageFlagsAdd(m.uid!, ['\\Flagged']);
      }
      expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(await client.search({ flagged: true })).toEqual(
        Array.from({ length: 20 }, (_, i) => 2 * (i + 1)),
      );
      // Breaking out early leaves the connection usable.
      for await (const m of client.fetch('1:*', { uid: true })) if (m.uid === 3) break;
      const one = await client.fetchOne(4, { flags: true });
      expect(one?.flags?.has('\\Flagged')).toBe(true);
      await client.messageFlagsRemove('1:*', ['\\Flagged']);
      const del = await client.messageDelete([39, 40]);
      expect(del.vanished?.toString()).toBe('39:40');
      expect(client.mailbox?.exists).toBe(38);
    } finally {
      lock.release();
    }
  });

  it('download streams a large part in one command, with back-pressure, equal byte for byte to a buffered fetch', async () => {
    const log = captureLogger();
    const client = await connectClient('alice', { logger: log.logger });
    const lock = await client.getMailboxLock('INBOX', { readOnly: true });
    try {
      const raw = await client.download(160, '2', { decode: false, highWaterMark: 64 * 1024 });
      expect(raw.meta).toEqual({
        size: 1368422,
        contentType: 'application/octet-stream',
        filename: 'dataset.bin',
        encoding: 'base64',
        truncated: false,
        decoded: false,
      });
      // Streamed with back-pressure: unread, the part is never buffered whole.
      await new Promise((r) => setTimeout(r, 200));
      expect(raw.content.readableLength).toBeLessThan(512 * 1024);
      const rawBytes = await readAll(raw.content);
      expect(rawBytes.data.length).toBe(1368422);
      // One FETCH, structure and bytes (no chunked partial fetches).
      const sent = log.lines
        .filter((l) => l.startsWith('C: '))
        .map((l) => l.replace(/^C: \S+ /, ''));
      expect(sent.filter((l) => l.startsWith('UID FETCH 160'))).toEqual([
        'UID FETCH 160 (BODYSTRUCTURE BODY.PEEK[2])',
      ]);

      const buffered = await client.fetchOne(160, { bodyParts: [{ section: '2' }] });
      expect(rawBytes.data.equals(buffered!.parts.get('BODY[2]')!)).toBe(true);

      const decoded = await client.download(160, '2');
      expect(decoded.meta).toMatchObject({
        size: 1_000_000,
        decoded: true,
        filename: 'dataset.bin',
      });
      const decodedBytes = await readAll(decoded.content);
      expect(
        decodedBytes.data.equals(Buffer.from(rawBytes.data.toString('latin1'), 'base64')),
      ).toBe(true);

      const pdf = await client.download(12, '2');
      expect(pdf.meta).toMatchObject({
        contentType: 'application/pdf',
        filename: 'Vertrag Änderungen.pdf',
        decoded: true,
      });
      expect((await readAll(pdf.content)).data.subarray(0, 5).toString('latin1')).toBe('%PDF-');

      const whole = await client.download(1);
      expect(whole.meta).toEqual({
        size: 680,
        contentType: 'message/rfc822',
        truncated: false,
        decoded: false,
      });
      expect((await readAll(whole.content)).data.toString('latin1')).toContain(
        'Welcome to imapkit',
      );
    } finally {
      lock.release();
    }
  });
});

describe('ImapClient download meta of whole-message sections (Dovecot)', () => {
  it('the whole message is message/rfc822 without a transfer encoding; HEADER is headers; TEXT is the body as encoded', async () => {
    const client = await connectClient('alice');
    const lock = await client.getMailboxLock('INBOX', { readOnly: true });
    try {
      // UID 8: a single-part text/plain, ISO-8859-1, quoted-printable message.
      const whole = await client.download(8, '');
      const wholeBytes = (await readAll(whole.content)).data.toString('latin1');
      // Headers and the encoded body: not something quoted-printable decoding applies to.
      expect(wholeBytes).toMatch(
        /^[\s\S]*Content-Transfer-Encoding: quoted-printable\r\n\r\nBonjour/,
      );
      expect(whole.meta).toEqual({
        size: wholeBytes.length,
        contentType: 'message/rfc822',
        truncated: false,
        decoded: false,
      });

      const header = await client.download(8, 'HEADER');
      const headerBytes = (await readAll(header.content)).data.toString('latin1');
      expect(headerBytes).toMatch(/Content-Transfer-Encoding: quoted-printable\r\n\r\n$/);
      expect(header.meta).toEqual({
        size: headerBytes.length,
        contentType: 'text/rfc822-headers',
        truncated: false,
        decoded: false,
      });

      const fields = await client.download(8, 'HEADER.FIELDS (SUBJECT)');
      expect((await readAll(fields.content)).data.toString('latin1')).toMatch(/^Subject: /);
      expect(fields.meta.contentType).toBe('text/rfc822-headers');
      expect(fields.meta.encoding).toBeUndefined();

      // The body alone is encoded as the message's Content-Transfer-Encoding says.
      const text = await client.download(8, 'TEXT');
      const textBytes = (await readAll(text.content)).data.toString('latin1');
      expect(textBytes).toMatch(/^Bonjour Alice,/);
      expect(textBytes).toContain('r=E9sum=E9');
      expect(text.meta).toEqual({
        size: textBytes.length,
        contentType: 'text/plain',
        charset: 'ISO-8859-1',
        encoding: 'quoted-printable',
        truncated: false,
        decoded: false,
      });

      // UID 5: a message/rfc822 inside multipart/mixed; 2.TEXT is the forwarded message's body.
      const structure = (await client.fetchOne(5, { bodyStructure: true }))!.bodyStructure!;
      expect(structure.type).toBe('multipart');
      const fwdText = await client.download(5, '2.TEXT');
      await readAll(fwdText.content);
      const fwd = 'childNodes' in structure ? structure.childNodes[1] : undefined;
      const inner = fwd !== undefined && 'body' in fwd ? fwd.body : undefined;
      expect(inner).toBeDefined();
      expect(fwdText.meta.contentType).toBe(`${inner!.type}/${inner!.subtype}`);
      const fwdHeader = await client.download(5, '2.HEADER');
      await readAll(fwdHeader.content);
      expect(fwdHeader.meta.contentType).toBe('text/rfc822-headers');
      const mime = await client.download(5, '1.MIME');
      await readAll(mime.content);
      expect(mime.meta.contentType).toBe('text/rfc822-headers');
      // A whole multipart message: message/rfc822 too.
      const multi = await client.download(5, '');
      await readAll(multi.content);
      expect(multi.meta.contentType).toBe('message/rfc822');
    } finally {
      lock.release();
    }
  });
});

describe('ImapClient download with maxBytes (Dovecot)', () => {
  it('a large part cut to N bytes equals the first N bytes of the whole part, stored and decoded', async () => {
    const client = await connectClient('alice');
    const lock = await client.getMailboxLock('INBOX', { readOnly: true });
    try {
      const whole = (await readAll((await client.download(160, '2', { decode: false })).content))
        .data;
      expect(whole.length).toBe(1368422);
      const cut = await client.download(160, '2', { decode: false, maxBytes: 10_000 });
      expect(cut.meta).toMatchObject({
        size: 10_000,
        truncated: true,
        decoded: false,
        encoding: 'base64',
        filename: 'dataset.bin',
      });
      expect((await readAll(cut.content)).data.equals(whole.subarray(0, 10_000))).toBe(true);

      // Decoded by the server (BINARY.PEEK[2]<0.n>): the first N decoded bytes.
      const decodedWhole = Buffer.from(whole.toString('latin1'), 'base64');
      const decodedCut = await client.download(160, '2', { maxBytes: 4096 });
      expect(decodedCut.meta).toMatchObject({ size: 4096, truncated: true, decoded: true });
      expect((await readAll(decodedCut.content)).data.equals(decodedWhole.subarray(0, 4096))).toBe(
        true,
      );

      // The whole message (BODY.PEEK[]<0.n>).
      const message = await client.download(1, '', { maxBytes: 100 });
      expect(message.meta).toMatchObject({
        size: 100,
        truncated: true,
        contentType: 'message/rfc822',
      });
      const head = (await readAll(message.content)).data;
      expect(head.length).toBe(100);
      const full = (await readAll((await client.download(1)).content)).data;
      expect(head.equals(full.subarray(0, 100))).toBe(true);
    } finally {
      lock.release();
    }
  });

  it('a small part with a large maxBytes comes whole and is not truncated, also at exactly its size', async () => {
    const client = await connectClient('alice');
    const lock = await client.getMailboxLock('INBOX', { readOnly: true });
    try {
      const full = (await readAll((await client.download(1)).content)).data;
      expect(full.length).toBe(680);
      const big = await client.download(1, '', { maxBytes: 1_000_000 });
      expect(big.meta).toMatchObject({ size: 680, truncated: false });
      expect((await readAll(big.content)).data.equals(full)).toBe(true);
      const exact = await client.download(1, '', { maxBytes: 680 });
      expect(exact.meta).toMatchObject({ size: 680, truncated: false });
      expect((await readAll(exact.content)).data.equals(full)).toBe(true);
      const oneShort = await client.download(1, '', { maxBytes: 679 });
      expect(oneShort.meta).toMatchObject({ size: 679, truncated: true });
      expect((await readAll(oneShort.content)).data.equals(full.subarray(0, 679))).toBe(true);
      await expect(client.download(1, '', { maxBytes: 0 })).rejects.toMatchObject({
        code: 'ARGUMENT',
      });
      // The lock was released by the failed call: the connection still works.
      expect((await client.fetchOne(1, { uid: true }))?.uid).toBe(1);
    } finally {
      lock.release();
    }
  });
});

describe('ImapClient by sequence number past the last message (Dovecot)', () => {
  it("fetchOne answers null and download rejects with ARGUMENT, not the server's BAD", async () => {
    const client = await connectClient('carol');
    const name = await scratch(2);
    const lock = await client.getMailboxLock(name, { readOnly: true });
    try {
      expect((await client.fetchOne(2, { uid: true }, { uid: false }))?.uid).toBe(2);
      // Dovecot answers `FETCH 3 ...` in a 2-message mailbox with BAD Invalid messageset.
      expect(await client.fetchOne(3, { uid: true }, { uid: false })).toBeNull();
      await expect(client.download(3, '', { uid: false })).rejects.toMatchObject({
        code: 'ARGUMENT',
        message: 'no message 3 (the mailbox has 2 messages)',
      });
      await expect(client.download(3, '1', { uid: false })).rejects.toMatchObject({
        code: 'ARGUMENT',
      });
      // Invalid numbers are still refused as such.
      await expect(client.fetchOne(0, { uid: true }, { uid: false })).rejects.toMatchObject({
        code: 'ARGUMENT',
      });
      // The lock was released by the failed calls.
      expect((await client.fetchOne(1, { uid: true }))?.uid).toBe(1);
    } finally {
      lock.release();
    }
    const empty = await scratch(0);
    await client.mailboxOpen(empty);
    expect(await client.fetchOne(1, { flags: true }, { uid: false })).toBeNull();
    // `1:*` by sequence number in an empty mailbox: Dovecot answers BAD; nothing matches.
    expect(await client.fetchAll('1:*', { flags: true }, { uid: false })).toEqual([]);
    const seen: number[] = [];
    for await (const m of client.fetch('1:*', { flags: true }, { uid: false })) seen.push(m.seq);
    expect(seen).toEqual([]);
    await expect(client.fetchAll('0', { flags: true }, { uid: false })).rejects.toMatchObject({
      code: 'ARGUMENT',
    });
    await client.append(empty, testMessage('one'));
    await client.noop();
    expect((await client.fetchAll('1:*', { uid: true }, { uid: false })).map((m) => m.uid)).toEqual(
      [1],
    );
  });
});

describe('ImapClient esearch (Dovecot)', () => {
  it('MIN, MAX, COUNT and ALL of UNSEEN agree with the plain search; ALL stays ranges', async () => {
    const client = await connectClient('alice');
    expect(client.capabilities.has('ESEARCH')).toBe(true);
    const lock = await client.getMailboxLock('INBOX', { readOnly: true });
    try {
      const uids = await client.search({ seen: false });
      expect(uids).toHaveLength(45);
      const r = await client.esearch({ seen: false }, { return: ['MIN', 'MAX', 'COUNT', 'ALL'] });
      expect(r.uid).toBe(true);
      expect(r.count).toBe(45);
      expect(r.min).toBe(Math.min(...uids));
      expect(r.max).toBe(Math.max(...uids));
      expect([...r.all!.values()]).toEqual([...uids].sort((a, b) => a - b));

      const all = await client.esearch('ALL', { return: ['COUNT', 'ALL'] });
      expect(all.count).toBe(300);
      expect(all.all?.toString()).toBe('1:300');

      const none = await client.esearch({ deleted: true }, { return: ['MIN', 'COUNT', 'ALL'] });
      expect(none.count).toBe(0);
      expect(none.min).toBeUndefined();
      expect(none.all).toBeUndefined();

      const bySeq = await client.esearch({ seen: false }, { uid: false, return: ['COUNT'] });
      expect(bySeq).toEqual({ uid: false, count: 45 });
    } finally {
      lock.release();
    }
  });
});

describe('ImapClient listTree (Dovecot)', () => {
  it("alice's hierarchy: INBOX first, sorted children, special-use, decoded names, subscriptions", async () => {
    const client = await connectClient('alice');
    const tree = await client.listTree({ subscribed: true });
    const shape = (nodes: MailboxTreeNode[]): unknown[] =>
      nodes.map((n) =>
        n.children.length === 0 ? n.displayName : [n.displayName, shape(n.children)],
      );
    expect(shape(tree)).toEqual([
      'INBOX',
      ['Archive', ['2024', '2025']],
      'Drafts',
      'Junk',
      'Notes',
      ['Projects', ['Ärger', '日本語']],
      'Sent',
      ['shared', [['bob', ['Shared-with-alice']]]],
      'Trash',
    ]);
    const byName = new Map<string, MailboxTreeNode>();
    const walk = (nodes: MailboxTreeNode[]): void => {
      for (const n of nodes) {
        byName.set(n.name, n);
        walk(n.children);
      }
    };
    walk(tree);
    expect(byName.get('Archive')).toMatchObject({
      delimiter: '/',
      specialUse: '\\Archive',
      selectable: true,
      listed: true,
      subscribed: true,
    });
    expect(byName.get('Archive')!.flags.has('\\HasChildren')).toBe(true);
    expect(byName.get('Sent')!.specialUse).toBe('\\Sent');
    expect(byName.get('Projects/Ärger')).toMatchObject({ displayName: 'Ärger', subscribed: true });
    expect(byName.get('Projects/Ärger')!.entry?.rawName).toBe('Projects/&AMQ-rger');
    expect(byName.get('Notes')!.subscribed).toBe(false);
    expect(byName.get('INBOX')!.subscribed).toBe(false);
    expect(byName.get('shared')).toMatchObject({ selectable: false, listed: true });
    expect(byName.get('shared/bob')!.selectable).toBe(false);
    expect(byName.get('shared/bob/Shared-with-alice')!.selectable).toBe(true);

    // One level only: Archive and Projects keep \HasChildren but have no children here.
    const top = await client.listTree({ pattern: '%' });
    expect(top.map((n) => n.name)).toContain('Archive');
    expect(top.every((n) => n.children.length === 0)).toBe(true);
    expect(top.every((n) => !n.subscribed)).toBe(true);
  });
});

describe('ImapClient events while idling (Dovecot)', () => {
  it('autoIdle: exists, flags and vanished arrive while idling; commands interrupt IDLE and it resumes', async () => {
    const box = await scratch(3);
    const client = await connectClient('carol', { autoIdle: true });
    const opened = next(client, 'mailboxOpen');
    await client.mailboxOpen(box);
    expect((await opened).exists).toBe(3);
    await waitFor(() => client.idling);

    const other = await connectCarol();
    await select(other, box);
    const exists = next(client, 'exists');
    await other.exec('APPEND', [mailbox(box), literal(testMessage('cli 4'))]);
    expect(await exists).toEqual({ path: box, count: 4, prevCount: 3 });

    const flags = next(client, 'flags');
    await store(other, 2, { add: ['\\Flagged'], uid: true, silent: true });
    const f = await flags;
    expect(f).toMatchObject({ path: box, uid: 2 });
    expect(f.flags.has('\\Flagged')).toBe(true);
    expect(typeof f.modseq).toBe('bigint');

    // A command while idling ends IDLE (DONE), runs, and IDLE resumes.
    expect(await client.search({ flagged: true })).toEqual([2]);
    await waitFor(() => client.idling);

    const vanished = next(client, 'vanished');
    await store(other, 1, { add: ['\\Deleted'], uid: true, silent: true });
    await uidExpunge(other, 1);
    expect((await vanished).uids.toString()).toBe('1');
    expect(client.mailbox?.exists).toBe(3);

    // A held lock stops IDLE; releasing it lets IDLE resume.
    const lock = await client.getMailboxLock(box);
    await waitFor(() => !client.idling);
    lock.release();
    await waitFor(() => client.idling);
    await client.stopIdle();
    expect(client.idling).toBe(false);
  });
});

describe('ImapClient events without QRESYNC (Dovecot)', () => {
  it('expunge events carry the UID the client tracked (CONDSTORE-resync mode)', async () => {
    const box = await scratch(4);
    const client = await connectClient('carol', { qresync: false });
    await client.mailboxOpen(box);
    const other = await connectCarol();
    await select(other, box);
    await store(other, 2, { add: ['\\Deleted'], uid: true, silent: true });
    await uidExpunge(other, 2);
    const expunged = next(client, 'expunge');
    await client.noop();
    expect(await expunged).toEqual({ path: box, seq: 2, uid: 2 });
    const expungedAgain = next(client, 'expunge');
    await store(other, 4, { add: ['\\Deleted'], uid: true, silent: true });
    await uidExpunge(other, 4);
    await client.noop();
    expect(await expungedAgain).toEqual({ path: box, seq: 3, uid: 4 });
    expect(client.mailbox?.exists).toBe(2);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('ImapClient auto-reconnect (Dovecot)', () => {
  /**
   * Kills the Dovecot process of the client's connection; while the client
   * is down, another connection expunges UID 3 and flags UID 2; a search
   * issued during the outage completes after the reconnection.
   */
  async function outage(
    qresync: boolean,
    mode: { lock?: boolean; autoIdle?: boolean } = {},
  ): Promise<{ resync: ResyncEvent; searched: number[]; client: ImapClient; box: string }> {
    const box = await scratch(5);
    const client = await connectClient('carol', {
      qresync,
      autoIdle: mode.autoIdle === true,
      reconnect: { initialDelayMs: 800, maxDelayMs: 800 }, // 400..800 ms: time for the changes
    });
    expect(client.enabled.has('QRESYNC')).toBe(qresync);
    expect(client.enabled.has('CONDSTORE')).toBe(true);
    const lock = mode.lock === true ? await client.getMailboxLock(box) : null;
    if (lock === null) await client.mailboxOpen(box);
    if (mode.autoIdle === true) await waitFor(() => client.idling);
    const other = await connectCarol();
    await select(other, box);

    // A command in flight when the connection drops rejects (it is not replayed).
    const pid = serverPidOf(client);
    process.kill(pid, 'SIGSTOP');
    const inFlight = client.noop();
    const disconnected = next(client, 'disconnect');
    await new Promise((r) => setTimeout(r, 50));
    process.kill(pid, 'SIGKILL');
    const d = await disconnected;
    expect(d.reconnecting).toBe(true);
    await expect(inFlight).rejects.toBeInstanceOf(ImapConnectionError);
    expect(client.reconnecting).toBe(true);

    const resynced = next(client, 'resync');
    const reconnected = next(client, 'reconnect');
    await store(other, 3, { add: ['\\Deleted'], uid: true, silent: true });
    await uidExpunge(other, 3);
    await store(other, 2, { add: ['\\Flagged'], uid: true, silent: true });
    // Issued during the outage: waits for the reconnection, then runs on the restored mailbox.
    const searched = await client.search({ all: true });
    expect(client.reconnecting).toBe(false);
    expect(await reconnected).toEqual({ attempt: 1 });
    lock?.release();
    return { resync: await resynced, searched, client, box };
  }

  it('QRESYNC: the resync event reports the vanished UID and the changed flags (lock held across the drop)', async () => {
    const { resync, searched, client, box } = await outage(true, { lock: true });
    expect(searched).toEqual([1, 2, 4, 5]);
    expect(resync.method).toBe('qresync');
    expect(resync.path).toBe(box);
    expect(resync.vanished?.toString()).toBe('3');
    expect(resync.changed.map((c) => c.uid)).toEqual([2]);
    expect(resync.changed[0]!.flags.has('\\Flagged')).toBe(true);
    expect(resync).toMatchObject({ prevCount: 5, count: 4 });
    expect(client.mailbox).toMatchObject({
      path: box,
      exists: 4,
      highestModseq: resync.highestModseq,
    });
    expect(await client.search({ flagged: true })).toEqual([2]);
  });

  it('CONDSTORE without QRESYNC: CHANGEDSINCE and a UID SEARCH diff report the same; autoIdle resumes', async () => {
    const { resync, searched, client } = await outage(false, { autoIdle: true });
    expect(searched).toEqual([1, 2, 4, 5]);
    expect(resync.method).toBe('condstore');
    expect(resync.vanished?.toString()).toBe('3');
    expect(resync.changed.map((c) => c.uid)).toEqual([2]);
    expect(resync.changed[0]!.flags.has('\\Flagged')).toBe(true);
    await waitFor(() => client.idling);
  });

  it.each([
    { qresync: true, learned: 'search' },
    { qresync: true, learned: 'append' },
    { qresync: false, learned: 'search' },
    { qresync: false, learned: 'append' },
  ] as const)(
    'qresync $qresync: a message learned by $learned (no FETCH) and expunged during the outage is in vanished; one that arrived meanwhile is in changed',
    async ({ qresync, learned }) => {
      const box = await scratch(5);
      const client = await connectClient('carol', {
        qresync,
        reconnect: { initialDelayMs: 800, maxDelayMs: 800 },
      });
      await client.mailboxOpen(box);
      if (learned === 'append') {
        expect((await client.append(box, testMessage('own 6')))?.uid).toBe(6);
      } else {
        await admin.exec('APPEND', [mailbox(box), literal(testMessage('other 6'))]);
        await client.noop(); // EXISTS: counted, UID unknown
        expect(await client.search({ all: true })).toEqual([1, 2, 3, 4, 5, 6]);
      }
      expect(client.mailbox?.exists).toBe(6);
      const other = await connectCarol();
      await select(other, box);
      const disconnected = next(client, 'disconnect');
      process.kill(serverPidOf(client), 'SIGKILL');
      await disconnected;
      const resynced = next(client, 'resync');
      await store(other, '2,6', { add: ['\\Deleted'], uid: true, silent: true });
      await uidExpunge(other, '2,6');
      await admin.exec('APPEND', [mailbox(box), literal(testMessage('arrives 7'))]);
      const e = await resynced;
      expect(e.method).toBe(qresync ? 'qresync' : 'condstore');
      expect(e.vanished?.toString()).toBe('2,6');
      expect(e.changed.map((c) => c.uid)).toEqual([7]);
      // prevCount − vanished + arrived = count
      expect(e).toMatchObject({ prevCount: 6, count: 5 });
      expect(client.mailbox?.exists).toBe(5);
    },
  );

  it('a mailbox recreated during the outage is reported as uidValidityChange, not resync', async () => {
    const box = await scratch(3);
    const client = await connectClient('carol', {
      reconnect: { initialDelayMs: 800, maxDelayMs: 800 },
    });
    const before = await client.mailboxOpen(box);
    const resyncs: ResyncEvent[] = [];
    client.on('resync', (e) => resyncs.push(e));
    const changed = next(client, 'uidValidityChange');
    const disconnected = next(client, 'disconnect');
    process.kill(serverPidOf(client), 'SIGKILL');
    await disconnected;
    await admin.exec('DELETE', [mailbox(box)]);
    await admin.exec('CREATE', [mailbox(box)]);
    await admin.exec('APPEND', [mailbox(box), literal(testMessage('new 1'))]);
    const e = await changed;
    expect(e).toMatchObject({ path: box, previous: before.uidValidity });
    expect(e.current).not.toBe(before.uidValidity);
    expect(client.mailbox).toMatchObject({ path: box, exists: 1, uidValidity: e.current });
    expect(await client.search({ all: true })).toEqual([1]);
    expect(resyncs).toEqual([]);
  });

  it('logout() closes for good: a close event without error, no reconnection', async () => {
    const client = await connectClient('carol', {
      reconnect: { initialDelayMs: 10, maxDelayMs: 10, maxAttempts: 2 },
    });
    const closed = next(client, 'close');
    await client.logout();
    expect((await closed).error).toBeNull();
    expect(client.reconnecting).toBe(false);
  });
});
