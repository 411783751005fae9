/**
 * The connection fuzzer's in-memory IMAP server: a Duplex that reads the
 * client's command lines (with their literals, synchronising or not, IDLE's
 * DONE and AUTHENTICATE's answers) and answers each with a response script
 * generated for it — realistic first (what Dovecot or a server with the
 * extension sends), then mutated by a seeded PRNG: wrong tags, swapped or
 * duplicated lines, missing completions, truncated literals, random bytes,
 * other commands' completions, unsolicited floods, BYE, end of stream —
 * and written in random chunks. Everything it decides comes from `rand`, so
 * a seed reproduces a run (up to timer races the driver's timeouts allow).
 */
import { Duplex } from 'node:stream';
import { type Rand, mutate, randomBytes } from '../wire/fixtures/mutate.js';

/** How hostile one run's server is (drawn once per input). */
export interface ServerProfile {
  /** Capabilities announced in the greeting. */
  capabilities: string[];
  /** The greeting is PREAUTH (else OK, and the driver logs in). */
  preauth: boolean;
  /** Chance in 1000 that an answer is mutated. */
  mutateRate: number;
  /** Chance in 1000 that an answer gets an unsolicited flood. */
  floodRate: number;
  /** Hold answers and release several together, shuffled across commands. */
  batch: boolean;
  /** Split writes into random chunks. */
  chunked: boolean;
  /** Mutate the greeting itself. */
  badGreeting: boolean;
  /**
   * Mutations keep the grammar (no random bytes): wrong tags, lines moved,
   * boundary numbers, BYE... so sessions live long enough to reach deep states.
   */
  semantic: boolean;
}

const ALL_CAPS = [
  'IMAP4rev1',
  'LITERAL+',
  'IDLE',
  'UIDPLUS',
  'MOVE',
  'CONDSTORE',
  'QRESYNC',
  'ENABLE',
  'ESEARCH',
  'ESORT',
  'SORT',
  'THREAD=REFERENCES',
  'CONTEXT=SEARCH',
  'CONTEXT=SORT',
  'LIST-EXTENDED',
  'LIST-STATUS',
  'LIST-METADATA',
  'METADATA',
  'SPECIAL-USE',
  'BINARY',
  'INPROGRESS',
  'MESSAGELIMIT=50',
  'UIDONLY',
  'SEARCHRES',
  'PARTIAL',
  'STATUS=SIZE',
  'NAMESPACE',
  'AUTH=PLAIN',
];

/** Draws a server profile. */
export function drawProfile(rand: Rand): ServerProfile {
  const capabilities = ALL_CAPS.filter((c) => c === 'IMAP4rev1' || rand(5) !== 0);
  const hostility = rand(4);
  return {
    capabilities,
    preauth: rand(4) !== 0,
    mutateRate: [0, 40, 150, 500][hostility]!,
    floodRate: [0, 30, 100, 300][rand(4)]!,
    batch: rand(3) === 0,
    chunked: rand(2) === 0,
    badGreeting: rand(30) === 0,
    semantic: rand(2) === 0,
  };
}

/** One command as the server read it. */
interface Command {
  tag: string;
  /** The command line(s), literals replaced by `{n}`. */
  text: string;
  /** Upper-case verb, `UID` folded in (`UID FETCH`). */
  verb: string;
}

const BOUNDARY_NUMBERS = [
  '0',
  '1',
  '2147483648',
  '4294967295',
  '4294967296',
  '9223372036854775807',
  '18446744073709551615',
  '99999999999999999999',
];
const BOUNDARY_SETS = [
  '1:4294967295',
  '4294967295:1',
  '*',
  '1:*',
  '*:1',
  '0',
  '1,1,1,1',
  '2:1,5:3',
];

const crlf = (s: string): Buffer => Buffer.from(s + '\r\n', 'latin1');

/** A message body of `n` bytes. */
function body(rand: Rand, n: number): string {
  const head = 'Subject: hi\r\nFrom: a@b.c\r\n\r\n';
  let s = head;
  while (s.length < n) s += String.fromCharCode(0x20 + rand(95));
  return s.slice(0, n);
}

