/**
 * The client's pure parts, without a server: the backoff schedule, the lock
 * queue, the UID tracker used for CONDSTORE resyncs, MIME parameters of
 * downloads, and option defaults.
 */
import { describe, expect, it } from 'vitest';
import { findPart, mimeParam, partMeta } from '../../src/client/download.js';
import { LockQueue } from '../../src/client/mailbox-lock.js';
import { extensionsToEnable, resolveReconnect } from '../../src/client/options.js';
import { backoffDelay, isFatalReconnectError, ReadyGate } from '../../src/client/reconnect.js';
import { UidTracker } from '../../src/client/uid-tracker.js';
import { SequenceSet } from '../../src/model/sequence-set.js';
import type { BodyStructure } from '../../src/model/body-structure.js';
import type { SimpleResponseCodeName } from '../../src/model/response-code.js';
import {
  ImapArgumentError,
  ImapConnectionError,
  ImapLimitError,
  ImapProtocolError,
} from '../../src/model/errors.js';

describe('backoff', () => {
  const opts = { initialDelayMs: 100, maxDelayMs: 1000 };

  it('doubles per attempt with equal jitter (between half and all of the step) and is capped', () => {
    expect(backoffDelay(1, opts, () => 0)).toBe(50);
    expect(backoffDelay(1, opts, () => 1)).toBe(100);
    expect(backoffDelay(2, opts, () => 0)).toBe(100);
    expect(backoffDelay(3, opts, () => 1)).toBe(400);
    expect(backoffDelay(5, opts, () => 1)).toBe(1000);
    expect(backoffDelay(50, opts, () => 0.5)).toBe(750);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(4, opts);
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });

  it('a refused login and caller errors are fatal; network failures and BYE are retried', () => {
    const authFailed = new ImapProtocolError('NO', 'LOGIN failed', {
      responseCode: { name: 'AUTHENTICATIONFAILED' },
    });
    const unavailable = new ImapProtocolError('NO', 'LOGIN failed', {
      responseCode: { name: 'UNAVAILABLE' },
    });
    expect(isFatalReconnectError(authFailed)).toBe(true);
    expect(isFatalReconnectError(unavailable)).toBe(false);
    // A refusal of LOGIN / AUTHENTICATE without a code, or a BAD: the
    // credentials (or the command) were rejected; another code: retried.
    const login = (status: 'NO' | 'BAD', command: string, code?: SimpleResponseCodeName) =>
      new ImapProtocolError(status, 'failed', {
        command,
        ...(code === undefined ? {} : { responseCode: { name: code } }),
      });
    expect(isFatalReconnectError(login('NO', 'A1 LOGIN u [redacted]'))).toBe(true);
    expect(isFatalReconnectError(login('BAD', 'A1 AUTHENTICATE PLAIN [redacted]'))).toBe(true);
    expect(isFatalReconnectError(login('NO', 'A1 LOGIN u [redacted]', 'SERVERBUG'))).toBe(false);
    // Gmail's answer while the dropped session still counts: NO [ALERT] Too many simultaneous connections.
    expect(isFatalReconnectError(login('NO', 'A1 AUTHENTICATE XOAUTH2', 'ALERT'))).toBe(false);
    expect(isFatalReconnectError(login('BAD', 'A1 LOGIN u [redacted]', 'ALERT'))).toBe(true);
    expect(isFatalReconnectError(login('NO', 'A1 LOGIN u [redacted]', 'UNAVAILABLE'))).toBe(false);
    expect(isFatalReconnectError(login('NO', 'A1 AUTHENTICATE PLAIN', 'INUSE'))).toBe(false);
    // A NO to another command (e.g. a resync's FETCH) is retried.
    expect(isFatalReconnectError(login('NO', 'A4 UID FETCH 1:* (FLAGS)'))).toBe(false);
    expect(isFatalReconnectError(new ImapConnectionError('CONNECTION_FAILED', 'refused'))).toBe(
      false,
    );
    expect(isFatalReconnectError(new ImapConnectionError('CONNECTION_BYE', 'bye'))).toBe(false);
    expect(isFatalReconnectError(new ImapConnectionError('TLS_REQUIRED', 'no tls'))).toBe(true);
    expect(isFatalReconnectError(new ImapArgumentError('bad'))).toBe(true);
    // The same data would exceed the same limit again.
    expect(isFatalReconnectError(new ImapLimitError('maxCollectedBytes', 'too much'))).toBe(true);
    expect(isFatalReconnectError(new Error('ECONNRESET'))).toBe(false);
  });

  it('the ready gate times out waiters with CONNECTION_TIMEOUT and lets the others through', async () => {
    const gate = new ReadyGate<string>();
    const slow = gate.wait(20);
    const ok = gate.wait(5000);
    await expect(slow).rejects.toMatchObject({ code: 'CONNECTION_TIMEOUT' });
    gate.open('conn');
    await expect(ok).resolves.toBe('conn');
  });
});

