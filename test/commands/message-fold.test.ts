/**
 * Message commands against a fake CommandContext returning canned model
 * objects: what is sent, and how the responses are folded.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/commands/check.js';
import { close } from '../../src/commands/close.js';
import { copy } from '../../src/commands/copy.js';
import { expunge } from '../../src/commands/expunge.js';
import {
  decodeEnvelope,
  fetch,
  fetchAll,
  fetchOne,
  fetchStream,
  parseMessageDate,
  toFetchedMessage,
} from '../../src/commands/fetch.js';
import { move } from '../../src/commands/move.js';
import { sectionKey } from '../../src/commands/fetch-items.js';
import { partial } from '../../src/commands/partial.js';
import { search } from '../../src/commands/search.js';
import { sort } from '../../src/commands/sort.js';
import { store } from '../../src/commands/store.js';
import { thread } from '../../src/commands/thread.js';
import { uidExpunge } from '../../src/commands/uid-expunge.js';
import { unselect } from '../../src/commands/unselect.js';
import type {
  CommandContext,
  CommandResult,
  ConnectionState,
  RunOptions,
  SelectedMailbox,
} from '../../src/connection/types.js';
import {
  ImapArgumentError,
  ImapCapabilityError,
  ImapProtocolError,
} from '../../src/model/errors.js';
import type { ResponseCode } from '../../src/model/response-code.js';
import type {
  FetchAttributes,
  FetchedSection,
  TaggedResponse,
  UntaggedResponse,
} from '../../src/model/response.js';
import { SequenceSet } from '../../src/model/sequence-set.js';
import type { CommandArg } from '../../src/wire/command-arg.js';
import { encodeCommand } from '../../src/wire/encoder.js';
import { ResponseParser } from '../../src/wire/parser.js';
import type { LiteralSink } from '../../src/wire/parser-options.js';

/** What the fake server does for one command. */
interface Reply {
  untagged?: UntaggedResponse[];
  status?: 'OK' | 'NO' | 'BAD';
  code?: ResponseCode | null;
  text?: string;
  /** Runs with the options (to drive onLiteral / onUntagged by hand); its result replaces `untagged` delivery. */
  drive?: (options: RunOptions) => Promise<void>;
}

interface Sent {
  line: string;
  options: RunOptions;
}

class FakeContext implements CommandContext {
  readonly capabilities: Set<string>;
  readonly state: ConnectionState = 'selected';
  readonly selected: SelectedMailbox | null = null;
  readonly enabled = new Set<string>();
  utf8Enabled = false;
  readonly sent: Sent[] = [];
  readonly replies: Array<(line: string) => Reply> = [];
  /** Untagged responses are delivered one per macrotask, like socket reads. */
  async = true;

  constructor(caps: string[]) {
    this.capabilities = new Set(caps.map((c) => c.toUpperCase()));
  }

  hasCapability(name: string): boolean {
    return this.capabilities.has(name.toUpperCase());
  }

  reply(r: Reply | ((line: string) => Reply)): this {
    this.replies.push(typeof r === 'function' ? r : () => r);
    return this;
  }

  lines(): string[] {
    return this.sent.map((s) => s.line);
  }

  async run(
    command: string,
    args: CommandArg[] = [],
    options: RunOptions = {},
  ): Promise<CommandResult> {
    const enc = encodeCommand('T', command, args, { literalMode: 'plus' });
    const line = enc.parts
      .map((p) => (p.type === 'data' ? p.data.toString('latin1') : ''))
      .join('')
      .replace(/\r\n$/, '');
    this.sent.push({ line, options });
    const next = this.replies.shift();
    const r: Reply = next === undefined ? {} : next(line);
    const collected: UntaggedResponse[] = [];
    if (r.drive !== undefined) await r.drive(options);
    for (const u of r.untagged ?? []) {
      if (this.async) await new Promise((resolve) => setImmediate(resolve));
      if (options.onUntagged !== undefined) {
        // One command in flight: what it declines unless wanted, it takes.
        if (options.onUntagged(u) === 'unless-wanted') options.onUntagged(u, true);
      } else collected.push(u);
    }
    const tagged: TaggedResponse = {
      kind: 'tagged',
      tag: 'T',
      status: r.status ?? 'OK',
      code: r.code ?? null,
      text: r.text ?? 'done',
    };
    return { tagged, untagged: collected, command: enc.redacted };
  }

  async exec(
    command: string,
    args: CommandArg[] = [],
    options: RunOptions = {},
  ): Promise<CommandResult> {
    const result = await this.run(command, args, options);
    const t = result.tagged;
    if (t.status !== 'OK') {
      throw new ImapProtocolError(t.status, `${command} failed: ${t.text}`, {
        command: result.command,
        serverText: t.text,
        responseCode: t.code,
      });
    }
    return result;
  }
}

/** A fake whose reading can be paused, counting pauses and resumes. */
class PausableFake extends FakeContext {
  pauses = 0;
  resumes = 0;
  pauseReading(): () => void {
    this.pauses++;
    return () => {
      this.resumes++;
    };
  }
}

function fetchResp(seq: number, attributes: FetchAttributes): UntaggedResponse {
  return { kind: 'untagged', name: 'FETCH', seq, attributes };
}

function section(
  item: FetchedSection['item'],
  sec: string,
  data: FetchedSection['data'],
): FetchedSection {
  return { item, section: sec, origin: null, data };
}

/** An ENVELOPE of NILs, as the parser gives it. */
const NIL_ENVELOPE = {
  date: null,
  subject: null,
  from: null,
  sender: null,
  replyTo: null,
  to: null,
  cc: null,
  bcc: null,
  inReplyTo: null,
  messageId: null,
};

const ALL_CAPS = [
  'IMAP4rev1',
  'CONDSTORE',
  'QRESYNC',
  'ESEARCH',
  'SEARCHRES',
  'MOVE',
  'UIDPLUS',
  'SORT',
  'SORT=DISPLAY',
  'THREAD=REFERENCES',
  'BINARY',
  'UNSELECT',
  'WITHIN',
];