const ENVELOPE =
  '("Tue, 24 Nov 2026 10:00:00 +0000" "Hello {there}" (("Ann" NIL "ann" "example.com")) NIL NIL ' +
  '(("Bob" NIL "bob" "example.com")) NIL NIL NIL "<id@example.com>")';
const BODYSTRUCTURES = [
  '("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL)',
  '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 10 1)("APPLICATION" "PDF" ("NAME" "a.pdf") NIL NIL "BASE64" 400 NIL ("ATTACHMENT" ("FILENAME" "a.pdf")) NIL NIL) "MIXED" ("BOUNDARY" "x") NIL NIL NIL)',
  '("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 100 ("date" "subj" NIL NIL NIL NIL NIL NIL NIL "<i@x>") ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 5 1) 3)',
];
const FLAGS = ['()', '(\\Seen)', '(\\Seen \\Flagged)', '(\\Deleted)', '($Forwarded \\Answered)'];

/** The in-memory server; `stream` is the client's transport. */
export class FuzzServer {
  readonly stream: Duplex;
  readonly profile: ServerProfile;
  /** What went over the wire, for a finding's report (capped). */
  readonly transcript: string[] = [];
  #transcriptBytes = 0;
  readonly #rand: Rand;
  #in: Buffer = Buffer.alloc(0);
  /** Bytes of literal still to read for `#partial`. */
  #literalLeft = 0;
  #partial: { text: string } | null = null;
  #idleTag: string | null = null;
  #authTag: string | null = null;
  #ended = false;
  #out: Buffer[] = [];
  #pumping = false;
  #held: Buffer[][] = [];
  #exists: number;
  #uidNext: number;
  #modseq = 100;
  #tags: string[] = [];
  #contexts: string[] = [];
  /** Tags whose completion was written. */
  readonly #completed = new Set<string>();
  #enabled = new Set<string>();
  #selected = false;