describe('options', () => {
  it('reconnects by default with bounded, validated delays', () => {
    expect(resolveReconnect(undefined)).toEqual({
      enabled: true,
      maxAttempts: 10,
      initialDelayMs: 250,
      maxDelayMs: 30_000,
      waitTimeoutMs: 60_000,
    });
    expect(resolveReconnect(false).enabled).toBe(false);
    expect(resolveReconnect({ initialDelayMs: 5000, maxDelayMs: 10 }).maxDelayMs).toBe(5000);
    expect(() => resolveReconnect({ maxAttempts: -1 })).toThrow(ImapArgumentError);
  });

  it('delays beyond what a Node.js timer keeps (2^31 - 1 ms): Infinity waits without a timer, the rest is capped', async () => {
    const max = 2 ** 31 - 1;
    const r = resolveReconnect({ waitTimeoutMs: Infinity, maxDelayMs: Infinity });
    expect(r.waitTimeoutMs).toBe(Infinity);
    expect(r.maxDelayMs).toBe(max);
    expect(resolveReconnect({ waitTimeoutMs: 2 ** 32, initialDelayMs: 2 ** 40 })).toMatchObject({
      waitTimeoutMs: max,
      initialDelayMs: max,
    });
    expect(backoffDelay(40, { initialDelayMs: 250, maxDelayMs: Infinity }, () => 1)).toBe(max);
    // Such a timer would fire after 1 ms: the waiters must still be waiting.
    for (const timeout of [Infinity, resolveReconnect({ waitTimeoutMs: 2 ** 32 }).waitTimeoutMs]) {
      const gate = new ReadyGate<string>();
      const waiting = gate.wait(timeout);
      const early = await Promise.race([
        waiting.then(
          () => 'resolved',
          () => 'rejected',
        ),
        new Promise((r) => setTimeout(() => r('waiting'), 30)),
      ]);
      expect(early).toBe('waiting');
      gate.open('conn');
      await expect(waiting).resolves.toBe('conn');
    }
  });

  it('ENABLEs CONDSTORE and QRESYNC unless turned off, plus the extras once', () => {
    expect(extensionsToEnable({})).toEqual(['CONDSTORE', 'QRESYNC']);
    expect(extensionsToEnable({ qresync: false, enable: ['utf8=accept', 'CONDSTORE'] })).toEqual([
      'CONDSTORE',
      'UTF8=ACCEPT',
    ]);
    expect(extensionsToEnable({ qresync: false, condstore: false })).toEqual([]);
  });

  it('ENABLEs UIDONLY (RFC 9586) only when uidOnly asks for it', () => {
    expect(extensionsToEnable({ uidOnly: true })).toEqual(['CONDSTORE', 'QRESYNC', 'UIDONLY']);
    expect(extensionsToEnable({ uidOnly: false })).not.toContain('UIDONLY');
  });
});

describe('LockQueue', () => {
  it('grants in request order, one holder at a time, and reports busy/free', async () => {
    const events: string[] = [];
    const q = new LockQueue({
      onBusy: () => events.push('busy'),
      onFree: () => events.push('free'),
    });
    const r1 = await q.acquire();
    const order: number[] = [];
    const p2 = q.acquire().then((r) => {
      order.push(2);
      return r;
    });
    const p3 = q.acquire().then((r) => {
      order.push(3);
      return r;
    });
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(q.waiting).toBe(2);
    r1();
    r1(); // idempotent: does not release the next holder
    const r2 = await p2;
    expect(order).toEqual([2]);
    r2();
    const r3 = await p3;
    expect(order).toEqual([2, 3]);
    expect(q.held).toBe(true);
    r3();
    expect(q.held).toBe(false);
    expect(events).toEqual(['busy', 'free']);
  });

  it('a pending holder is not active until markReady; the next pending grant resets it', async () => {
    const q = new LockQueue();
    const r1 = await q.acquire(undefined, true);
    expect(q.held).toBe(true);
    expect(q.holderActive).toBe(false);
    q.markReady();
    expect(q.holderActive).toBe(true);
    const p2 = q.acquire(undefined, true);
    r1();
    const r2 = await p2;
    expect(q.holderActive).toBe(false);
    r2();
    expect(q.holderActive).toBe(false);
    expect((await q.acquire()) && q.holderActive).toBe(true);
  });

  it('an aborted waiter leaves the queue; failWaiters rejects the rest', async () => {
    const q = new LockQueue();
    const r1 = await q.acquire();
    const ac = new AbortController();
    const aborted = q.acquire(ac.signal);
    const failed = q.acquire();
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    q.failWaiters(new ImapConnectionError('CONNECTION_CLOSED', 'closed'));
    await expect(failed).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    r1();
    expect(q.held).toBe(false);
  });
});

