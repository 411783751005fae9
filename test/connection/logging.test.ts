import { describe, expect, it } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import { ServerTrace, TRACE_LINE_MAX } from '../../src/connection/logging.js';
import { applyUntagged, newMailbox } from '../../src/connection/mailbox-state.js';
import { ImapProtocolError } from '../../src/model/errors.js';
import type { UntaggedResponse } from '../../src/model/response.js';
import { SequenceSet } from '../../src/model/sequence-set.js';
import { Secret } from '../../src/model/secret.js';
import { atom, list, literal, mailbox, raw, secret, str } from '../../src/wire/args.js';
import { captureLogger, freshLoopback, testServer } from '../helpers/dovecot.js';
import { startScriptedServer } from '../helpers/scripted-server.js';

describe('the wire trace', () => {
  function trace(chunks: string[], redact = false): string[] {
    const lines: string[] = [];
    const t = new ServerTrace(
      (l) => lines.push(l),
      () => redact,
    );
    for (const c of chunks) t.push(Buffer.from(c, 'latin1'));
    return lines;
  }

  it('logs one entry per response, with literals shown as their size', () => {
    expect(
      trace(['* 1 FETCH (BODY[] {11}\r\nhello', ' world UID 5)\r\nA1 OK', ' done\r\n']),
    ).toEqual(['S: * 1 FETCH (BODY[] {11}<11 bytes> UID 5)', 'S: A1 OK done']);
  });

  it(`cuts long lines to ${TRACE_LINE_MAX} bytes`, () => {
    const [line] = trace([`* OK ${'x'.repeat(1000)}\r\n`]);
    expect(line!.length).toBeLessThan(TRACE_LINE_MAX + 20);
    expect(line!.endsWith(' ...')).toBe(true);
  });

  it('redacts continuation payloads while AUTHENTICATE runs', () => {
    expect(trace(['+ cj1mb28sczE9YmFy\r\n', '* OK x\r\n'], true)).toEqual([
      'S: + [redacted]',
      'S: * OK x',
    ]);
  });

  it('escapes control characters', () => {
    expect(trace(['* OK a\u0001b\r\n'])).toEqual(['S: * OK a\\x01b']);
  });
});

describe('secrets never reach a log or an error message (Dovecot)', () => {
  it('LOGIN, a failed LOGIN, AUTHENTICATE and secret arguments are logged as [redacted]', async () => {
    const env = testServer();
    const password = env.users.alice!;
    const log = captureLogger();
    // The failed login from its own address: Dovecot delays that address afterwards.
    const loser = await ImapConnection.connect({
      host: env.host,
      port: env.port,
      security: 'none',
      localAddress: freshLoopback(),
      logger: log.logger,
    });
    const failed = await loser.login('alice', 'Sup3r-Wr0ng-pw').catch((e: unknown) => e);
    loser.close();
    expect(failed).toBeInstanceOf(ImapProtocolError);
    expect(JSON.stringify(failed)).not.toContain('Sup3r-Wr0ng-pw');
    expect(String(failed)).not.toContain('Sup3r-Wr0ng-pw');
    expect((failed as ImapProtocolError).command).toMatch(/^A\d+ LOGIN alice \[redacted\]$/);

    const conn = await ImapConnection.connect({
      host: env.host,
      port: env.port,
      security: 'none',
      logger: log.logger,
    });
    try {
      await conn.authenticate({
        username: 'alice',
        password: new Secret(password),
        mechanism: 'PLAIN',
      });
      // A secret argument in an ordinary command, and a literal.
      const box = `log-test-${process.pid}-${Date.now()}`;
      await conn.run('CREATE', [mailbox(box)]);
      await conn.run('APPEND', [mailbox(box), literal(`Subject: ${password}\r\n\r\nx\r\n`)]);
      const id = await conn.run('ID', [list([str('x-token'), secret('T0ken-' + password)])]);
      expect(id.tagged.status).toBe('OK');
      await conn.run('DELETE', [mailbox(box)]);
    } finally {
      await conn.logout();
    }
    const all = log.all();
    expect(all).not.toContain(password);
    expect(all).not.toContain('Sup3r-Wr0ng-pw');
    const plainIr = Buffer.from(`\u0000alice\u0000${password}`).toString('base64');
    expect(all).not.toContain(plainIr);
    expect(log.lines).toContain('C: A0 LOGIN alice [redacted]');
    expect(log.lines).toContain('C: A0 AUTHENTICATE PLAIN [redacted]');
    expect(log.lines.some((l) => /^C: A\d+ APPEND "?log-test-[^ ]+"? \{\d+\+?\}$/.test(l))).toBe(
      true,
    );
    expect(log.lines.some((l) => /^C: A\d+ ID \("x-token" \[redacted\]\)$/.test(l))).toBe(true);
    expect(log.lines.some((l) => l.startsWith('debug: state: authenticated'))).toBe(true);
  });
});

