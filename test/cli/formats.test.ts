/**
 * The mail file formats on their own: mboxrd quoting and unquoting (also
 * across chunk boundaries and over-long lines), the From_ line, the mbox
 * scanner's message boundaries and sizes, Maildir flag letters and
 * keyword files, and the CRLF size count matching the CRLF transform.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { crlfSize, MAX_CARRY, toCrlf, toLf } from '../../src/cli/formats/lines.js';
import {
  ensureMaildir,
  exportedUid,
  flagsToInfo,
  infoToFlags,
  listMaildir,
  maildirBaseName,
  readKeywords,
  writeKeywords,
  type KeywordLetters,
} from '../../src/cli/formats/maildir.js';
import {
  asctime,
  fromLine,
  isSafeSender,
  mboxMessageStream,
  mboxrdEscape,
  mboxrdUnescape,
  parseFromLine,
  scanMbox,
  statusHeaders,
} from '../../src/cli/formats/mbox.js';

/** Feeds `input` in chunks of `size` bytes through `t` and collects the output. */
async function through(t: Transform, input: Buffer, size = input.length || 1): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += size) chunks.push(input.subarray(i, i + size));
  const out: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    t.on('data', (c: Buffer) => out.push(c));
    t.on('end', resolve);
    t.on('error', reject);
  });
  Readable.from(chunks).pipe(t);
  await done;
  return Buffer.concat(out);
}

async function collect(stream: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) out.push(c);
  return Buffer.concat(out);
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'imapkit-cli-formats-'));

const MESSAGE = Buffer.from(
  'From: a@example.com\r\nSubject: quoting\r\n\r\n' +
    'From here on\r\n>From there\r\n>>From far away\r\nFromage is not quoted\r\n' +
    ' From indented is not quoted\r\n>From\r\nlast line\r\n',
);

describe('mboxrd quoting', () => {
  it('adds one ">" to lines matching >*From and ends lines with LF', async () => {
    const out = (await through(mboxrdEscape(), MESSAGE)).toString();
    expect(out).toBe(
      'From: a@example.com\nSubject: quoting\n\n' +
        '>From here on\n>>From there\n>>>From far away\nFromage is not quoted\n' +
        ' From indented is not quoted\n>From\nlast line\n',
    );
  });

  it('unquoting restores the message exactly (CRLF), in any chunking', async () => {
    const escaped = await through(mboxrdEscape(), MESSAGE);
    for (const size of [1, 2, 3, 5, 7, 64, escaped.length]) {
      expect((await through(mboxrdUnescape(), escaped, size)).equals(MESSAGE)).toBe(true);
      expect((await through(mboxrdEscape(), MESSAGE, size)).equals(escaped)).toBe(true);
    }
  });

  it('a message without a final line end is noticed (the writer adds one)', async () => {
    const t = mboxrdEscape();
    expect((await through(t, Buffer.from('a\r\nb'))).toString()).toBe('a\nb');
    expect(t.endsWithLf()).toBe(false);
    const u = mboxrdEscape();
    await through(u, Buffer.from('a\r\n'));
    expect(u.endsWithLf()).toBe(true);
  });

  it('an over-long line passes in pieces and only its start is quoted', async () => {
    const long = Buffer.concat([
      Buffer.from('From '),
      Buffer.alloc(MAX_CARRY + 10, 0x61),
      Buffer.from('From x\r\n'),
    ]);
    const escaped = await through(mboxrdEscape(), long, 65536);
    expect(escaped.length).toBe(long.length); // +1 for ">", -1 for the CR
    expect(escaped.subarray(0, 6).toString()).toBe('>From ');
    expect(escaped.subarray(-8).toString()).toBe('aFrom x\n'); // mid-line: not quoted
    expect((await through(mboxrdUnescape(), escaped, 65536)).equals(long)).toBe(true);
  });
});

