/**
 * Message commands against the real Dovecot, read-only, on alice's seeded
 * INBOX (EXAMINE): FETCH (typed, streamed, partial), SEARCH (builder,
 * ESEARCH, SEARCHRES), SORT and THREAD. Expected values come from the seed
 * summary written by scripts/test-server.sh, or from the server's own data
 * fetched once (an oracle computed client-side).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetch,
  fetchAll,
  fetchOne,
  fetchStream,
  type FetchedMessage,
  type MessageAddress,
  type MessageAddressGroup,
} from '../../src/commands/fetch.js';
import { partial } from '../../src/commands/partial.js';
import { search } from '../../src/commands/search.js';
import { sort } from '../../src/commands/sort.js';
import { thread } from '../../src/commands/thread.js';
import type { ImapConnection } from '../../src/connection/connection.js';
import type { MultiPart, SinglePart } from '../../src/model/body-structure.js';
import type { ThreadNode } from '../../src/model/response.js';
import { SequenceSet } from '../../src/model/sequence-set.js';
import { mailbox } from '../../src/wire/args.js';
import { connectAlice, testServer } from '../helpers/dovecot.js';
import { countingContext } from '../helpers/pausable-context.js';

interface Special {
  user: string;
  mailbox: string;
  seq: number;
  uid: number;
  tag: string;
  subject: string;
  from: string;
  flags: string[];
  size: number;
  internaldate: number;
}

interface MailboxSummary {
  messages: number;
  unseen: number;
  flagged: number;
  answered: number;
  keywords: Record<string, number>;
}

interface SeedSummary {
  users: Record<string, { mailboxes: Record<string, MailboxSummary> }>;
  special: Special[];
}

let summary: SeedSummary;
let inbox: MailboxSummary;
let conn: ImapConnection;
/** Every INBOX message with UID, flags, size, dates and envelope: the oracle. */
let all: FetchedMessage[];

function special(tag: string): Special {
  const s = summary.special.find(
    (x) => x.user === 'alice' && x.mailbox === 'INBOX' && x.tag === tag,
  );
  if (s === undefined) throw new Error(`seed summary has no INBOX message tagged ${tag}`);
  return s;
}

function bySeq(seq: number): FetchedMessage {
  return all[seq - 1]!;
}

function seqsWhere(pred: (m: FetchedMessage) => boolean): number[] {
  return all.filter(pred).map((m) => m.seq);
}

function fromAddress(m: FetchedMessage): string | null {
  const first = m.envelope?.from[0];
  return first !== undefined && 'address' in first ? first.address : null;
}

function flagsOf(m: FetchedMessage): string[] {
  return [...m.flags!].filter((f) => f !== '\\Recent').sort();
}

function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

async function drain(stream: NodeJS.ReadableStream): Promise<{ data: Buffer; chunks: number }> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return { data: Buffer.concat(chunks), chunks: chunks.length };
}

beforeAll(async () => {
  const env = testServer();
  summary = JSON.parse(
    readFileSync(join(env.stateDir, 'seed-summary.json'), 'utf8'),
  ) as SeedSummary;
  inbox = summary.users.alice!.mailboxes.INBOX!;
  conn = await connectAlice();
  await conn.exec('EXAMINE', [mailbox('INBOX')]);
  all = await fetchAll(conn, '1:*', {
    uid: true,
    flags: true,
    size: true,
    internalDate: true,
    envelope: true,
  });
});

afterAll(async () => {
  await conn?.logout();
});