  constructor(rand: Rand, profile: ServerProfile) {
    this.#rand = rand;
    this.profile = profile;
    this.#exists = rand(3) === 0 ? 0 : 1 + rand(20);
    this.#uidNext = this.#exists + 1 + rand(50);
    this.stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, done) => {
        this.#record('C', chunk);
        try {
          this.#read(chunk);
        } catch (err) {
          done(err as Error);
          return;
        }
        done();
      },
      final: (done) => {
        this.#end();
        done();
      },
    });
    const caps = profile.capabilities.join(' ');
    let greeting = profile.preauth
      ? crlf(`* PREAUTH [CAPABILITY ${caps}] ready`)
      : crlf(`* OK [CAPABILITY ${caps}] ready`);
    if (profile.badGreeting) greeting = mutate(greeting, rand);
    this.#send([greeting]);
  }

  #record(dir: 'C' | 'S', data: Buffer): void {
    if (this.#transcriptBytes > 256 * 1024) return;
    this.#transcriptBytes += data.length;
    this.transcript.push(`${dir}: ${JSON.stringify(data.toString('latin1'))}`);
  }

  // ------------------------------------------------------------------
  // Reading commands

  #read(chunk: Buffer): void {
    this.#in = this.#in.length === 0 ? chunk : Buffer.concat([this.#in, chunk]);
    for (;;) {
      if (this.#literalLeft > 0) {
        const take = Math.min(this.#literalLeft, this.#in.length);
        this.#in = this.#in.subarray(take);
        this.#literalLeft -= take;
        if (this.#literalLeft > 0) return;
      }
      const end = this.#in.indexOf('\r\n');
      if (end === -1) return;
      const line = this.#in.subarray(0, end).toString('latin1');
      this.#in = this.#in.subarray(end + 2);
      this.#line(line);
    }
  }

  #line(line: string): void {
    if (this.#partial === null && this.#idleTag !== null && line.toUpperCase() === 'DONE') {
      const tag = this.#idleTag;
      this.#idleTag = null;
      this.#answer([...this.#unsolicited(this.#rand(3)), crlf(`${tag} OK Idle completed`)], tag);
      return;
    }
    if (this.#partial === null && this.#authTag !== null) {
      const tag = this.#authTag;
      this.#authTag = null;
      this.#answer(
        [crlf(`${tag} OK [CAPABILITY ${this.profile.capabilities.join(' ')}] Logged in`)],
        tag,
      );
      return;
    }
    const text = this.#partial === null ? line : this.#partial.text + line;
    const literal = /\{(\d+)(\+?)\}$/.exec(line);
    if (literal !== null) {
      const size = Number(literal[1]);
      const sync = literal[2] === '';
      const tag = text.split(' ', 1)[0]!;
      if (sync && this.#rand(40) === 0) {
        // Refuse the literal: the command ends here.
        this.#partial = null;
        this.#answer([crlf(`${tag} NO [TOOBIG] literal too big`)], tag);
        return;
      }
      this.#partial = { text };
      this.#literalLeft = size;
      if (sync)
        this.#send([
          this.profile.mutateRate > 0 && this.#rand(50) === 0
            ? mutate(crlf('+ Ready'), this.#rand)
            : crlf('+ Ready'),
        ]);
      return;
    }
    this.#partial = null;
    const space = text.indexOf(' ');
    const tag = space === -1 ? text : text.slice(0, space);
    const rest = space === -1 ? '' : text.slice(space + 1);
    const words = rest.split(' ');
    let verb = (words[0] ?? '').toUpperCase();
    if (verb === 'UID') verb = `UID ${(words[1] ?? '').toUpperCase()}`;
    this.#tags.push(tag);
    if (this.#tags.length > 16) this.#tags.shift();
    this.#command({ tag, text: rest, verb });
  }

  // ------------------------------------------------------------------
  // Answers

  #command(c: Command): void {
    const r = this.#rand;
    let lines = this.#realistic(c);
    if (lines === null) return; // answered later (IDLE, AUTHENTICATE)
    const last = lines[lines.length - 1]?.toString('latin1') ?? '';
    if (
      this.profile.mutateRate === 0 &&
      / (NO|BAD) /.test(last.slice(c.tag.length, c.tag.length + 5))
    ) {
      // A server failing a command sends none of its data (a hostile one may).
      lines = lines.filter(
        (l) => !l.toString('latin1').startsWith('* ') || l.toString('latin1').startsWith('* OK '),
      );
    }
    this.#answer(lines, c.tag);
    if (c.verb === 'LOGOUT' && r(4) !== 0) this.#end();
  }

  #answer(lines: Buffer[], tag: string): void {
    const r = this.#rand;
    let out = lines;
    if (r(1000) < this.profile.floodRate) {
      // Now and then a big one (over small maxCollectedBytes, through the command timeout's progress accounting).
      const flood = this.#unsolicited(1 + r(r(50) === 0 ? 20_000 : r(5) === 0 ? 400 : 12));
      const at = r(out.length + 1);
      out = [...out.slice(0, at), ...flood, ...out.slice(at)];
    }
    if (r(1000) < this.profile.mutateRate) out = this.#mutateScript(out, tag);
    if (this.profile.batch && r(3) !== 0) {
      this.#held.push(out);
      if (this.#held.length === 1) {
        setTimeout(() => this.#release(), r(3));
      }
      return;
    }
    this.#send(out);
  }

  #release(): void {
    const held = this.#held;
    this.#held = [];
    const r = this.#rand;
    // Untagged data of every answer first (as Dovecot does for a batch), then
    // the completions, sometimes in another order.
    const untagged: Buffer[] = [];
    const tagged: Buffer[] = [];
    for (const lines of held) {
      for (const l of lines) (l[0] === 0x2a || l[0] === 0x2b ? untagged : tagged).push(l);
    }
    if (r(3) === 0) tagged.reverse();
    this.#send([...untagged, ...tagged]);
  }

  /** Unsolicited data: EXISTS, EXPUNGE, FETCH, VANISHED, context updates, progress. */
  #unsolicited(n: number): Buffer[] {
    const r = this.#rand;
    const out: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const seq = 1 + r(Math.max(1, this.#exists));
      switch (r(9)) {
        case 0:
          this.#exists += r(3);
          out.push(crlf(`* ${this.#exists} EXISTS`));
          break;
        case 1:
          if (this.#exists > 0) this.#exists--;
          out.push(crlf(`* ${seq} EXPUNGE`));
          break;
        case 2:
          out.push(
            crlf(`* ${seq} FETCH (FLAGS ${FLAGS[r(FLAGS.length)]!} MODSEQ (${++this.#modseq}))`),
          );
          break;
        case 3:
          out.push(crlf(`* ${seq} UIDFETCH (FLAGS ${FLAGS[r(FLAGS.length)]!})`));
          break;
        case 4:
          out.push(crlf(`* VANISHED ${1 + r(40)}:${41 + r(40)}`));
          break;
        case 5: {
          // A clean server updates only contexts whose command it completed
          // (RFC 5267 4.3); a hostile one names any tag.
          const clean = this.profile.mutateRate === 0;
          const contexts = clean
            ? this.#contexts.filter((t) => this.#completed.has(t))
            : this.#contexts;
          if (clean && contexts.length === 0) break;
          const tag =
            contexts.length > 0 && (clean || r(3) !== 0)
              ? contexts[r(contexts.length)]!
              : (this.#tags[r(Math.max(1, this.#tags.length))] ?? 'A1');
          const op =
            r(2) === 0 ? `ADDTO (${r(3)} ${this.#uidNext++})` : `REMOVEFROM (${r(3)} ${seq})`;
          out.push(crlf(`* ESEARCH (TAG "${tag}") UID ${op}`));
          break;
        }
        case 6: {
          const tag = this.#tags[r(Math.max(1, this.#tags.length))] ?? 'A1';
          out.push(
            crlf(
              `* OK [INPROGRESS ("${tag}" ${r(10)} ${r(2) === 0 ? 'NIL' : 10 + r(10)})] working`,
            ),
          );
          break;
        }
        case 7:
          out.push(crlf(`* ${r(10)} RECENT`));
          break;
        default:
          out.push(crlf(`* OK [HIGHESTMODSEQ ${++this.#modseq}] modseq`));
      }
    }
    return out;
  }

  /** A tagged completion, sometimes NO/BAD with a code, INPROGRESS before it. */
  #done(c: Command, okCode = ''): Buffer[] {
    const r = this.#rand;
    const out: Buffer[] = [];
    if (this.profile.capabilities.includes('INPROGRESS') && r(6) === 0) {
      out.push(crlf(`* OK [INPROGRESS ("${c.tag}" ${r(5)} ${5 + r(5)})] in progress`));
    }
    const fail = r(12);
    if (fail === 0) {
      const codes = [
        '',
        '[TRYCREATE] ',
        '[NONEXISTENT] ',
        '[OVERQUOTA] ',
        '[CANNOT] ',
        '[LIMIT] ',
        '[SERVERBUG] ',
      ];
      out.push(crlf(`${c.tag} NO ${codes[r(codes.length)]!}failed`));
    } else if (fail === 1) {
      const codes = ['', '[UIDREQUIRED] ', '[CLIENTBUG] '];
      out.push(crlf(`${c.tag} BAD ${codes[r(codes.length)]!}bad command`));
    } else if (fail === 2 && this.profile.capabilities.includes('MESSAGELIMIT=50')) {
      out.push(crlf(`${c.tag} OK [MESSAGELIMIT 50 ${1 + r(30)}] partial`));
    } else {
      out.push(crlf(`${c.tag} OK ${okCode}completed`));
    }
    return out;
  }

  #uidOnly(): boolean {
    return this.#enabled.has('UIDONLY');
  }

  #realistic(c: Command): Buffer[] | null {
    const r = this.#rand;
    const t = c.text.toUpperCase();
    const seqs = (): number[] => {
      const n = r(6);
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(1 + r(Math.max(1, this.#exists + 2)));
      return out;
    };
    switch (c.verb) {
      case 'SELECT':
      case 'EXAMINE': {
        this.#selected = true;
        this.#contexts = [];
        const out = [
          crlf(`* ${this.#exists} EXISTS`),
          crlf(`* 0 RECENT`),
          crlf('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)'),
          crlf('* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Limited'),
          crlf(`* OK [UIDVALIDITY ${1 + r(3)}] UIDs valid`),
          crlf(`* OK [UIDNEXT ${this.#uidNext}] Predicted next UID`),
          crlf(
            r(5) === 0 ? '* OK [NOMODSEQ] none' : `* OK [HIGHESTMODSEQ ${this.#modseq}] Highest`,
          ),
        ];
        if (t.includes('QRESYNC')) {
          out.push(crlf(`* VANISHED (EARLIER) 1:${1 + r(5)}`));
          out.push(
            crlf(`* 1 FETCH (UID ${this.#uidNext - 1} FLAGS (\\Seen) MODSEQ (${this.#modseq}))`),
          );
        }
        if (r(8) === 0) out.unshift(crlf('* OK [CLOSED] previous mailbox closed'));
        return [...out, ...this.#done(c, c.verb === 'EXAMINE' ? '[READ-ONLY] ' : '[READ-WRITE] ')];
      }
      case 'FETCH':
      case 'UID FETCH': {
        const out: Buffer[] = [];
        const sections = [
          ...t.matchAll(/(BODY|BINARY)(?:\.PEEK)?\[([^\]]*)\](?:<(\d+)(?:\.\d+)?>)?/g),
        ];
        const isUid = c.verb.startsWith('UID');
        const asked = c.text.split(' ')[isUid ? 2 : 1] ?? '';
        let ids = seqs();
        const one = /^(\d+)(?::(\d+))?$/.exec(asked);
        if (one !== null && r(8) !== 0) {
          const lo = Number(one[1]);
          const hi = Math.min(lo + 5, Number(one[2] ?? one[1]));
          ids = [];
          for (let i = lo; i <= hi; i++) if (r(4) !== 0) ids.push(i);
        }
        for (const id of ids) {
          const uid = isUid ? id : id + 10;
          const seq = isUid ? 1 + (id % Math.max(1, this.#exists)) : id;
          const items: string[] = [];
          items.push(`UID ${uid}`);
          if (t.includes('FLAGS') || r(3) === 0) items.push(`FLAGS ${FLAGS[r(FLAGS.length)]!}`);
          if (t.includes('MODSEQ') || r(4) === 0) items.push(`MODSEQ (${this.#modseq})`);
          if (t.includes('ENVELOPE')) items.push(`ENVELOPE ${ENVELOPE}`);
          if (t.includes('BODYSTRUCTURE'))
            items.push(`BODYSTRUCTURE ${BODYSTRUCTURES[r(BODYSTRUCTURES.length)]!}`);
          if (t.includes('INTERNALDATE')) items.push('INTERNALDATE "24-Nov-2026 10:00:00 +0000"');
          if (t.includes('RFC822.SIZE')) items.push(`RFC822.SIZE ${r(5000)}`);
          let literals = '';
          for (const s of sections) {
            const n = r(4) === 0 ? r(3000) : r(200);
            const origin = s[3] === undefined ? '' : `<${s[3]}>`;
            literals += ` ${s[1]}[${s[2]}]${origin} {${n}}\r\n${body(r, n)}`;
          }
          const head = this.#uidOnly() ? `* ${uid} UIDFETCH (` : `* ${seq} FETCH (`;
          let itemsText = items.join(' ');
          if (this.#uidOnly()) itemsText = itemsText.replace(/^UID \d+ ?/, '');
          out.push(Buffer.from(`${head}${itemsText}${literals})\r\n`, 'latin1'));
        }
        return [...out, ...this.#done(c)];
      }
      case 'SEARCH':
      case 'UID SEARCH':
      case 'SORT':
      case 'UID SORT': {
        const out: Buffer[] = [];
        let hits = seqs();
        const tagNumber = /^A(\d+)$/.exec(c.tag);
        if (this.profile.mutateRate === 0 && tagNumber !== null) {
          // Numbers that name their command (A7 finds 8001, 8002...): the
          // driver checks that pipelined commands got their own results.
          const base = (Number(tagNumber[1]) + 1) * 1000;
          hits = hits.map((_, i) => base + 1 + i);
        }
        if (t.includes('RETURN')) {
          const uid = c.verb.startsWith('UID') ? ' UID' : '';
          const set = hits.length === 0 ? '' : ` ALL ${hits.join(',')}`;
          const count = ` COUNT ${hits.length}`;
          const minmax =
            hits.length === 0 ? '' : ` MIN ${Math.min(...hits)} MAX ${Math.max(...hits)}`;
          if (t.includes('UPDATE')) this.#contexts.push(c.tag);
          if (!t.includes('SAVE') || r(2) === 0) {
            out.push(crlf(`* ESEARCH (TAG "${c.tag}")${uid}${set}${count}${minmax}`));
          }
        } else {
          out.push(
            crlf(
              `* ${c.verb.endsWith('SORT') ? 'SORT' : 'SEARCH'}${hits.map((h) => ` ${h}`).join('')}`,
            ),
          );
        }
        return [...out, ...this.#done(c)];
      }
      case 'THREAD':
      case 'UID THREAD':
        return [crlf(r(2) === 0 ? '* THREAD (1)(2 3)((4)(5 6))' : '* THREAD'), ...this.#done(c)];
      case 'LIST':
      case 'LSUB': {
        const names = ['INBOX', '"Archive"', '"Archive/2026"', '{10}\r\nSent &AOk-'];
        const out: Buffer[] = [];
        for (const name of names.slice(0, 1 + r(names.length))) {
          const bare = name.startsWith('{') ? 'Sent' : name;
          const special = r(3) === 0 ? ' \\Sent' : '';
          out.push(crlf(`* ${c.verb} (\\HasNoChildren${special}) "/" ${name}`));
          if (t.includes('STATUS'))
            out.push(crlf(`* STATUS ${bare} (MESSAGES ${r(10)} UIDNEXT ${r(99)})`));
          if (t.includes('METADATA')) {
            out.push(
              crlf(`* METADATA ${bare} (/private/comment ${r(2) === 0 ? 'NIL' : '"note"'})`),
            );
          }
        }
        return [...out, ...this.#done(c)];
      }
      case 'STATUS': {
        const name = c.text.split(' ')[1] ?? 'INBOX';
        return [
          crlf(
            `* STATUS ${name} (MESSAGES ${r(10)} UNSEEN ${r(3)} UIDNEXT ${r(99)} UIDVALIDITY 1)`,
          ),
          ...this.#done(c),
        ];
      }
      case 'STORE':
      case 'UID STORE': {
        const out: Buffer[] = [];
        if (!t.includes('.SILENT')) {
          for (const seq of seqs()) {
            out.push(
              crlf(
                this.#uidOnly()
                  ? `* ${seq + 10} UIDFETCH (FLAGS ${FLAGS[r(FLAGS.length)]!} MODSEQ (${++this.#modseq}))`
                  : `* ${seq} FETCH (UID ${seq + 10} FLAGS ${FLAGS[r(FLAGS.length)]!} MODSEQ (${++this.#modseq}))`,
              ),
            );
          }
        }
        const modified =
          t.includes('UNCHANGEDSINCE') && r(2) === 0 ? `[MODIFIED ${1 + r(9)}] ` : '';
        return [...out, ...this.#done(c, modified)];
      }
      case 'COPY':
      case 'UID COPY':
        return this.#done(
          c,
          `[COPYUID ${1 + r(3)} ${1 + r(9)}:${10 + r(9)} ${100 + r(9)}:${110 + r(9)}] `,
        );
      case 'MOVE':
      case 'UID MOVE': {
        const out = [crlf(`* OK [COPYUID 1 ${1 + r(9)} ${100 + r(9)}] moved`)];
        for (const seq of seqs()) {
          out.push(
            crlf(
              this.#enabled.has('QRESYNC') || this.#uidOnly()
                ? `* VANISHED ${seq + 10}`
                : `* ${seq} EXPUNGE`,
            ),
          );
        }
        return [...out, ...this.#done(c)];
      }
      case 'EXPUNGE':
      case 'UID EXPUNGE': {
        const out: Buffer[] = [];
        for (const seq of seqs()) {
          out.push(
            crlf(
              this.#enabled.has('QRESYNC') || this.#uidOnly()
                ? `* VANISHED ${seq + 10}`
                : `* ${seq} EXPUNGE`,
            ),
          );
        }
        return [...out, ...this.#done(c)];
      }
      case 'APPEND':
        this.#exists++;
        return [
          crlf(`* ${this.#exists} EXISTS`),
          ...this.#done(c, `[APPENDUID 1 ${this.#uidNext++}] `),
        ];
      case 'IDLE':
        this.#idleTag = c.tag;
        this.#send([crlf('+ idling'), ...(r(2) === 0 ? this.#unsolicited(r(4)) : [])]);
        return null;
      case 'AUTHENTICATE':
        if (/^AUTHENTICATE \S+ \S/i.test(c.text)) {
          return [
            crlf(`${c.tag} OK [CAPABILITY ${this.profile.capabilities.join(' ')}] Logged in`),
          ];
        }
        this.#authTag = c.tag;
        this.#send([crlf('+ ')]);
        return null;
      case 'LOGIN':
        return [crlf(`${c.tag} OK [CAPABILITY ${this.profile.capabilities.join(' ')}] Logged in`)];
      case 'ENABLE': {
        const wanted = c.text
          .split(' ')
          .slice(1)
          .map((w) => w.toUpperCase());
        const got = wanted.filter((w) => this.profile.capabilities.includes(w));
        for (const g of got) this.#enabled.add(g);
        if (got.includes('QRESYNC')) this.#enabled.add('CONDSTORE');
        return [crlf(`* ENABLED ${got.join(' ')}`), crlf(`${c.tag} OK enabled`)];
      }
      case 'CAPABILITY':
        return [
          crlf(`* CAPABILITY ${this.profile.capabilities.join(' ')}`),
          crlf(`${c.tag} OK done`),
        ];
      case 'NAMESPACE':
        return [crlf('* NAMESPACE (("" "/")) NIL NIL'), ...this.#done(c)];
      case 'GETMETADATA':
        return [crlf('* METADATA "INBOX" (/private/comment "hello")'), ...this.#done(c)];
      case 'LOGOUT':
        return [crlf('* BYE logging out'), crlf(`${c.tag} OK bye`)];
      case 'CLOSE':
      case 'UNSELECT':
        this.#selected = false;
        this.#contexts = [];
        return this.#done(c);
      case 'NOOP':
      case 'CHECK':
        return [...this.#unsolicited(r(3)), ...this.#done(c)];
      default:
        return this.#done(c);
    }
  }

  // ------------------------------------------------------------------
  // Mutations of one answer

  #mutateScript(lines: Buffer[], tag: string): Buffer[] {
    const r = this.#rand;
    let out = [...lines];
    const n = 1 + r(3);
    const isTagged = (l: Buffer): boolean =>
      l.subarray(0, tag.length + 1).toString('latin1') === `${tag} `;
    for (let i = 0; i < n; i++) {
      const at = r(Math.max(1, out.length));
      let kind = r(17);
      if (this.profile.semantic && (kind === 4 || kind === 5 || kind === 6)) kind = 14 + r(3);
      switch (kind) {
        case 14:
        case 15: {
          // a number at a boundary (seq 0, the largest UID, over 32 bits, over 63 bits)
          const l = out[at];
          if (l === undefined) break;
          const text = l.toString('latin1');
          const runs = [...text.matchAll(/\d+/g)];
          const run = runs[r(Math.max(1, runs.length))];
          if (run === undefined) break;
          const value = BOUNDARY_NUMBERS[r(BOUNDARY_NUMBERS.length)]!;
          out[at] = Buffer.from(
            text.slice(0, run.index) + value + text.slice(run.index + run[0].length),
            'latin1',
          );
          break;
        }
        case 16: {
          // a set at its extremes: everything, a reversed range, '*'
          const l = out[at];
          if (l === undefined) break;
          const text = l.toString('latin1');
          const sets = [...text.matchAll(/\d+(?:[:,]\d+)+/g)];
          const set = sets[r(Math.max(1, sets.length))];
          if (set === undefined) break;
          const value = BOUNDARY_SETS[r(BOUNDARY_SETS.length)]!;
          out[at] = Buffer.from(
            text.slice(0, set.index) + value + text.slice(set.index + set[0].length),
            'latin1',
          );
          break;
        }
        case 0: // drop the completion
          out = out.filter((l) => !isTagged(l));
          break;
        case 1: // duplicate the completion
          out = [...out, ...out.filter(isTagged)];
          break;
        case 2: {
          // the completion with another tag (another command's, or one never sent)
          const other = r(2) === 0 ? (this.#tags[r(this.#tags.length)] ?? 'A0') : `X${r(99)}`;
          out = out.map((l) =>
            isTagged(l)
              ? Buffer.from(other + l.subarray(tag.length).toString('latin1'), 'latin1')
              : l,
          );
          break;
        }
        case 3: // swap two lines
          if (out.length > 1) {
            const b = r(out.length);
            [out[at], out[b]] = [out[b]!, out[at]!];
          }
          break;
        case 4: // mutate a line's bytes
          if (out.length > 0) out[at] = mutate(out[at]!, r);
          break;
        case 5: {
          // truncate a literal: cut inside it and go on with the next line
          const l = out[at];
          if (l !== undefined) {
            const lit = l.indexOf('}\r\n');
            if (lit !== -1) out[at] = l.subarray(0, lit + 3 + r(Math.max(1, l.length - lit - 3)));
          }
          break;
        }
        case 6: // random bytes
          out.splice(at, 0, Buffer.concat([randomBytes(r, 120), Buffer.from('\r\n')]));
          break;
        case 7: // BYE
          out.splice(at, 0, crlf(r(2) === 0 ? '* BYE shutting down' : '* BYE [ALERT] go away'));
          break;
        case 8: // a spurious continuation
          out.splice(at, 0, crlf(r(2) === 0 ? '+ go ahead' : '+'));
          break;
        case 9: // end the stream after this answer
          out.push(Buffer.from('\0END\0'));
          break;
        case 10: {
          // another in-flight command's completion, early
          const other = this.#tags[r(this.#tags.length)];
          if (other !== undefined)
            out.splice(at, 0, crlf(`${other} ${['OK', 'NO', 'BAD'][r(3)]!} early`));
          break;
        }
        case 11: // an untagged response without its data
          out.splice(
            at,
            0,
            crlf(
              [
                '* SEARCH',
                '* ESEARCH',
                '* 1 FETCH ()',
                '* LIST () NIL ""',
                '* STATUS x ()',
                '* SORT',
                '* ENABLED',
              ][r(7)]!,
            ),
          );
          break;
        case 12: // an untagged response of another kind in this command's answer
          out.splice(at, 0, ...this.#unsolicited(1));
          break;
        default: {
          // an ALERT, READ-ONLY or a response code out of place
          const codes = [
            '[ALERT] hey',
            '[READ-ONLY] now',
            '[CLOSED]',
            `[UIDVALIDITY ${r(9)}]`,
            '[MESSAGELIMIT 0 0]',
            '[INPROGRESS (NIL NIL NIL)]',
          ];
          out.splice(at, 0, crlf(`* OK ${codes[r(codes.length)]!} x`));
        }
      }
    }
    return out;
  }

  // ------------------------------------------------------------------
  // Writing

  #send(lines: Buffer[]): void {
    const r = this.#rand;
    for (const l of lines) {
      if (l[0] !== 0x2a && l[0] !== 0x2b) {
        const space = l.indexOf(0x20);
        if (space > 0) this.#completed.add(l.subarray(0, space).toString('latin1'));
      }
      if (l.length === 5 && l.toString('latin1') === '\0END\0') {
        this.#out.push(l);
        continue;
      }
      if (this.profile.chunked && l.length > 1 && r(3) === 0) {
        let prev = 0;
        const cuts = 1 + r(4);
        for (let i = 0; i < cuts; i++) {
          const cut = prev + r(l.length - prev);
          if (cut > prev) this.#out.push(l.subarray(prev, cut));
          prev = cut;
        }
        this.#out.push(l.subarray(prev));
      } else {
        this.#out.push(l);
      }
    }
    this.#pump();
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    setImmediate(() => {
      this.#pumping = false;
      const r = this.#rand;
      // Push several pieces per turn (sometimes one).
      let n = r(4) === 0 ? 1 : this.#out.length;
      while (n-- > 0 && this.#out.length > 0) {
        const piece = this.#out.shift()!;
        if (piece.length === 5 && piece.toString('latin1') === '\0END\0') {
          this.#end();
          return;
        }
        if (this.#ended) return;
        this.#record('S', piece);
        this.stream.push(piece);
      }
      if (this.#out.length > 0) this.#pump();
    });
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#out = [];
    this.stream.push(null);
  }

  /** Ends the server's side of the stream (as a server that goes away; idempotent). */
  hangUp(): void {
    this.#end();
  }

  /** The server is gone: nothing more is written. */
  get ended(): boolean {
    return this.#ended;
  }

  /** A mailbox was selected at some point. */
  get selected(): boolean {
    return this.#selected;
  }
}