describe('mbox flag headers (export --mbox-status)', () => {
  it('state read, answered, flagged, draft, deleted and keywords as mutt writes them', () => {
    expect(statusHeaders([]).toString()).toBe('Status: O\n');
    expect(
      statusHeaders([
        '\\seen',
        '\\Answered',
        '\\Flagged',
        '\\Draft',
        '\\Deleted',
        '$Forwarded',
        'Project',
      ]).toString(),
    ).toBe('Status: RO\nX-Status: AFTD\nX-Keywords: $Forwarded Project\n');
  });

  it("replace the header section's own (folded ones too), before its end, in any chunking", async () => {
    const message = Buffer.from(
      'From: a@example.com\r\nStatus: O\r\nX-Keywords: old\r\n  folded-old\r\nSubject: s\r\n\r\n' +
        'Status: in the body stays\r\n',
    );
    const status = statusHeaders(['\\Seen', 'New']);
    for (const size of [1, 3, 7, message.length]) {
      const out = (await through(mboxrdEscape(status), message, size)).toString();
      expect(out).toBe(
        'From: a@example.com\nSubject: s\nStatus: RO\nX-Keywords: New\n\n' +
          'Status: in the body stays\n',
      );
    }
  });
  it('a message without an empty line after its header still gets them (and import reads them)', async () => {
    const status = statusHeaders(['\\Seen', '\\Flagged', 'Work']);
    const cases: Array<[string, string]> = [
      ['Subject: c\r\nX-Status: D\r\n', 'Subject: c\nStatus: RO\nX-Status: F\nX-Keywords: Work\n'],
      ['Subject: c', 'Subject: c\nStatus: RO\nX-Status: F\nX-Keywords: Work\n'],
      ['', 'Status: RO\nX-Status: F\nX-Keywords: Work\n'],
    ];
    for (const [message, expected] of cases) {
      for (const size of [1, 5, message.length || 1]) {
        const escape = mboxrdEscape(status);
        expect((await through(escape, Buffer.from(message), size)).toString()).toBe(expected);
        expect(escape.endsWithLf()).toBe(true);
      }
    }
    const path = join(tmp(), 'header-only.mbox');
    writeFileSync(
      path,
      `From x Mon Jan  1 00:00:00 2024\n${cases[1]![1]}\nFrom y Mon Jan  1 00:00:00 2024\nSubject: n\n\n`,
    );
    const entries = [];
    for await (const e of scanMbox(path)) entries.push(e);
    expect(entries.map((e) => e.flags)).toEqual([['\\Seen', '\\Flagged', 'Work'], []]);
  });
});

describe('From_ lines', () => {
  it('asctime pads the day with a space, in UTC', () => {
    expect(asctime(new Date(Date.UTC(2024, 0, 1, 8, 1, 37)))).toBe('Mon Jan  1 08:01:37 2024');
    expect(fromLine('team@imapkit.test', new Date(Date.UTC(2025, 2, 24, 20, 6, 37)))).toBe(
      'From team@imapkit.test Mon Mar 24 20:06:37 2025\n',
    );
    expect(fromLine(null, new Date(0))).toBe('From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n');
  });

  it('a sender that is not printable ASCII without spaces becomes MAILER-DAEMON', () => {
    const date = new Date(Date.UTC(2024, 0, 1, 8, 1, 37));
    const hostile = [
      'a\u010AFrom forged@example.com Mon Jan  1 00:00:00 2024\u010A@example.com', // low byte LF
      'a\u010Db@example.com', // low byte CR
      'a\u0120b@example.com', // low byte space
      'a\nb@example.com',
      'a b@example.com',
      'a\tb@example.com',
      'a\u007fb@example.com',
      'jörg@example.com',
      'user@bücher.example',
      '',
    ];
    for (const sender of hostile) {
      const line = fromLine(sender, date);
      expect(line, JSON.stringify(sender)).toBe('From MAILER-DAEMON Mon Jan  1 08:01:37 2024\n');
      expect(isSafeSender(sender)).toBe(false);
    }
    expect(isSafeSender('a.b+c@example.com')).toBe(true);
    expect(parseFromLine(fromLine('x\u010Ay@example.com', date))).toEqual({
      sender: 'MAILER-DAEMON',
      date,
    });
  });

  it('parses the sender and date, with or without a zone', () => {
    expect(parseFromLine('From bob@example.com Mon Jan  1 08:01:37 2024')).toEqual({
      sender: 'bob@example.com',
      date: new Date(Date.UTC(2024, 0, 1, 8, 1, 37)),
    });
    expect(parseFromLine('From x Sat Jul 20 10:00:00 +0200 2024').date).toEqual(
      new Date(Date.UTC(2024, 6, 20, 8, 0, 0)),
    );
    expect(parseFromLine('From x Sat Jul 20 10:00 2024').date).toEqual(
      new Date(Date.UTC(2024, 6, 20, 10, 0)),
    );
    expect(parseFromLine('From someone who wrote this')).toEqual({ sender: 'someone', date: null });
  });
});