describe("AUTHENTICATE through run() (the imaplib facade's path) is redacted too (Dovecot)", () => {
  it("the answers to the server's continuations are logged as [redacted]", async () => {
    const env = testServer();
    const password = env.users.alice!;
    const log = captureLogger();
    const conn = await ImapConnection.connect({
      host: env.host,
      port: env.port,
      security: 'none',
      logger: log.logger,
    });
    const answer = Buffer.from(`\u0000alice\u0000${password}`).toString('base64');
    try {
      const r = await conn.run('AUTHENTICATE', [atom('PLAIN')], { onContinuation: () => answer });
      expect(r.tagged.status).toBe('OK');
    } finally {
      await conn.logout();
    }
    expect(log.all()).not.toContain(answer);
    expect(log.all()).not.toContain(password);
    expect(log.lines).toContain('C: [redacted]');
  });
});

describe('a trace started on a running connection (setLogger)', () => {
  it('begins at the next response: the rest of a literal being received is not logged as lines', async () => {
    let sendRest!: () => void;
    const rest = new Promise<void>((resolve) => (sendRest = resolve));
    const body = 'Subject: secret stuff\r\npassword=hunter2\r\n\r\nbye\r\n';
    const server = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
      await c.expect(/^A\d+ FETCH 1 /);
      await c.write(`* 1 FETCH (BODY[] {${body.length}}\r\n${body.slice(0, 10)}`);
      await rest;
      await c.write(`${body.slice(10)} UID 4)\r\n$tag OK done\r\n`);
      await c.expect(/^A\d+ NOOP$/);
      await c.write('* 2 EXISTS\r\n$tag OK noop\r\n');
      await c.closed();
    });
    const conn = await ImapConnection.connect({
      host: server.host,
      port: server.port,
      security: 'none',
      tagPrefix: 'A',
      streamThreshold: 0, // the literal goes to onLiteral as it arrives
    });
    const log = captureLogger();
    const r = await conn.run('FETCH', [raw('1 (BODY[])')], {
      collect: ['FETCH'],
      onLiteral: () => ({
        write: () => {
          // The first piece of the literal is here: trace from now on.
          if (!log.lines.includes('started')) {
            log.lines.push('started');
            conn.setLogger(log.logger);
            sendRest();
          }
        },
        end: () => undefined,
      }),
    });
    expect(r.tagged.status).toBe('OK');
    await conn.run('NOOP');
    conn.close();
    await server.close();
    expect(log.all()).not.toContain('hunter2');
    expect(log.lines).toContain('S: * 2 EXISTS');
  });
});

describe('selected-mailbox bookkeeping', () => {
  const untagged = (r: object) => ({ kind: 'untagged', ...r }) as UntaggedResponse;

  it('EXISTS, EXPUNGE and VANISHED keep the message count; VANISHED (EARLIER) does not change it', () => {
    const mb = newMailbox('INBOX', false);
    expect(applyUntagged(mb, untagged({ name: 'EXISTS', number: 10 }), true)).toEqual([]);
    expect(applyUntagged(mb, untagged({ name: 'EXISTS', number: 12 }), false)).toEqual([
      { type: 'exists', count: 12, previous: 10 },
    ]);
    applyUntagged(mb, untagged({ name: 'EXPUNGE', number: 3 }), false);
    expect(mb.exists).toBe(11);
    applyUntagged(
      mb,
      untagged({ name: 'VANISHED', earlier: false, uids: SequenceSet.parse('5:7,9') }),
      false,
    );
    expect(mb.exists).toBe(7);
    applyUntagged(
      mb,
      untagged({ name: 'VANISHED', earlier: true, uids: SequenceSet.parse('1:3') }),
      false,
    );
    expect(mb.exists).toBe(7);
    applyUntagged(
      mb,
      untagged({ name: 'VANISHED', earlier: false, uids: SequenceSet.parse('100:*') }),
      false,
    );
    expect(mb.exists).toBe(7); // unknown size: left alone
  });

  it('response codes set UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, NOMODSEQ and READ-ONLY', () => {
    const mb = newMailbox('INBOX', false);
    const ok = (code: object) => untagged({ name: 'OK', code, text: '' });
    applyUntagged(mb, ok({ name: 'UIDVALIDITY', value: 42 }), true);
    applyUntagged(mb, ok({ name: 'UIDNEXT', value: 7 }), true);
    applyUntagged(mb, ok({ name: 'HIGHESTMODSEQ', value: 99n }), true);
    applyUntagged(mb, ok({ name: 'PERMANENTFLAGS', flags: ['\\Seen', '\\*'] }), true);
    applyUntagged(mb, untagged({ name: 'FLAGS', flags: ['\\Seen'] }), true);
    expect(mb).toMatchObject({
      uidValidity: 42,
      uidNext: 7,
      highestModseq: 99n,
      permanentFlags: ['\\Seen', '\\*'],
      flags: ['\\Seen'],
    });
    expect(applyUntagged(mb, ok({ name: 'READ-ONLY' }), false)).toEqual([{ type: 'readonly' }]);
    expect(mb.readOnly).toBe(true);
    applyUntagged(mb, ok({ name: 'NOMODSEQ' }), false);
    expect(mb.noModseq).toBe(true);
    expect(mb.highestModseq).toBeNull();
  });
});