describe('fetch: command and folding', () => {
  it('UID FETCH is sent pipelined with the items and CHANGEDSINCE/VANISHED modifiers', async () => {
    const ctx = new FakeContext(ALL_CAPS).reply({
      untagged: [
        { kind: 'untagged', name: 'VANISHED', earlier: true, uids: SequenceSet.parse('1:3') },
      ],
    });
    ctx.enabled.add('QRESYNC');
    const vanished: string[] = [];
    const out = await fetchAll(
      ctx,
      '1:*',
      { flags: true, modseq: true },
      {
        uid: true,
        changedSince: 42n,
        vanished: true,
        onVanished: (s) => vanished.push(s.toString()),
      },
    );
    expect(out).toEqual([]);
    expect(vanished).toEqual(['1:3']);
    expect(ctx.lines()).toEqual(['T UID FETCH 1:* (FLAGS MODSEQ) (CHANGEDSINCE 42 VANISHED)']);
    expect(ctx.sent[0]!.options.pipeline).toBe(true);
    expect(ctx.sent[0]!.options.collect).toContain('FETCH');
  });

  it('FETCH by sequence numbers is not pipelined (RFC 9051 5.5)', async () => {
    const ctx = new FakeContext([]).reply({ untagged: [] });
    await fetchAll(ctx, [1, 2, 3, 7], { uid: true });
    expect(ctx.lines()).toEqual(['T FETCH 1:3,7 (UID)']);
    expect(ctx.sent[0]!.options.pipeline).toBe(false);
  });

  it('a missing capability throws before anything is sent', () => {
    const ctx = new FakeContext([]);
    expect(() => fetch(ctx, 1, { modseq: true })).toThrow(ImapCapabilityError);
    expect(() => fetch(ctx, 1, { bodyParts: [{ section: '1', binary: true }] })).toThrow(/BINARY/);
    expect(() => fetch(ctx, 1, { uid: true }, { changedSince: 1n })).toThrow(ImapCapabilityError);
    expect(() => fetch(ctx, 1, { emailId: true })).toThrow(/OBJECTID/);
    expect(() => fetch(ctx, 1, { saveDate: true })).toThrow(/SAVEDATE/);
    expect(() => fetch(ctx, 1, { preview: true })).toThrow(/PREVIEW/);
    expect(() => fetch(ctx, 1, { gmail: { labels: true } })).toThrow(/X-GM-EXT-1/);
    expect(ctx.sent).toEqual([]);
  });

  it('VANISHED needs QRESYNC enabled, UID FETCH and changedSince', () => {
    const ctx = new FakeContext(ALL_CAPS);
    expect(() =>
      fetch(ctx, 1, { flags: true }, { uid: true, changedSince: 1n, vanished: true }),
    ).toThrow(/enabled/);
    ctx.enabled.add('QRESYNC');
    expect(() => fetch(ctx, 1, { flags: true }, { changedSince: 1n, vanished: true })).toThrow(
      ImapArgumentError,
    );
  });

  it('folds attributes into a typed message', async () => {
    const header = Buffer.from('Subject: hi\r\n\r\n');
    const text = Buffer.from('body');
    const ctx = new FakeContext(ALL_CAPS).reply({
      untagged: [
        fetchResp(3, {
          uid: 103,
          flags: ['\\Seen', 'Work'],
          internalDate: '17-Jul-1996 02:44:25 -0700',
          rfc822Size: 4286,
          modseq: 12345678901234567n,
          envelope: {
            date: 'Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
            subject: '=?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4g4piV?=',
            from: [
              {
                name: '=?UTF-8?Q?Zo=C3=AB_=C3=85berg?=',
                adl: null,
                mailbox: 'zoe',
                host: 'example.se',
                address: 'zoe@example.se',
              },
            ],
            sender: null,
            replyTo: null,
            to: [
              {
                group: 'Team',
                members: [
                  {
                    name: null,
                    adl: null,
                    mailbox: 'alice',
                    host: 'example.com',
                    address: 'alice@example.com',
                  },
                ],
              },
            ],
            cc: null,
            bcc: null,
            inReplyTo: null,
            messageId: '<x@y>',
          },
          sections: new Map([
            ['BODY[HEADER]', section('BODY', 'HEADER', header)],
            ['BODY[1]', section('BODY', '1', text)],
            ['BODY[2]', section('BODY', '2', null)],
          ]),
        }),
      ],
    });
    const [m] = await fetchAll(ctx, 103, { flags: true }, { uid: true });
    expect(m!.seq).toBe(3);
    expect(m!.uid).toBe(103);
    expect(m!.flags).toEqual(new Set(['\\Seen', 'Work']));
    expect(m!.internalDate!.toISOString()).toBe('1996-07-17T09:44:25.000Z');
    expect(m!.size).toBe(4286);
    expect(m!.modseq).toBe(12345678901234567n);
    expect(m!.envelope!.subject).toBe('Grüße aus München ☕');
    expect(m!.envelope!.rawSubject).toBe('=?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4g4piV?=');
    expect(m!.envelope!.date!.toISOString()).toBe('1996-07-17T09:23:25.000Z');
    expect(m!.envelope!.from).toEqual([
      {
        name: 'Zoë Åberg',
        address: 'zoe@example.se',
        mailbox: 'zoe',
        host: 'example.se',
        adl: null,
      },
    ]);
    expect(m!.envelope!.to).toEqual([
      {
        group: 'Team',
        members: [
          {
            name: null,
            address: 'alice@example.com',
            mailbox: 'alice',
            host: 'example.com',
            adl: null,
          },
        ],
      },
    ]);
    expect(m!.envelope!.cc).toEqual([]);
    expect(m!.headers).toBe(header);
    expect(m!.parts.get('BODY[1]')).toBe(text);
    expect(m!.parts.get('BODY[2]')).toBeNull();
    expect(m!.source).toBeUndefined();
    expect(m!.attributes.rfc822Size).toBe(4286);
  });

  it('skips unsolicited FETCH without UID during a UID FETCH', async () => {
    const ctx = new FakeContext([]).reply({
      untagged: [fetchResp(1, { flags: [] }), fetchResp(2, { uid: 20, flags: [] })],
    });
    const out = await fetchAll(ctx, '1:*', { flags: true }, { uid: true });
    expect(out.map((m) => m.uid)).toEqual([20]);
  });

  it('yields messages as they arrive, before the command completes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ctx = new FakeContext([]).reply({
      drive: async (o) => {
        o.onUntagged!(fetchResp(1, { uid: 1 }));
        await gate;
        o.onUntagged!(fetchResp(2, { uid: 2 }));
      },
    });
    const it = fetch(ctx, '1:2', { uid: true });
    const first = await it.next();
    expect(first.value!.uid).toBe(1);
    release();
    expect((await it.next()).value!.uid).toBe(2);
    expect((await it.next()).done).toBe(true);
  });

  it('concurrent next() calls each get the next message, then done', async () => {
    const ctx = new FakeContext([]).reply({
      untagged: [fetchResp(1, { uid: 1 }), fetchResp(2, { uid: 2 })],
    });
    const it = fetch(ctx, '1:2', { uid: true });
    const [a, b, c] = await Promise.all([it.next(), it.next(), it.next()]);
    expect([a.value?.seq, b.value?.seq, c.done]).toEqual([1, 2, true]);
  });

  it('a NO is thrown from the loop after the messages received before it', async () => {
    const ctx = new FakeContext([]).reply({
      untagged: [fetchResp(1, { uid: 1 })],
      status: 'NO',
      text: 'Some messages could not be FETCHed',
      code: { name: 'EXPUNGEISSUED' },
    });
    const got: number[] = [];
    let error: unknown;
    try {
      for await (const m of fetch(ctx, '1:*', { uid: true })) got.push(m.seq);
    } catch (err) {
      error = err;
    }
    expect(got).toEqual([1]);
    expect(error).toBeInstanceOf(ImapProtocolError);
    expect((error as ImapProtocolError).responseCode).toEqual({ name: 'EXPUNGEISSUED' });
  });

  it('breaking out early discards the rest and lets the command finish', async () => {
    let finished = false;
    const ctx = new FakeContext([]).reply({
      drive: async (o) => {
        for (let i = 1; i <= 5; i++) {
          o.onUntagged!(fetchResp(i, { uid: i }));
          await new Promise((r) => setImmediate(r));
        }
        finished = true;
      },
    });
    for await (const m of fetch(ctx, '1:*', { uid: true })) {
      if (m.seq === 2) break;
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(finished).toBe(true);
  });

  it('bounds its buffer: pauses reading at the high-water mark and resumes at half', async () => {
    const ctx = new PausableFake([]);
    ctx.reply({
      drive: async (o) => {
        for (let i = 1; i <= 6; i++) o.onUntagged!(fetchResp(i, { uid: i }));
      },
    });
    const it = fetch(ctx, '1:*', { uid: true }, { highWaterMark: 4 });
    const first = await it.next(); // starts the command; the drive pushes 6 synchronously
    expect(first.value!.seq).toBe(1);
    expect(ctx.pauses).toBe(1);
    const seqs = [first.value!.seq];
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      seqs.push(r.value.seq);
    }
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ctx.resumes).toBe(1);
  });

  it('fetchOne picks the message asked for; null when absent', async () => {
    const ctx = new FakeContext([])
      .reply({ untagged: [fetchResp(9, { uid: 77, flags: ['\\Seen'] })] })
      .reply({ untagged: [] });
    expect((await fetchOne(ctx, 77, { flags: true }, { uid: true }))!.seq).toBe(9);
    expect(await fetchOne(ctx, 5, { flags: true })).toBeNull();
  });
});