describe('scanning an mbox file', () => {
  it('finds each message, its From_ date and its exact CRLF size', async () => {
    const dir = tmp();
    const path = join(dir, 'box.mbox');
    const second = Buffer.from('Subject: two\r\n\r\nbody\r\n\r\n');
    const escaped1 = await through(mboxrdEscape(), MESSAGE);
    const escaped2 = await through(mboxrdEscape(), second);
    writeFileSync(
      path,
      Buffer.concat([
        Buffer.from('From a@example.com Mon Jan  1 08:01:37 2024\n'),
        escaped1,
        Buffer.from('\n'),
        Buffer.from('From MAILER-DAEMON Tue Jan  2 00:00:00 2024\n'),
        escaped2,
        Buffer.from('\n'),
      ]),
    );
    const entries = [];
    for await (const e of scanMbox(path)) entries.push(e);
    expect(entries.map((e) => [e.sender, e.date?.toISOString(), e.size])).toEqual([
      ['a@example.com', '2024-01-01T08:01:37.000Z', MESSAGE.length],
      ['MAILER-DAEMON', '2024-01-02T00:00:00.000Z', second.length],
    ]);
    expect((await collect(mboxMessageStream(path, entries[0]!))).equals(MESSAGE)).toBe(true);
    // The second message ends with an empty line of its own: only the separator is dropped.
    expect((await collect(mboxMessageStream(path, entries[1]!))).equals(second)).toBe(true);
  });

  it('a "From " line inside a paragraph (not after an empty line) is message text', async () => {
    const path = join(tmp(), 'mboxo');
    writeFileSync(path, 'From x Mon Jan  1 00:00:00 2024\nSubject: a\n\nline\nFrom the text\n\n');
    const entries = [];
    for await (const e of scanMbox(path)) entries.push(e);
    expect(entries).toHaveLength(1);
    expect((await collect(mboxMessageStream(path, entries[0]!))).toString()).toBe(
      'Subject: a\r\n\r\nline\r\nFrom the text\r\n',
    );
  });

  it('flags stated by Status, X-Status and X-Keywords headers are picked up (headers only)', async () => {
    const path = join(tmp(), 'mutt.mbox');
    writeFileSync(
      path,
      'From x Mon Jan  1 00:00:00 2024\nSubject: a\nStatus: RO\nX-Status: AF\nX-Keywords: Work, $Later\n\n' +
        'Status: RO in the body is text\n\nFrom y Mon Jan  1 00:00:00 2024\nX-Status: T\n\nbody\n',
    );
    const entries = [];
    for await (const e of scanMbox(path)) entries.push(e);
    expect(entries.map((e) => e.flags)).toEqual([
      ['\\Seen', '\\Answered', '\\Flagged', 'Work', '$Later'],
      ['\\Draft'],
    ]);
  });

  it('a file not starting with "From " is refused', async () => {
    const path = join(tmp(), 'not.mbox');
    writeFileSync(path, 'Subject: hello\n\nbody\n');
    await expect(async () => {
      for await (const _ of scanMbox(path)) void _;
    }).rejects.toThrow(/not an mbox file/);
  });
});