describe('UidTracker', () => {
  it('an EXPUNGE past every message removes nothing (a newer unknown message stays to be learnt)', () => {
    const t = new UidTracker([1, 2, 3]);
    t.exists(4); // one new message, UID unknown
    expect(t.expunge(9)).toBeUndefined();
    t.fetched(4, 10);
    expect(t.uidOf(4)).toBe(10);
    expect(t.uids).toEqual([1, 2, 3, 10]);
  });

  it('maps EXPUNGE sequence numbers to UIDs, learns new UIDs from FETCH, diffs what vanished', () => {
    const t = new UidTracker([7, 3, 5, 9]);
    expect(t.uids).toEqual([3, 5, 7, 9]);
    expect(t.expunge(2)).toBe(5);
    expect(t.uids).toEqual([3, 7, 9]);
    t.exists(5); // two new messages, UIDs unknown
    expect(t.expunge(5)).toBeUndefined(); // the second new one
    t.fetched(4, 12);
    expect(t.uids).toEqual([3, 7, 9, 12]);
    expect(t.uidOf(4)).toBe(12);
    expect(t.vanishedFrom([3, 12, 13])?.toString()).toBe('7,9');
    expect(t.vanishedFrom([3, 7, 9, 12])).toBeNull();
  });

  it('with UIDONLY (RFC 9586): VANISHED removes by UID, UIDFETCH fills in new messages', () => {
    const t = new UidTracker([3, 5, 7, 9]);
    t.vanish(SequenceSet.parse('5,8:9'));
    expect(t.uids).toEqual([3, 7]);
    t.exists(4); // two new messages, UIDs unknown
    t.fetchedUid(4); // an old UID (below the known ones): not a new message
    t.fetchedUid(12);
    expect(t.uids).toEqual([3, 7, 12]);
    t.vanish(SequenceSet.parse('13')); // the other new one, never fetched
    t.fetchedUid(14); // no unknown message left to be
    expect(t.uids).toEqual([3, 7, 12]);
    t.vanish(SequenceSet.parse('1:7'));
    expect(t.uids).toEqual([12]);
    expect(t.vanishedFrom([12])).toBeNull();
  });

  it('agrees with a plain array through random EXPUNGE, EXISTS and FETCH', () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const model = Array.from({ length: 40 }, (_, i) => 2 * i + 1);
    let unknown = 0;
    let next = 100;
    const t = new UidTracker([...model].reverse());
    for (let step = 0; step < 3000; step++) {
      const op = random(3);
      if (op === 0) {
        const seq = 1 + random(model.length + unknown + 1);
        const want = seq <= model.length ? model.splice(seq - 1, 1)[0] : undefined;
        if (want === undefined && unknown > 0) unknown--;
        expect(t.expunge(seq)).toBe(want);
      } else if (op === 1) {
        const more = random(3);
        unknown += more;
        t.exists(model.length + unknown);
      } else if (unknown > 0) {
        model.push(next);
        unknown--;
        t.fetched(model.length, next++);
      }
      const seq = 1 + random(model.length + 2);
      expect(t.uidOf(seq)).toBe(model[seq - 1]);
    }
    expect(t.uids).toEqual(model);
  });

  it('expunging 400,000 messages one response at a time stays fast (splicing an array was quadratic)', () => {
    const n = 400_000;
    const t = new UidTracker(Array.from({ length: n }, (_, i) => i + 1));
    const started = performance.now();
    let wrong = 0;
    for (let i = 1; i <= n; i++) if (t.expunge(1) !== i) wrong++;
    expect(wrong).toBe(0);
    // The array took ~0.9-1.4 s for 100,000 (200,000: 10 s; 400,000: past
    // the test's timeout); the tree takes ~15 ms per 100,000: the bound is generous.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(t.uids).toEqual([]);
  });
});