describe('fetchStream', () => {
  it('resolves when the literal starts and streams its chunks in one round trip', async () => {
    let sink: LiteralSink | null = null;
    const ctx = new PausableFake(ALL_CAPS).reply({
      drive: async (o) => {
        sink = o.onLiteral!({
          size: 6,
          seq: 4,
          name: 'FETCH',
          item: 'BODY[1.2]',
          prefix: Buffer.from('* 4 FETCH (UID 40 BODY[1.2] '),
        });
        expect(sink).not.toBeNull();
        sink!.write(Buffer.from('abc'));
        await new Promise((r) => setImmediate(r));
        sink!.write(Buffer.from('def'));
        sink!.end();
        o.onUntagged!(
          fetchResp(4, {
            uid: 40,
            sections: new Map([['BODY[1.2]', section('BODY', '1.2', { streamed: true, size: 6 })]]),
          }),
        );
      },
    });
    const { stream, size } = await fetchStream(ctx, 40, '1.2', { uid: true });
    expect(size).toBe(6);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('abcdef');
    expect(ctx.lines()).toEqual(['T UID FETCH 40 (BODY.PEEK[1.2])']);
    expect(ctx.sent[0]!.options.pipeline).toBe(true);
  });

  it('pauses reading while the stream buffer is full, resumes when read', async () => {
    const ctx = new PausableFake([]);
    let sink!: LiteralSink;
    let driveDone!: () => void;
    const done = new Promise<void>((r) => (driveDone = r));
    ctx.reply({
      drive: async (o) => {
        sink = o.onLiteral!({
          size: 40,
          seq: 1,
          name: 'FETCH',
          item: 'BODY[]',
          prefix: Buffer.alloc(0),
        })!;
        for (let i = 0; i < 4; i++) sink.write(Buffer.alloc(10, 0x61 + i));
        sink.end();
        await done;
      },
    });
    const { stream } = await fetchStream(ctx, 1, '', { highWaterMark: 16 });
    expect(ctx.pauses).toBeGreaterThanOrEqual(1);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    driveDone();
    expect(Buffer.concat(chunks).toString()).toBe(
      'a'.repeat(10) + 'b'.repeat(10) + 'c'.repeat(10) + 'd'.repeat(10),
    );
    expect(ctx.resumes).toBe(ctx.pauses);
  });

  it('a small (buffered) section comes from the FETCH response; BINARY.PEEK when asked', async () => {
    const ctx = new FakeContext(ALL_CAPS).reply({
      untagged: [
        fetchResp(2, {
          sections: new Map([['BINARY[1]', section('BINARY', '1', Buffer.from('xyz'))]]),
        }),
      ],
    });
    const { stream, size } = await fetchStream(ctx, 2, '1', { binary: true });
    expect(size).toBe(3);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('xyz');
    expect(ctx.lines()).toEqual(['T FETCH 2 (BINARY.PEEK[1])']);
  });

  it('a range is found under its origin key (BODY[1]<5>); a whole-section request does not take another range', async () => {
    const range = (origin: number, data: string): FetchedSection => ({
      ...section('BODY', '1', Buffer.from(data)),
      origin,
    });
    const ctx = new FakeContext(ALL_CAPS)
      .reply({
        untagged: [fetchResp(2, { sections: new Map([['BODY[1]<5>', range(5, 'fghij')]]) })],
      })
      .reply({
        untagged: [fetchResp(2, { sections: new Map([['BODY[1]<0>', range(0, 'abc')]]) })],
      });
    const r = await fetchStream(ctx, 2, '1', { partial: { start: 5, length: 5 } });
    expect(r.size).toBe(5);
    const chunks: Buffer[] = [];
    for await (const c of r.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('fghij');
    await expect(fetchStream(ctx, 2, '1')).rejects.toBeInstanceOf(ImapArgumentError);
    expect(ctx.lines()).toEqual(['T FETCH 2 (BODY.PEEK[1]<5.5>)', 'T FETCH 2 (BODY.PEEK[1])']);
  });

  it('rejects on NO before the literal, and on a message that does not exist', async () => {
    const ctx = new FakeContext(ALL_CAPS)
      .reply({ status: 'NO', code: { name: 'UNKNOWN-CTE' }, text: 'unknown CTE' })
      .reply({ untagged: [] });
    await expect(fetchStream(ctx, 2, '1', { binary: true })).rejects.toBeInstanceOf(
      ImapProtocolError,
    );
    await expect(fetchStream(ctx, 99, '1', { uid: true })).rejects.toBeInstanceOf(
      ImapArgumentError,
    );
  });

  it('a failure after the literal started is the stream error', async () => {
    const ctx = new FakeContext([]).reply({
      status: 'BAD',
      drive: async (o) => {
        const sink = o.onLiteral!({
          size: 10,
          seq: 1,
          name: 'FETCH',
          item: 'BODY[TEXT]',
          prefix: Buffer.alloc(0),
        })!;
        sink.write(Buffer.from('12345'));
      },
    });
    const { stream } = await fetchStream(ctx, 1, 'TEXT');
    const err = await new Promise((resolve) => {
      stream.on('error', resolve);
      stream.resume();
    });
    expect(err).toBeInstanceOf(ImapProtocolError);
  });

  it('BINARY needs the BINARY capability', () => {
    expect(() => fetchStream(new FakeContext([]), 1, '1', { binary: true })).toThrow(
      ImapCapabilityError,
    );
  });
});

describe('toFetchedMessage', () => {
  const envelope = { ...NIL_ENVELOPE, date: 'Thu, 1 Jan 2015 06:00:00 +0000', subject: 'hi' };
  const structure = {
    part: '1',
    type: 'text',
    subtype: 'plain',
    params: new Map<string, string>(),
    id: null,
    description: null,
    encoding: '7bit',
    size: 3,
  };
  const usual = (over: Partial<FetchAttributes> = {}): FetchAttributes => ({
    uid: 7,
    flags: ['\\Seen'],
    internalDate: '01-Jan-2015 06:01:00 +0000',
    rfc822Size: 10,
    envelope,
    bodyStructure: structure,
    ...over,
  });

  it('folds the usual listing with the same properties, in the same order, as the general path', () => {
    const m = toFetchedMessage(3, usual());
    expect(Object.keys(m)).toEqual([
      'seq',
      'parts',
      'attributes',
      'uid',
      'flags',
      'internalDate',
      'size',
      'envelope',
      'bodyStructure',
    ]);
    expect(m.flags).toEqual(new Set(['\\Seen']));
    expect(m.internalDate!.toISOString()).toBe('2015-01-01T06:01:00.000Z');
    expect(m.envelope!.date!.toISOString()).toBe('2015-01-01T06:00:00.000Z');
    expect(m.bodyStructure).toBe(structure);
    expect(m.parts.size).toBe(0);
    // One more item takes the general path: same values, the extra one added.
    const g = toFetchedMessage(3, usual({ modseq: 5n }));
    expect(Object.keys(g)).toEqual([...Object.keys(m), 'modseq']);
    expect({ ...g, modseq: undefined, attributes: null }).toEqual({ ...m, attributes: null });
  });

  it('gives NIL address lists as one shared, frozen empty array', () => {
    const a = toFetchedMessage(1, usual()).envelope!;
    const b = toFetchedMessage(2, usual()).envelope!;
    expect(a.cc).toEqual([]);
    expect(a.cc).toBe(b.bcc);
    expect(Object.isFrozen(a.to)).toBe(true);
    expect(() => (a.to as unknown[]).push(1)).toThrow(TypeError);
  });

  it('leaves out an INTERNALDATE that does not parse, as the general path does', () => {
    const m = toFetchedMessage(3, usual({ internalDate: '31-Feb-2015 06:01:00 +0000' }));
    expect('internalDate' in m).toBe(false);
    expect(m.uid).toBe(7);
    expect(m.size).toBe(10);
  });
});

describe('envelope and dates', () => {
  it('parses RFC 5322 dates with obsolete zones and two-digit years', () => {
    expect(parseMessageDate('Mon, 7 Feb 1994 21:52:25 -0800')!.toISOString()).toBe(
      '1994-02-08T05:52:25.000Z',
    );
    expect(parseMessageDate('7 Feb 94 21:52 PST')!.toISOString()).toBe('1994-02-08T05:52:00.000Z');
    expect(parseMessageDate('Tue, 1 Jul 2003 10:52:37 GMT')!.toISOString()).toBe(
      '2003-07-01T10:52:37.000Z',
    );
    expect(parseMessageDate('not a date')).toBeNull();
    expect(parseMessageDate(null)).toBeNull();
  });

  it('parses a short or non-ASCII Date: header without reading past it or aliasing characters', () => {
    expect(parseMessageDate('Tue, 1 Jul 2003 10:52')!.toISOString()).toBe(
      '2003-07-01T10:52:00.000Z',
    );
    expect(parseMessageDate('Tue, 1 Jul 2003 10:52:37 +0200 (CEST)')!.toISOString()).toBe(
      '2003-07-01T08:52:37.000Z',
    );
    expect(parseMessageDate('Tue, 1 J\u0175l 2003 10:52:37 +0000')).toBeNull();
    expect(parseMessageDate('Tue, 1 Jul 2003 1\u0130:52:37 +0000')).toBeNull();
  });

  it("garbage is no date, whatever the machine's zone; ISO 8601 with a zone and asctime are read", () => {
    // V8's Date.parse used to be the last resort: it made dates out of
    // garbage, in the machine's local time.
    for (const garbage of ['Foo 12', 'unknown date 7', 'Message 2024', '2024', 'Tue', '12:00']) {
      expect(parseMessageDate(garbage), garbage).toBeNull();
    }
    expect(parseMessageDate('2019-06-01T12:00:00Z')!.toISOString()).toBe(
      '2019-06-01T12:00:00.000Z',
    );
    expect(parseMessageDate('2019-06-01 12:00:00+02:00')!.toISOString()).toBe(
      '2019-06-01T10:00:00.000Z',
    );
    expect(parseMessageDate('2019-06-01T12:00:00')).toBeNull(); // no zone: would be local time
    // asctime() carries no zone: UTC (RFC 5322 4.3 reads an unknown zone as -0000).
    expect(parseMessageDate('Sat Jun  1 12:00:00 2019')!.toISOString()).toBe(
      '2019-06-01T12:00:00.000Z',
    );
    expect(parseMessageDate('Sat Feb 30 12:00:00 2019')).toBeNull();
  });

  it('zone minutes over 59 make no date; +hh:mm is read as +hhmm', () => {
    expect(parseMessageDate('Mon, 1 Jan 2024 10:00:00 +0060')).toBeNull();
    expect(parseMessageDate('1 Jan 2024 10:00 +0060')).toBeNull();
    expect(parseMessageDate('Mon, 1 Jan 2024 10:00:00 +01:00')!.toISOString()).toBe(
      '2024-01-01T09:00:00.000Z',
    );
  });

  it('one- and two-digit days, every month, leap years and zones agree with Date.UTC', () => {
    const months = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
    const two = (n: number): string => String(n).padStart(2, '0');
    for (const year of [1999, 2000, 2015, 2016, 2100]) {
      for (let month = 0; month < 12; month++) {
        const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
        for (const day of [1, 9, 10, last]) {
          const zone = ((day * 37 + month * 11) % 1500) - 750;
          const z = `${zone < 0 ? '-' : '+'}${two(Math.floor(Math.abs(zone) / 60))}${two(Math.abs(zone) % 60)}`;
          const text = `Fri, ${day} ${months[month]} ${year} 13:07:59 ${z}`;
          expect(parseMessageDate(text)?.getTime(), text).toBe(
            Date.UTC(year, month, day, 13, 7 - zone, 59),
          );
          expect(parseMessageDate(text.slice(5))?.getTime(), text).toBe(
            Date.UTC(year, month, day, 13, 7 - zone, 59),
          );
        }
      }
    }
    expect(parseMessageDate('Fri, 29 Feb 2015 13:07:59 +0000')).toBeNull();
    expect(parseMessageDate('Fri, 32 Jan 2015 13:07:59 +0000')).toBeNull();
    expect(parseMessageDate('Fri, 0 Jan 2015 13:07:59 +0000')).toBeNull();
  });

  it('parses the common form fast and exactly, with or without the weekday and a trailing comment', () => {
    expect(parseMessageDate('Wed, 31 Dec 2025 23:59:59 +0530 (IST)')!.toISOString()).toBe(
      '2025-12-31T18:29:59.000Z',
    );
    expect(parseMessageDate('29 Feb 2024 00:00:00 -0045')!.toISOString()).toBe(
      '2024-02-29T00:45:00.000Z',
    );
    // Not a real day: no silent roll-over into March.
    expect(parseMessageDate('30 Feb 2024 00:00:00 +0000')).toBeNull();
  });

  it('the decoded envelope shares the parsed addresses, copying only what it decodes', () => {
    const ann = {
      name: 'Ann',
      adl: null,
      mailbox: 'ann',
      host: 'a.example',
      address: 'ann@a.example',
    };
    const bob = {
      name: '=?UTF-8?Q?B=C3=B6b?=',
      adl: null,
      mailbox: 'bob',
      host: 'b.example',
      address: 'bob@b.example',
    };
    const nobody = { name: null, adl: null, mailbox: 'root', host: null, address: 'root' };
    const plainGroup = { group: 'Team', members: [ann] };
    const encodedGroup = { group: '=?UTF-8?Q?J=C3=BCry?=', members: [ann, bob] };
    const from = [ann, nobody];
    const to = [ann, bob, nobody];
    const cc = [plainGroup];
    const bcc = [encodedGroup];
    const e = decodeEnvelope({
      date: null,
      subject: 'plain',
      from,
      sender: null,
      replyTo: from,
      to,
      cc,
      bcc,
      inReplyTo: null,
      messageId: null,
    });
    // Nothing to decode: the very same list and objects.
    expect(e.from).toBe(from);
    expect(e.replyTo).toBe(from);
    expect(e.cc).toBe(cc);
    expect(e.sender).toEqual([]);
    // An encoded name: a new list and a new object for it alone; the input is untouched.
    expect(e.to).not.toBe(to);
    expect(e.to[0]).toBe(ann);
    expect(e.to[1]).toEqual({ ...bob, name: 'Böb' });
    expect(e.to[2]).toBe(nobody);
    expect(bob.name).toBe('=?UTF-8?Q?B=C3=B6b?=');
    expect(e.bcc).toEqual([{ group: 'Jüry', members: [ann, { ...bob, name: 'Böb' }] }]);
    expect((e.bcc[0] as { members: readonly unknown[] }).members[0]).toBe(ann);
    expect(encodedGroup.group).toBe('=?UTF-8?Q?J=C3=BCry?=');
  });

  it('an envelope of NILs decodes to nulls and empty lists', () => {
    const e = decodeEnvelope(NIL_ENVELOPE);
    expect(e.date).toBeNull();
    expect(e.subject).toBeNull();
    expect(e.from).toEqual([]);
  });
});

describe('search / sort / thread', () => {
  it('plain SEARCH folds the numbers and the MODSEQ', async () => {
    const ctx = new FakeContext(ALL_CAPS).reply({
      untagged: [
        { kind: 'untagged', name: 'SEARCH', numbers: [2, 5], modseq: null },
        { kind: 'untagged', name: 'SEARCH', numbers: [9], modseq: 917162500n },
      ],
    });
    const r = await search(ctx, { seen: false, modseq: 5n });
    expect(r).toEqual({ numbers: [2, 5, 9], modseq: 917162500n });
    expect(ctx.lines()).toEqual(['T SEARCH UNSEEN MODSEQ 5']);
    expect(ctx.sent[0]!.options.pipeline).toBe(false);
  });

  it('UID SEARCH is pipelined unless it uses sequence numbers', async () => {
    const ctx = new FakeContext([]).reply({}).reply({});
    await search(ctx, { from: 'a' }, { uid: true });
    await search(ctx, { seq: '1:5' }, { uid: true });
    expect(ctx.sent.map((s) => s.options.pipeline)).toEqual([true, false]);
  });

  it('non-ASCII adds CHARSET UTF-8 and a literal', async () => {
    const ctx = new FakeContext([]).reply({});
    await search(ctx, { subject: 'Grüße' });
    expect(ctx.lines()).toEqual(['T SEARCH CHARSET UTF-8 SUBJECT {7+}\r\nGr\xc3\xbc\xc3\x9fe']);
  });

  it('RETURN options are sent before CHARSET and folded from ESEARCH', async () => {
    const ctx = new FakeContext(ALL_CAPS).reply({
      untagged: [
        {
          kind: 'untagged',
          name: 'ESEARCH',
          tag: 'T',
          uid: true,
          min: 2,
          max: 40,
          count: 3,
          all: SequenceSet.parse('2,10,40'),
          other: new Map(),
        },
      ],
    });
    const r = await search(
      ctx,
      { text: 'ß' },
      { uid: true, return: ['MIN', 'MAX', 'COUNT', 'ALL'] },
    );
    expect(r.numbers).toBeNull();
    expect(r.min).toBe(2);
    expect(r.max).toBe(40);
    expect(r.count).toBe(3);
    expect(r.all!.toString()).toBe('2,10,40');
    expect(ctx.lines()[0]).toBe(
      'T UID SEARCH RETURN (MIN MAX COUNT ALL) CHARSET UTF-8 TEXT {2+}\r\n\xc3\x9f',
    );
  });

  it('SAVE needs SEARCHRES and is never pipelined; ESEARCH needs ESEARCH', async () => {
    await expect(search(new FakeContext(['ESEARCH']), {}, { return: ['SAVE'] })).rejects.toThrow(
      /SEARCHRES/,
    );
    await expect(search(new FakeContext([]), {}, { return: ['MIN'] })).rejects.toThrow(/ESEARCH/);
    await expect(
      search(new FakeContext(ALL_CAPS), {}, { return: ['NOPE' as 'MIN'] }),
    ).rejects.toThrow(ImapArgumentError);
    const ctx = new FakeContext(ALL_CAPS).reply({});
    await search(ctx, { flagged: true }, { uid: true, return: ['SAVE'] });
    expect(ctx.lines()).toEqual(['T UID SEARCH RETURN (SAVE) FLAGGED']);
    expect(ctx.sent[0]!.options.pipeline).toBe(false);
  });

  it('PARTIAL needs the PARTIAL capability and a valid range', async () => {
    await expect(search(new FakeContext(ALL_CAPS), {}, { partial: '1:10' })).rejects.toThrow(
      /PARTIAL/,
    );
    await expect(
      search(new FakeContext([...ALL_CAPS, 'PARTIAL']), {}, { partial: '1:-10' }),
    ).rejects.toThrow(ImapArgumentError);
    const ctx = new FakeContext([...ALL_CAPS, 'PARTIAL']).reply({
      untagged: [
        {
          kind: 'untagged',
          name: 'ESEARCH',
          tag: 'T',
          uid: false,
          partial: { range: '-1:-2', set: SequenceSet.parse('7,9') },
          other: new Map(),
        },
      ],
    });
    const r = await search(ctx, {}, { partial: '-1:-2' });
    expect(ctx.lines()).toEqual(['T SEARCH RETURN (PARTIAL -1:-2) ALL']);
    expect(r.partial!.set!.toString()).toBe('7,9');
  });

  it('an IMAP4rev2 server answering a plain SEARCH with ESEARCH still gives numbers', async () => {
    const ctx = new FakeContext(['IMAP4rev2']).reply({
      untagged: [
        {
          kind: 'untagged',
          name: 'ESEARCH',
          tag: 'T',
          uid: false,
          all: SequenceSet.parse('1:3,8'),
          other: new Map(),
        },
      ],
    });
    expect((await search(ctx, {})).numbers).toEqual([1, 2, 3, 8]);
  });

  it('SORT sends criteria, a bare charset and the keys', async () => {
    const ctx = new FakeContext(ALL_CAPS).reply({
      untagged: [{ kind: 'untagged', name: 'SORT', numbers: [5, 3, 4], modseq: null }],
    });
    const r = await sort(
      ctx,
      [{ reverse: 'DATE' }, 'subject' as 'SUBJECT', 'DISPLAYFROM'],
      { seen: true },
      { uid: true },
    );
    expect(r).toEqual([5, 3, 4]);
    expect(ctx.lines()).toEqual(['T UID SORT (REVERSE DATE SUBJECT DISPLAYFROM) UTF-8 SEEN']);
    await expect(sort(new FakeContext([]), ['DATE'], {})).rejects.toThrow(/SORT/);
    await expect(sort(new FakeContext(['SORT']), ['DISPLAYTO'], {})).rejects.toThrow(
      /SORT=DISPLAY/,
    );
    await expect(sort(new FakeContext(['SORT']), ['NAME' as 'DATE'], {})).rejects.toThrow(
      ImapArgumentError,
    );
  });

  it('THREAD checks THREAD=<algorithm> and returns the tree', async () => {
    const threads = [{ id: 2, children: [{ id: 3, children: [] }] }];
    const ctx = new FakeContext(ALL_CAPS).reply({
      untagged: [{ kind: 'untagged', name: 'THREAD', threads }],
    });
    expect(await thread(ctx, 'references', { all: true })).toEqual(threads);
    expect(ctx.lines()).toEqual(['T THREAD REFERENCES UTF-8 ALL']);
    await expect(thread(ctx, 'ORDEREDSUBJECT', {})).rejects.toThrow(/THREAD=ORDEREDSUBJECT/);
  });
});

describe('store', () => {
  it('UID STORE with UNCHANGEDSINCE and .SILENT; MODIFIED folded', async () => {
    const ctx = new FakeContext(ALL_CAPS).reply({
      code: { name: 'MODIFIED', set: SequenceSet.parse('7,9') },
    });
    const r = await store(ctx, '1:9', {
      add: ['\\Seen', '$Work'],
      silent: true,
      unchangedSince: 320162338n,
      uid: true,
    });
    expect(ctx.lines()).toEqual([
      'T UID STORE 1:9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Seen $Work)',
    ]);
    expect(ctx.sent[0]!.options.pipeline).toBe(true);
    expect(r.modified!.toString()).toBe('7,9');
    expect(r.updated).toEqual([]);
  });

  it('returns the updated flags; remove and set forms', async () => {
    const ctx = new FakeContext([])
      .reply({ untagged: [fetchResp(4, { flags: ['\\Answered'] })] })
      .reply({});
    const r = await store(ctx, 4, { remove: ['\\Seen'] });
    expect(r.updated.map((m) => [m.seq, [...m.flags!]])).toEqual([[4, ['\\Answered']]]);
    expect(r.modified).toBeNull();
    await store(ctx, 4, { set: [] });
    expect(ctx.lines()).toEqual(['T STORE 4 -FLAGS (\\Seen)', 'T STORE 4 FLAGS ()']);
    expect(ctx.sent[0]!.options.pipeline).toBe(false);
  });

  it('validates flags and options before sending', async () => {
    const ctx = new FakeContext([]);
    await expect(store(ctx, 1, { add: ['a b'] })).rejects.toThrow(ImapArgumentError);
    await expect(store(ctx, 1, { add: ['x)\r\nA2 LOGOUT'] })).rejects.toThrow(ImapArgumentError);
    await expect(store(ctx, 1, { add: ['\\Seen'], remove: ['\\Draft'] })).rejects.toThrow(
      ImapArgumentError,
    );
    await expect(store(ctx, 1, {})).rejects.toThrow(ImapArgumentError);
    await expect(store(ctx, 1, { add: ['\\Seen'], unchangedSince: 1n })).rejects.toThrow(
      ImapCapabilityError,
    );
    await expect(store(ctx, 1, { gmailLabels: { add: ['x'] } })).rejects.toThrow(/X-GM-EXT-1/);
    expect(ctx.sent).toEqual([]);
  });

  it('Gmail labels: system labels as flags, others as mailbox names', async () => {
    const ctx = new FakeContext(['X-GM-EXT-1']).reply({});
    await store(ctx, 1, { gmailLabels: { add: ['\\Important', 'Ärger', 'My Label'] }, uid: true });
    expect(ctx.lines()).toEqual(['T UID STORE 1 +X-GM-LABELS (\\Important &AMQ-rger "My Label")']);
  });
});

describe('copy / move / expunge', () => {
  const copyUid: ResponseCode = {
    name: 'COPYUID',
    uidValidity: 38505,
    source: SequenceSet.parse('304,319:320'),
    destination: SequenceSet.parse('3956:3958'),
  };

  it('COPY returns COPYUID', async () => {
    const ctx = new FakeContext([]).reply({ code: copyUid }).reply({});
    const r = await copy(ctx, '2:4', 'Archive/2024', { uid: true });
    expect(r).toEqual({
      uidValidity: 38505,
      source: copyUid.source,
      destination: copyUid.destination,
    });
    expect(await copy(ctx, 1, 'Grüße')).toBeNull();
    expect(ctx.lines()).toEqual(['T UID COPY 2:4 Archive/2024', 'T COPY 1 Gr&APwA3w-e']);
  });

  it('MOVE takes COPYUID from the untagged OK and folds the expunges', async () => {
    const ctx = new FakeContext(ALL_CAPS).reply({
      untagged: [
        { kind: 'untagged', name: 'OK', code: copyUid, text: 'Moved' },
        { kind: 'untagged', name: 'EXPUNGE', number: 2 },
        { kind: 'untagged', name: 'EXPUNGE', number: 2 },
      ],
    });
    const r = await move(ctx, '2:3', 'Trash');
    expect(r.copyUid!.uidValidity).toBe(38505);
    expect(r.expunged).toEqual([2, 2]);
    expect(r.emulated).toBe(false);
    expect(ctx.lines()).toEqual(['T MOVE 2:3 Trash']);
  });

  it('MOVE takes COPYUID from the tagged OK when that is where it comes', async () => {
    const ctx = new FakeContext(ALL_CAPS).reply({
      code: copyUid,
      untagged: [
        {
          kind: 'untagged',
          name: 'VANISHED',
          earlier: false,
          uids: SequenceSet.parse('304,319:320'),
        },
      ],
    });
    const r = await move(ctx, '304,319:320', 'Trash', { uid: true });
    expect(r.copyUid!.destination.toString()).toBe('3956:3958');
    expect(r.vanished!.toString()).toBe('304,319:320');
    expect(ctx.lines()).toEqual(['T UID MOVE 304,319:320 Trash']);
  });

  it('without MOVE but with UIDPLUS: pins UIDs, then UID COPY, UID STORE, UID EXPUNGE of just those', async () => {
    const ctx = new FakeContext(['UIDPLUS'])
      .reply({
        untagged: [
          fetchResp(2, { uid: 304 }),
          fetchResp(3, { uid: 319 }),
          fetchResp(4, { uid: 320 }),
        ],
      })
      .reply({ code: copyUid })
      .reply({})
      .reply({ untagged: [{ kind: 'untagged', name: 'EXPUNGE', number: 2 }] });
    const r = await move(ctx, '2:4', 'Trash');
    expect(ctx.lines()).toEqual([
      'T FETCH 2:4 (UID)',
      'T UID COPY 304,319:320 Trash',
      'T UID STORE 304,319:320 +FLAGS.SILENT (\\Deleted)',
      'T UID EXPUNGE 304,319:320',
    ]);
    expect(r.emulated).toBe(true);
    expect(r.copyUid!.destination.toString()).toBe('3956:3958');
    expect(r.expunged).toEqual([2]);
  });

  it('without MOVE and UIDPLUS: refused (nothing sent) unless allowExpungeAll; pins UIDs first', async () => {
    const ctx = new FakeContext([]);
    await expect(move(ctx, 1, 'Trash')).rejects.toBeInstanceOf(ImapCapabilityError);
    expect(ctx.sent).toEqual([]);
    ctx
      .reply({ untagged: [fetchResp(1, { uid: 7 })] })
      .reply({})
      .reply({})
      .reply({ untagged: [{ kind: 'untagged', name: 'EXPUNGE', number: 1 }] });
    const r = await move(ctx, 1, 'Trash', { allowExpungeAll: true });
    expect(ctx.lines()).toEqual([
      'T FETCH 1 (UID)',
      'T UID COPY 7 Trash',
      'T UID STORE 7 +FLAGS.SILENT (\\Deleted)',
      'T EXPUNGE',
    ]);
    expect(r.expunged).toEqual([1]);
  });

  it('EXPUNGE: sequence numbers, or VANISHED UIDs', async () => {
    const ctx = new FakeContext(['UIDPLUS'])
      .reply({
        untagged: [
          { kind: 'untagged', name: 'EXPUNGE', number: 3 },
          { kind: 'untagged', name: 'EXPUNGE', number: 3 },
        ],
      })
      .reply({
        untagged: [
          { kind: 'untagged', name: 'VANISHED', earlier: false, uids: SequenceSet.parse('5:6') },
        ],
      });
    expect(await expunge(ctx)).toEqual({ expunged: [3, 3], vanished: null });
    const r = await uidExpunge(ctx, [5, 6]);
    expect(r.vanished!.toString()).toBe('5:6');
    expect(ctx.lines()).toEqual(['T EXPUNGE', 'T UID EXPUNGE 5:6']);
    expect(ctx.sent.every((s) => s.options.pipeline !== true)).toBe(true);
    await expect(uidExpunge(new FakeContext([]), 1)).rejects.toBeInstanceOf(ImapCapabilityError);
  });
});

describe('check / close / unselect / partial', () => {
  it('CHECK on IMAP4rev1, NOOP on an IMAP4rev2-only server', async () => {
    const ctx = new FakeContext(['IMAP4rev1']).reply({});
    await check(ctx);
    const rev2 = new FakeContext(['IMAP4rev2']).reply({});
    await check(rev2);
    expect([...ctx.lines(), ...rev2.lines()]).toEqual(['T CHECK', 'T NOOP']);
  });

  it('CLOSE; UNSELECT needs UNSELECT or IMAP4rev2', async () => {
    const ctx = new FakeContext(['UNSELECT']).reply({}).reply({});
    await close(ctx);
    await unselect(ctx);
    expect(ctx.lines()).toEqual(['T CLOSE', 'T UNSELECT']);
    await expect(unselect(new FakeContext([]))).rejects.toBeInstanceOf(ImapCapabilityError);
    const rev2 = new FakeContext(['IMAP4rev2']).reply({});
    await unselect(rev2);
    expect(rev2.lines()).toEqual(['T UNSELECT']);
  });

  it('two ranges of one section asked for in one FETCH are both in parts, keyed with their origin (sectionKey with partialStart)', async () => {
    const parser = new ResponseParser();
    const [r] = parser.push(
      Buffer.from('* 4 FETCH (BODY[1]<0> {3}\r\nabc BODY[1]<3> {3}\r\ndef)\r\n'),
    );
    const ctx = new FakeContext([]).reply({ untagged: [r as UntaggedResponse] });
    const m = await fetchOne(ctx, 4, {
      bodyParts: [
        { section: '1', partial: { start: 0, length: 3 } },
        { section: '1', partial: { start: 3, length: 3 } },
      ],
    });
    expect(ctx.lines()).toEqual(['T FETCH 4 (BODY.PEEK[1]<0.3> BODY.PEEK[1]<3.3>)']);
    expect(sectionKey('1', false, 3)).toBe('BODY[1]<3>');
    expect(m!.parts.get(sectionKey('1', false, 0))?.toString()).toBe('abc');
    expect(m!.parts.get(sectionKey('1', false, 3))?.toString()).toBe('def');
    expect(m!.parts.size).toBe(2);
  });

  it('PARTIAL maps to FETCH with a 0-based origin (RFC 1730 counts from 1)', async () => {
    const data = Buffer.from('0123456789');
    const ctx = new FakeContext([])
      .reply({
        untagged: [
          fetchResp(4, {
            sections: new Map([['BODY[]<0>', { ...section('BODY', '', data), origin: 0 }]]),
          }),
        ],
      })
      // A server that leaves out the origin is tolerated.
      .reply({
        untagged: [
          fetchResp(4, { sections: new Map([['BODY[HEADER]', section('BODY', 'HEADER', data)]]) }),
        ],
      })
      .reply({ untagged: [] });
    expect(await partial(ctx, 4, 'BODY[]', 1, 10)).toBe(data);
    expect(await partial(ctx, 4, 'RFC822.HEADER', 101, 10)).toBe(data);
    expect(await partial(ctx, 5, 'BODY.PEEK[1]', 1, 10)).toBeNull();
    expect(ctx.lines()).toEqual([
      'T FETCH 4 (BODY[]<0.10>)',
      'T FETCH 4 (BODY.PEEK[HEADER]<100.10>)',
      'T FETCH 5 (BODY.PEEK[1]<0.10>)',
    ]);
    await expect(partial(ctx, 4, 'BODY[]', 0, 10)).rejects.toThrow(ImapArgumentError);
    await expect(partial(ctx, 4, 'ENVELOPE', 1, 10)).rejects.toThrow(ImapArgumentError);
  });
});