describe('line ends', () => {
  it('crlfSize counts exactly what toCrlf produces', async () => {
    const input = Buffer.from('a\nb\r\nc\r\r\n\nlast');
    const out = await through(toCrlf(), input, 3);
    expect(out.toString()).toBe('a\r\nb\r\nc\r\r\n\r\nlast');
    expect(await crlfSize(Readable.from([input.subarray(0, 4), input.subarray(4)]))).toBe(
      out.length,
    );
  });

  it('a CR just before CRLF does not survive LF storage (documented in docs/cli.md)', async () => {
    const stored = await through(toLf(), Buffer.from('bare\rcr\r\r\n'), 1);
    expect(stored.toString()).toBe('bare\rcr\r\n');
    expect((await through(toCrlf(), stored, 1)).toString()).toBe('bare\rcr\r\n');
  });

  it('toLf turns CRLF into LF', async () => {
    expect((await through(toLf(), Buffer.from('a\r\nb\r\n'), 1)).toString()).toBe('a\nb\n');
  });
});

describe('Maildir', () => {
  it('system flags map to info letters, sorted; keywords get letters from a', () => {
    const letters: KeywordLetters = new Map();
    expect(
      flagsToInfo(['\\Seen', '\\Flagged', '\\Answered', '\\Draft', '\\Deleted'], letters),
    ).toBe(':2,DFRST');
    expect(flagsToInfo(['$Forwarded', 'Work', '\\Recent', '$Junk'], letters)).toBe(':2,Pab');
    expect([...letters]).toEqual([
      ['a', 'Work'],
      ['b', '$Junk'],
    ]);
    expect(infoToFlags('123.M1V2.imapkit:2,PRSab', letters)).toEqual([
      '$Forwarded',
      '\\Answered',
      '\\Seen',
      'Work',
      '$Junk',
    ]);
    expect(infoToFlags('123.host', letters)).toEqual([]);
  });

  it('keywords beyond the 26 letters are reported as dropped', () => {
    const letters: KeywordLetters = new Map();
    const keywords = Array.from({ length: 28 }, (_, i) => `k${i}`);
    const dropped: string[] = [];
    expect(flagsToInfo(['\\Seen', ...keywords], letters, dropped)).toBe(
      ':2,S' + 'abcdefghijklmnopqrstuvwxyz',
    );
    expect(dropped).toEqual(['k26', 'k27']);
    expect(letters.size).toBe(26);
  });

  it('file names carry the UID and UIDVALIDITY of an export', () => {
    const base = maildirBaseName(new Date(Date.UTC(2024, 0, 1)), 1700000000, 42);
    expect(base).toBe('1704067200.M42V1700000000.imapkit');
    expect(exportedUid(base + ':2,S', 1700000000)).toBe(42);
    expect(exportedUid(base + ':2,S', 1)).toBe(null);
    expect(exportedUid('1704067200.other.host:2,S', 1700000000)).toBe(null);
  });

  it('keywords survive the dovecot-keywords file; messages list oldest first with mtime dates', async () => {
    const dir = tmp();
    ensureMaildir(dir);
    await writeKeywords(
      dir,
      new Map([
        ['a', 'Work'],
        ['b', '$Junk'],
      ]),
    );
    expect([...(await readKeywords(dir))]).toEqual([
      ['a', 'Work'],
      ['b', '$Junk'],
    ]);
    writeFileSync(join(dir, 'cur', '20.M2V1.imapkit:2,Sb'), 'two\n');
    writeFileSync(join(dir, 'new', '10.M1V1.imapkit'), 'one\n');
    writeFileSync(join(dir, 'cur', '100.x:2,a'), 'three\n');
    const entries = await listMaildir(dir);
    expect(entries.map((e) => [e.name, e.flags])).toEqual([
      ['10.M1V1.imapkit', []],
      ['20.M2V1.imapkit:2,Sb', ['\\Seen', '$Junk']],
      ['100.x:2,a', ['Work']],
    ]);
    expect(entries[0]!.date).toBeInstanceOf(Date);
  });
});