describe('download meta', () => {
  it('decodes RFC 2231 extended and continued parameters and RFC 2047 words', () => {
    expect(
      mimeParam(new Map([['filename*', "UTF-8''Vertrag%20%C3%84nderungen.pdf"]]), 'filename'),
    ).toBe('Vertrag Änderungen.pdf');
    expect(
      mimeParam(
        new Map([
          ['name*0*', "iso-8859-1'de'R%E9sum"],
          ['name*1', '%E9.txt'],
        ]),
        'name',
      ),
    ).toBe('Résum%E9.txt');
    expect(mimeParam(new Map([['name', '=?UTF-8?Q?Caf=C3=A9.txt?=']]), 'name')).toBe('Café.txt');
    expect(mimeParam(new Map(), 'name')).toBeUndefined();
  });

  it('keeps characters outside the BMP in raw UTF-8 extended parameters', () => {
    // RFC 6532-style raw UTF-8 mixed with percent-encoding: U+1F4CE is two UTF-16 code units.
    expect(
      mimeParam(new Map([['filename*', "UTF-8''r\u00e9sum\u00e9 \u{1F4CE}%20x.pdf"]]), 'filename'),
    ).toBe('résumé \u{1F4CE} x.pdf');
    expect(mimeParam(new Map([['filename*', "UTF-8''%F0%9F%93%8E.pdf"]]), 'filename')).toBe(
      '\u{1F4CE}.pdf',
    );
    expect(
      mimeParam(
        new Map([
          ['name*0*', "UTF-8''\u{1F600}"],
          ['name*1*', '\u{1F4CE}%'],
        ]),
        'name',
      ),
    ).toBe('\u{1F600}\u{1F4CE}%');
  });

  it('finds parts by number, inside message/rfc822 too', () => {
    const inner: BodyStructure = {
      part: '2.1',
      type: 'text',
      subtype: 'html',
      params: new Map([['charset', 'utf-8']]),
      id: null,
      description: null,
      encoding: 'quoted-printable',
      size: 10,
    };
    const structure: BodyStructure = {
      part: '',
      type: 'multipart',
      subtype: 'mixed',
      params: new Map(),
      childNodes: [
        {
          part: '1',
          type: 'text',
          subtype: 'plain',
          params: new Map([['charset', 'us-ascii']]),
          id: null,
          description: null,
          encoding: '7bit',
          size: 5,
        },
        {
          part: '2',
          type: 'message',
          subtype: 'rfc822',
          params: new Map(),
          id: null,
          description: null,
          encoding: '7bit',
          size: 50,
          disposition: { type: 'attachment', params: new Map([['filename', 'fwd.eml']]) },
          body: inner,
        },
      ],
    };
    expect(findPart(structure, '2.1')).toBe(inner);
    expect(findPart(structure, '3')).toBeNull();
    expect(partMeta(structure, '2')).toEqual({
      contentType: 'message/rfc822',
      filename: 'fwd.eml',
      encoding: '7bit',
    });
    expect(partMeta(structure, '2.1')).toEqual({
      contentType: 'text/html',
      charset: 'utf-8',
      encoding: 'quoted-printable',
    });
    // Whole-message sections: the message, its headers, its body.
    expect(partMeta(structure, '')).toEqual({ contentType: 'message/rfc822' });
    expect(partMeta(undefined, '')).toEqual({ contentType: 'message/rfc822' });
    expect(partMeta(structure, 'HEADER')).toEqual({ contentType: 'text/rfc822-headers' });
    expect(partMeta(structure, 'header.fields (Subject)')).toEqual({
      contentType: 'text/rfc822-headers',
    });
    expect(partMeta(structure, '1.MIME')).toEqual({ contentType: 'text/rfc822-headers' });
    expect(partMeta(structure, 'TEXT')).toEqual({ contentType: 'multipart/mixed' });
    expect(partMeta(structure, '2.HEADER')).toEqual({ contentType: 'text/rfc822-headers' });
    expect(partMeta(structure, '2.TEXT')).toEqual({
      contentType: 'text/html',
      charset: 'utf-8',
      encoding: 'quoted-printable',
    });
    expect(partMeta(structure, '1.TEXT')).toEqual({}); // not a message/rfc822 part
    expect(partMeta(structure, '3.TEXT')).toEqual({});
  });

  it('a single-part message: the whole message has no transfer encoding, its TEXT has', () => {
    const single: BodyStructure = {
      part: '1',
      type: 'text',
      subtype: 'plain',
      params: new Map([['charset', 'utf-8']]),
      id: null,
      description: null,
      encoding: 'base64',
      size: 10,
    };
    expect(partMeta(single, '')).toEqual({ contentType: 'message/rfc822' });
    expect(partMeta(single, 'TEXT')).toEqual({
      contentType: 'text/plain',
      charset: 'utf-8',
      encoding: 'base64',
    });
    expect(partMeta(single, '1')).toEqual({
      contentType: 'text/plain',
      charset: 'utf-8',
      encoding: 'base64',
    });
  });
});
