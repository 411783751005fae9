/**
 * imapkit's imaplib facade: the calls of a Python imaplib script, awaited.
 * Like CPython's imaplib it hands back raw FETCH bytes, so W1 parses them
 * with a port of cpython.py's small parser (same algorithm, same work).
 */
import type { IMAP4_SSL as IMAP4_SSL_T } from '../../src/imaplib/index.js';
import { CountCheck, W1Check, runWorker, uidList, type Context } from './common.js';

type Item = Buffer | [Buffer, Buffer] | null;
type Value = Buffer | null | Value[];

/** Tokens: `(`, `)`, a quoted string, a literal `{n}\r\n`, or an atom (cpython.py's TOKEN). */
const TOKEN = / *(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|\{(\d+)\}\r\n|([^ ()"{]+))/y;

/** Parses one response (literals inline) into nested lists; strings and atoms as Buffers. */
function parse(buf: Buffer): Value[] {
  const text = buf.toString('latin1');
  const root: Value[] = [];
  const stack: Value[][] = [root];
  let pos = 0;
  while (pos < text.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) throw new Error(`cannot parse at ${pos}: ${text.slice(pos, pos + 40)}`);
    pos = TOKEN.lastIndex;
    const top = stack[stack.length - 1]!;
    if (m[1]) {
      const child: Value[] = [];
      top.push(child);
      stack.push(child);
    } else if (m[2]) {
      stack.pop();
    } else if (m[3] !== undefined) {
      top.push(Buffer.from(m[3].includes('\\') ? m[3].replace(/\\(.)/g, '$1') : m[3], 'latin1'));
    } else if (m[4]) {
      const n = Number(m[4]);
      top.push(buf.subarray(pos, pos + n));
      pos += n;
    } else {
      top.push(m[5] === 'NIL' ? null : Buffer.from(m[5]!, 'latin1'));
    }
  }
  return root;
}

/** Groups imaplib FETCH data ([line, literal] pairs, then the rest) into whole responses. */
function* fetchResponses(data: Item[]): Generator<Buffer> {
  let parts: Buffer[] = [];
  for (const item of data) {
    if (item === null) continue;
    if (Array.isArray(item)) {
      parts.push(item[0], Buffer.from('\r\n'), item[1]);
    } else {
      parts.push(item);
      yield Buffer.concat(parts);
      parts = [];
    }
  }
}

/** `seq (NAME value ...)` -> {NAME: value}. */
function attrsOf(response: Buffer): Map<string, Value> {
  const items = parse(response)[1] as Value[];
  const out = new Map<string, Value>();
  for (let i = 0; i < items.length; i += 2) {
    out.set((items[i] as Buffer).toString('latin1').toUpperCase(), items[i + 1]!);
  }
  return out;
}

function ok<T>([typ, data]: [string, T]): T {
  if (typ !== 'OK') throw new Error(`${typ} ${String(data)}`);
  return data;
}

await runWorker(
  async () => {
    const { IMAP4_SSL } = await import('../../src/imaplib/index.js');

    async function session(ctx: Context, select = true): Promise<IMAP4_SSL_T> {
      const { job } = ctx;
      const M = await IMAP4_SSL.connect(job.host, job.port, { tls: { ca: ctx.ca } });
      await M.login(job.user, job.password);
      if (select) ok(await M.select(job.mailbox));
      return M;
    }

    return {
      W1: async (ctx) => {
        const M = await session(ctx);
        const items = '(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)';
        const data = ok(await M.fetch(ctx.job.range, items)) as Item[];
        const check = new W1Check();
        for (const response of fetchResponses(data)) {
          const a = attrsOf(response);
          const subject = (a.get('ENVELOPE') as Value[])[1] as Buffer | null;
          check.add(Number((a.get('UID') as Buffer).toString()), subject?.toString('utf8') ?? '');
        }
        await M.logout();
        return { check: String(check), note: 'hand-written parser' };
      },
      W2: async (ctx) => {
        const M = await session(ctx);
        const data = ok(await M.fetch(ctx.job.range, '(BODY.PEEK[])')) as Item[];
        const check = new CountCheck();
        for (const item of data) if (Array.isArray(item)) check.add(item[1].length);
        await M.logout();
        return { check: String(check), bytes: check.bytes, note: 'buffered' };
      },
      W3: async (ctx) => {
        const M = await session(ctx);
        const data = ok(await M.uid('FETCH', String(ctx.job.uid), '(BODY.PEEK[])')) as Item[];
        let bytes = 0;
        for (const item of data) if (Array.isArray(item)) bytes += item[1].length;
        await M.logout();
        return { check: `bytes=${bytes}`, bytes, note: 'buffered' };
      },
      W4: async (ctx) => {
        const M = await session(ctx);
        for (const uid of uidList(ctx.job.uid, ctx.job.count)) {
          ok(await M.uid('STORE', String(uid), '+FLAGS', '(\\Flagged)'));
        }
        await M.logout();
        return { check: `n=${ctx.job.count}` };
      },
      W5: async (ctx) => {
        const M = await session(ctx, false);
        const check = new CountCheck();
        for (const m of ctx.messages) {
          ok(await M.append(ctx.job.mailbox, null, null, m));
          check.add(m.length);
        }
        await M.logout();
        return { check: String(check), bytes: check.bytes };
      },
    };
  },
  { W4p: 'imaplib API: one command at a time' },
);