describe('FETCH on the seeded INBOX', () => {
  it('FETCH 1:* yields one typed message per message, in order, matching the seed counts', () => {
    expect(all).toHaveLength(inbox.messages);
    expect(all.map((m) => m.seq)).toEqual(all.map((_, i) => i + 1));
    for (let i = 1; i < all.length; i++) expect(all[i]!.uid!).toBeGreaterThan(all[i - 1]!.uid!);
    expect(all.filter((m) => !m.flags!.has('\\Seen'))).toHaveLength(inbox.unseen);
    expect(all.filter((m) => m.flags!.has('\\Flagged'))).toHaveLength(inbox.flagged);
    expect(all.filter((m) => m.flags!.has('\\Answered'))).toHaveLength(inbox.answered);
    for (const [k, n] of Object.entries(inbox.keywords)) {
      expect(all.filter((m) => m.flags!.has(k))).toHaveLength(n);
    }
    for (const m of all) {
      expect(typeof m.size).toBe('number');
      expect(m.internalDate).toBeInstanceOf(Date);
    }
  });

  it('flags, UIDs and INTERNALDATE of the special messages are the seeded ones', () => {
    const specials = summary.special.filter((s) => s.user === 'alice' && s.mailbox === 'INBOX');
    expect(specials.length).toBeGreaterThan(10);
    for (const s of specials) {
      const m = bySeq(s.seq);
      expect(m.uid).toBe(s.uid);
      expect(flagsOf(m)).toEqual([...s.flags].sort());
      expect(m.internalDate!.getTime()).toBe(s.internaldate * 1000);
    }
  });

  it('ENVELOPE subjects and names are RFC 2047-decoded (UTF-8 B, UTF-8 Q, ISO-8859-1 Q)', () => {
    const cases: Array<[string, string]> = [
      ['rfc2047-utf8-b', 'Jürgen Müller'],
      ['rfc2047-utf8-q', 'Zoë Åberg'],
      ['rfc2047-latin1-q', 'François Legère'],
    ];
    for (const [tag, name] of cases) {
      const s = special(tag);
      const e = bySeq(s.seq).envelope!;
      expect(e.subject).toBe(s.subject);
      expect(e.rawSubject).toMatch(/^=\?/);
      const from = e.from[0] as MessageAddress;
      expect(from.name).toBe(name);
      expect(from.address).toBe(s.from);
    }
    expect(bySeq(special('raw-utf8-header').seq).envelope!.subject).toBe(
      special('raw-utf8-header').subject,
    );
    expect(bySeq(special('no-subject').seq).envelope!.subject).toBeNull();
  });

  it('ENVELOPE date is parsed to the instant of the Date: header', () => {
    for (const tag of ['plain', 'rfc2047-utf8-b', 'invoice-reminder']) {
      const s = special(tag);
      const e = bySeq(s.seq).envelope!;
      // The seed delivers each message 37 s + (seq % 7) min after its Date: header.
      expect(e.date!.getTime()).toBe((s.internaldate - 37 - 60 * (s.seq % 7)) * 1000);
      expect(typeof e.rawDate).toBe('string');
    }
  });

  it('ENVELOPE address forms: groups, Cc, Bcc, Reply-To, Sender, In-Reply-To', () => {
    const e = bySeq(special('envelope-addresses').seq).envelope!;
    const groups = e.to.filter((a): a is MessageAddressGroup => 'group' in a);
    expect(groups.map((g) => g.group)).toEqual(['Team', 'undisclosed-recipients']);
    expect(groups[0]!.members.map((a) => a.address)).toEqual([
      'alice@example.com',
      'bob@example.com',
    ]);
    expect(groups[0]!.members[1]!.name).toBe('Bob Brown');
    expect(groups[1]!.members).toEqual([]);
    expect(e.cc.map((a) => (a as MessageAddress).address)).toEqual([
      'carol@example.com',
      'dave.jones@example.net',
    ]);
    expect(e.bcc.map((a) => (a as MessageAddress).address)).toEqual(['audit@example.com']);
    expect((e.replyTo[0] as MessageAddress).name).toBe('Heidi Replies');
    expect((e.sender[0] as MessageAddress).address).toBe('assistant@example.com');
    expect(e.inReplyTo).toBe('<not-in-this-mailbox@example.com>');
  });

  it('BODYSTRUCTURE part counts and types', async () => {
    const pdf = await fetchOne(conn, special('attachment-pdf').seq, { bodyStructure: true });
    const mixed = pdf!.bodyStructure as MultiPart;
    expect(mixed.type).toBe('multipart');
    expect(mixed.subtype).toBe('mixed');
    expect(mixed.childNodes).toHaveLength(2);
    const att = mixed.childNodes[1] as SinglePart;
    expect(`${att.type}/${att.subtype}`).toBe('application/pdf');
    expect(att.encoding).toBe('base64');
    expect(att.disposition?.params.get('filename')).toBe('report-q1.pdf');

    const fwd = await fetchOne(conn, special('message-rfc822').seq, { bodyStructure: true });
    const outer = fwd!.bodyStructure as MultiPart;
    expect(outer.childNodes).toHaveLength(2);
    const rfc822 = outer.childNodes[1] as SinglePart;
    expect(rfc822.type).toBe('message');
    expect(rfc822.envelope!.subject).toBe('Meeting notes');
    expect((rfc822.body as MultiPart).childNodes).toHaveLength(2);

    const related = await fetchOne(conn, special('multipart-related').seq, { body: true });
    expect((related!.bodyStructure as MultiPart).subtype).toBe('related');
    expect((related!.bodyStructure as MultiPart).childNodes).toHaveLength(2);

    const plain = await fetchOne(conn, special('plain').seq, { bodyStructure: true });
    expect((plain!.bodyStructure as SinglePart).type).toBe('text');
  });

  it('headers, body sections and the source come back as Buffers', async () => {
    const s = special('plain');
    const m = (await fetchOne(
      conn,
      s.uid,
      {
        uid: true,
        headers: ['Subject', 'From'],
        bodyParts: [{ section: 'TEXT' }, { section: '1.MIME' }],
        source: true,
      },
      { uid: true },
    ))!;
    const headers = m.headers!.toString();
    expect(headers).toContain(`Subject: ${s.subject}\r\n`);
    expect(headers).toMatch(/^From: /m);
    expect(headers).not.toMatch(/^To: /m);
    const text = m.parts.get('BODY[TEXT]')!;
    expect(text.toString()).toContain('Welcome to your seeded test mailbox');
    expect(m.source!.subarray(m.source!.length - text.length).equals(text)).toBe(true);
    expect(m.parts.has('BODY[HEADER.FIELDS (SUBJECT FROM)]')).toBe(true);
    expect(m.source!.length).toBe(bySeq(s.seq).size);
  });

  it('PARTIAL (imaplib) maps to BODY[]<origin.length>, counting from 1', async () => {
    const source = (await fetchOne(conn, 1, { source: true }))!.source!;
    expect((await partial(conn, 1, 'BODY.PEEK[]', 1, 30))!.equals(source.subarray(0, 30))).toBe(
      true,
    );
    expect((await partial(conn, 1, 'BODY.PEEK[]', 11, 10))!.equals(source.subarray(10, 20))).toBe(
      true,
    );
    // A UID that does not exist: no FETCH response at all; a sequence number
    // past the end (which Dovecot would answer BAD) is not sent: null too.
    expect(await partial(conn, 99999, 'BODY.PEEK[]', 1, 10, { uid: true })).toBeNull();
    expect(await partial(conn, 99999, 'BODY.PEEK[]', 1, 10)).toBeNull();
  });

  it("Dovecot 2.3's wrapped BINARY.SIZE of a quoted-printable part is kept in other; the session goes on", async () => {
    // Dovecot 2.3.19 answers message 3's BINARY.SIZE[1] with a negative size
    // wrapped to 64 bits (18446744073709534636); that used to be a PARSE error
    // that closed the connection.
    const m = (await fetchOne(conn, 3, { binarySize: ['1'] }))!;
    const wrapped = m.attributes.other?.get('BINARY.SIZE[1]');
    if (wrapped === undefined) {
      expect(m.attributes.binarySize?.get('1')).toBeTypeOf('number'); // a fixed Dovecot
    } else {
      expect(wrapped).toMatch(/^\d{17,20}$/);
      expect(BigInt(wrapped as string)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
      expect(m.attributes.binarySize).toBeUndefined();
    }
    expect((await fetchOne(conn, 3, { uid: true }))!.uid).toBe(bySeq(3).uid);
  });

  it('breaking out of a FETCH loop early leaves the connection usable', async () => {
    const seen: number[] = [];
    for await (const m of fetch(conn, '1:*', { uid: true, envelope: true }, { highWaterMark: 4 })) {
      seen.push(m.seq);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
    // The rest of the 300 responses were drained; the next commands get their own data.
    const five = await fetchOne(conn, 5, { envelope: true });
    expect(five!.seq).toBe(5);
    expect(five!.envelope!.subject).toBe(bySeq(5).envelope!.subject);
    expect((await search(conn, { all: true })).numbers).toHaveLength(inbox.messages);
    expect(conn.closed).toBe(false);
  });

  it('a loop that is not consumed for a while pauses reading and still completes', async () => {
    const ctx = countingContext(conn);
    const it = fetch(ctx, '1:*', { uid: true, flags: true }, { highWaterMark: 8 });
    const first = await it.next();
    expect(first.value!.seq).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(ctx.pauses).toBeGreaterThan(0);
    let n = 1;
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      n++;
    }
    expect(n).toBe(inbox.messages);
  });
});

describe('streamed FETCH of a large part', () => {
  let big: ImapConnection;
  let uid: number;

  beforeAll(async () => {
    // A low threshold so the 1.3 MB base64 part (and the whole message) are streamed.
    big = await connectAlice({ streamThreshold: 64 * 1024 });
    await big.exec('EXAMINE', [mailbox('INBOX')]);
    uid = special('large-1mb').uid;
  });

  afterAll(async () => {
    await big?.logout();
  });

  it('streams BODY[2] byte for byte like a buffered fetch of the same part', async () => {
    const buffered = (await fetchOne(big, uid, { bodyParts: [{ section: '2' }] }, { uid: true }))!;
    const expected = buffered.parts.get('BODY[2]')!;
    expect(expected.length).toBeGreaterThan(1_000_000);
    const { stream, size } = await fetchStream(big, uid, '2', { uid: true });
    expect(size).toBe(expected.length);
    const { data, chunks } = await drain(stream);
    expect(chunks).toBeGreaterThan(1); // it really came in pieces, not as one buffer
    expect(data.equals(expected)).toBe(true);
  });

  it('BINARY.PEEK streams the decoded attachment', async () => {
    const body = (await fetchOne(big, uid, { bodyParts: [{ section: '2' }] }, { uid: true }))!;
    const decoded = Buffer.from(body.parts.get('BODY[2]')!.toString('latin1'), 'base64');
    const { stream, size } = await fetchStream(big, uid, '2', { uid: true, binary: true });
    expect(size).toBe(1_000_000);
    const { data } = await drain(stream);
    expect(data.equals(decoded)).toBe(true);
  });

  it('the whole message streams like BODY.PEEK[], with back-pressure on a slow reader', async () => {
    const whole = (await fetchOne(big, uid, { source: true }, { uid: true }))!.source!;
    const ctx = countingContext(big);
    const { stream, size } = await fetchStream(ctx, uid, '', {
      uid: true,
      highWaterMark: 16 * 1024,
    });
    expect(size).toBe(whole.length);
    // Do not read for a while: the connection must pause, not buffer the rest.
    await new Promise((r) => setTimeout(r, 100));
    expect(ctx.pauses).toBeGreaterThan(0);
    expect(stream.readableLength).toBeLessThan(whole.length);
    const { data } = await drain(stream);
    expect(data.equals(whole)).toBe(true);
    expect((await fetchOne(big, 1, { uid: true }))!.uid).toBe(1);
  });

  it('destroying the stream early discards the rest; the connection stays usable', async () => {
    const { stream } = await fetchStream(big, uid, '2', { uid: true });
    await new Promise<void>((resolve) => {
      stream.once('data', () => {
        stream.destroy();
        resolve();
      });
    });
    const m = await fetchOne(big, special('plain').uid, { envelope: true }, { uid: true });
    expect(m!.envelope!.subject).toBe(special('plain').subject);
    expect(big.closed).toBe(false);
  });

  it('a small part is handed over as a one-chunk stream', async () => {
    const { stream, size } = await fetchStream(big, uid, '1', { uid: true });
    const { data } = await drain(stream);
    expect(data.length).toBe(size);
    expect(data.toString()).toContain('The full data set is attached.');
  });
});

describe('SEARCH with the builder', () => {
  it('a FROM address', async () => {
    const r = await search(conn, { from: 'billing@example.com' });
    const expected = seqsWhere((m) => fromAddress(m) === 'billing@example.com');
    expect(expected.length).toBeGreaterThan(5);
    expect(r.numbers).toEqual(expected);
  });

  it('several criteria with OR and NOT', async () => {
    const r = await search(conn, {
      or: [{ from: 'billing@example.com' }, { keyword: 'Work' }],
      not: { seen: true },
    });
    const expected = seqsWhere(
      (m) =>
        (fromAddress(m) === 'billing@example.com' || m.flags!.has('Work')) &&
        !m.flags!.has('\\Seen'),
    );
    expect(r.numbers).toEqual(expected);
    const flaggedOrAnswered = await search(conn, {
      or: [{ flagged: true }, { answered: true }, { keyword: '$Forwarded' }],
    });
    expect(flaggedOrAnswered.numbers).toEqual(
      seqsWhere((m) => ['\\Flagged', '\\Answered', '$Forwarded'].some((f) => m.flags!.has(f))),
    );
  });

  it('non-ASCII text goes with CHARSET UTF-8 and matches decoded headers', async () => {
    expect((await search(conn, { subject: 'München' })).numbers).toEqual([
      special('rfc2047-utf8-b').seq,
    ]);
    expect((await search(conn, { subject: 'Résumé de la' })).numbers).toEqual([
      special('rfc2047-latin1-q').seq,
    ]);
    expect((await search(conn, { from: 'Jürgen' })).numbers).toContain(
      special('rfc2047-utf8-b').seq,
    );
  });

  it('date criteria on INTERNALDATE and on the Date: header', async () => {
    const r = await search(conn, {
      since: { year: 2024, month: 2, day: 1 },
      before: { year: 2024, month: 3, day: 1 },
    });
    const expected = seqsWhere((m) => {
      const d = utcDay(m.internalDate!);
      return d >= '2024-02-01' && d < '2024-03-01';
    });
    expect(expected.length).toBeGreaterThan(10);
    expect(r.numbers).toEqual(expected);

    const months: Record<string, string> = { Feb: '02', Mar: '03', Apr: '04' };
    const sent = await search(conn, {
      sentSince: { year: 2024, month: 3, day: 1 },
      sentBefore: { year: 2024, month: 4, day: 1 },
    });
    // SENT* use the Date: header's own calendar day.
    const expectedSent = seqsWhere((m) => {
      const d = /(\d{1,2}) ([A-Za-z]{3}) (\d{4})/.exec(m.envelope?.rawDate ?? '');
      return d !== null && d[3] === '2024' && months[d[2]!] === '03';
    });
    expect(expectedSent.length).toBeGreaterThan(10);
    expect(sent.numbers).toEqual(expectedSent);
  });

  it('sizes, UID sets, HEADER and WITHIN', async () => {
    expect((await search(conn, { larger: 100_000 })).numbers).toEqual(
      seqsWhere((m) => m.size! > 100_000),
    );
    const uids = await search(conn, { uid: '10:40', seen: false }, { uid: true });
    expect(uids.numbers).toEqual(
      all.filter((m) => m.uid! >= 10 && m.uid! <= 40 && !m.flags!.has('\\Seen')).map((m) => m.uid),
    );
    expect((await search(conn, { header: [['List-Id', 'weekly.example.org']] })).numbers).toEqual([
      special('alternative').seq,
    ]);
    expect((await search(conn, { older: 60 })).numbers).toHaveLength(inbox.messages);
    expect((await search(conn, { younger: 60 })).numbers).toEqual([]);
  });

  it('ESEARCH RETURN (MIN MAX COUNT ALL) agrees with the plain search', async () => {
    const plain = (await search(conn, { keyword: 'Work' })).numbers!;
    const r = await search(conn, { keyword: 'Work' }, { return: ['MIN', 'MAX', 'COUNT', 'ALL'] });
    expect(r.numbers).toBeNull();
    expect(r.min).toBe(plain[0]);
    expect(r.max).toBe(plain[plain.length - 1]);
    expect(r.count).toBe(plain.length);
    expect([...r.all!.values()]).toEqual(plain);
    const count = await search(conn, { seen: false }, { uid: true, return: ['COUNT'] });
    expect(count).toEqual({ numbers: null, count: inbox.unseen });
  });

  it('SAVE keeps the result as $ for later commands (SEARCHRES)', async () => {
    const saved = await search(conn, { flagged: true }, { uid: true, return: ['SAVE'] });
    expect(saved.numbers).toBeNull();
    const viaDollar = await fetchAll(conn, SequenceSet.saved, { flags: true }, { uid: true });
    expect(viaDollar.map((m) => m.uid)).toEqual(
      all.filter((m) => m.flags!.has('\\Flagged')).map((m) => m.uid),
    );
    const narrowed = await search(conn, { uid: SequenceSet.saved, seen: false }, { uid: true });
    expect(narrowed.numbers).toEqual(
      all.filter((m) => m.flags!.has('\\Flagged') && !m.flags!.has('\\Seen')).map((m) => m.uid),
    );
  });

  it('MODSEQ search reports the highest MODSEQ (CONDSTORE)', async () => {
    const r = await search(conn, { modseq: 1n });
    expect(r.numbers).toHaveLength(inbox.messages);
    expect(typeof r.modseq).toBe('bigint');
  });

  it('raw search text for power users', async () => {
    const r = await search(conn, 'FROM "billing@example.com" UNSEEN');
    expect(r.numbers).toEqual(
      seqsWhere((m) => fromAddress(m) === 'billing@example.com' && !m.flags!.has('\\Seen')),
    );
  });
});

describe('SORT and THREAD', () => {
  it('SORT (REVERSE ARRIVAL) orders by INTERNALDATE, newest first', async () => {
    const r = await sort(conn, [{ reverse: 'ARRIVAL' }], { from: 'billing@example.com' });
    const expected = all
      .filter((m) => fromAddress(m) === 'billing@example.com')
      .sort((a, b) => b.internalDate!.getTime() - a.internalDate!.getTime())
      .map((m) => m.seq);
    expect(r).toEqual(expected);
  });

  it('SORT by SUBJECT and by DISPLAYFROM (RFC 5957) return the same messages reordered', async () => {
    const bySubject = await sort(conn, ['SUBJECT', 'ARRIVAL'], { keyword: 'Work' });
    const work = seqsWhere((m) => m.flags!.has('Work'));
    expect([...bySubject].sort((a, b) => a - b)).toEqual(work);
    const byName = await sort(conn, ['DISPLAYFROM'], { keyword: 'Work' }, { uid: true });
    expect([...byName].sort((a, b) => a - b)).toEqual(work.map((s) => bySeq(s).uid));
  });

  it('SORT with non-ASCII search text', async () => {
    expect(await sort(conn, ['DATE'], { subject: 'München' })).toEqual([
      special('rfc2047-utf8-b').seq,
    ]);
  });

  it('THREAD REFERENCES links the seeded thread as a chain', async () => {
    const first = special('thread-1').seq;
    const r = await thread(conn, 'REFERENCES', { seq: `${first}:${first + 2}` });
    expect(r).toHaveLength(1);
    const root = r[0]!;
    expect(root.id).toBe(first);
    expect(root.children[0]!.id).toBe(first + 1);
    expect(root.children[0]!.children[0]!.id).toBe(first + 2);
  });

  it('THREAD ORDEREDSUBJECT groups by base subject', async () => {
    const r = await thread(
      conn,
      'ORDEREDSUBJECT',
      { subject: 'Planning the offsite' },
      { uid: true },
    );
    const ids = (nodes: ThreadNode[]): number[] =>
      nodes.flatMap((n) => [...(n.id === null ? [] : [n.id]), ...ids(n.children)]);
    expect(r).toHaveLength(1);
    expect(ids(r).sort((a, b) => a - b)).toEqual(
      ['thread-1', 'thread-2', 'thread-3'].map((t) => special(t).uid),
    );
  });
});
