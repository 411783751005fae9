/**
 * Connection-level fuzzer: the layers above the parser (the connection's
 * routing, tags, continuations, literals streamed to sinks, timeouts and
 * collection limits; the commands' folding) against a hostile in-memory
 * server (./conn-server.ts) that answers every command with a realistic,
 * then mutated, response script.
 *
 *   npx tsx test/fuzz/connection.ts --inputs 5000        (or --seconds 60)
 *   npx tsx test/fuzz/connection.ts --seed 7 --concurrency 8 --seconds 300
 *   npx tsx test/fuzz/connection.ts --replay test/fuzz/conn-crashes/<seed>.json
 *
 * One input is one seed: it draws the server's profile, the connection's
 * options and a random sequence of typed commands (some pipelined with
 * Promise.all, some cancelled, iterators consumed or left early, IDLE,
 * search contexts cancelled), runs them, and checks the oracles:
 * - every command promise, iterator and stream settles within SETTLE_MS;
 * - every rejection (and stream error) is an ImapError;
 * - no uncaughtException / unhandledRejection;
 * - once the connection closed (BYE, end of stream, close(), logout()),
 *   a new command rejects within PROMPT_MS with an ImapError;
 * - the heap stays under --max-heap-mb (checked between inputs).
 * A finding is saved to test/fuzz/conn-crashes/<seed>.json with its reason
 * and the wire transcript; --replay runs that seed again.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ImapClient } from '../../src/client/client.js';
import type { ClientOptions } from '../../src/client/options.js';
import { ImapConnection } from '../../src/connection/connection.js';
import type { ConnectOptions } from '../../src/connection/types.js';
import {
  append,
  copy,
  esearch,
  esort,
  expunge,
  fetch,
  fetchAll,
  fetchStream,
  list,
  move,
  noop,
  search,
  searchContext,
  select,
  sort,
  status,
  store,
  thread,
  uidExpunge,
  examine,
  getMetadata,
} from '../../src/commands/index.js';
import type { ESearchResult, SearchContext } from '../../src/commands/index.js';
import type { IdleHandle } from '../../src/connection/idle.js';
import { ImapError, ImapLimitError } from '../../src/model/errors.js';
import { type Rand, seeded } from '../wire/fixtures/mutate.js';
import { FuzzServer, drawProfile } from './conn-server.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Where findings go. */
export const CRASH_DIR = join(here, 'conn-crashes');
/** Every operation settles within this (the command timeout is COMMAND_TIMEOUT_MS). */
export const SETTLE_MS = 4000;
/** After the connection closed, a new command rejects within this. */
export const PROMPT_MS = 250;
const COMMAND_TIMEOUT_MS = 250;
const CLEAN_TIMEOUT_MS = 2000;

/** Codes a command must not fail with when the server said nothing wrong. */
const CLEAN_FAILURES = new Set([
  'PARSE',
  'PROTOCOL',
  'CONNECTION_CLOSED',
  'CONNECTION_BYE',
  'CONNECTION_TIMEOUT',
]);

/** Limits of the parser: over one, the connection closes by design. */
const PARSER_LIMITS = new Set(['maxDepth', 'maxLineLength', 'maxLiteralSize', 'maxResponseBytes']);

/** What one input found. */
export interface InputReport {
  seed: number;
  findings: string[];
  /** Operations run. */
  ops: number;
  /** The wire, as the server saw it (for a finding's report). */
  transcript: string[];
  /** How each operation ended: `op: ok` or `op: CODE`. */
  outcomes: string[];
  /** Why the connection closed, when it closed with an error. */
  closeError?: string;
}

/** Errors that escaped (uncaughtException / unhandledRejection), reported to the inputs running. */
const escaped: string[] = [];
let hooked = false;

/** Installs the process-wide oracles once. */
export function hookProcess(): void {
  if (hooked) return;
  hooked = true;
  process.on('uncaughtException', (err) => {
    escaped.push(`uncaughtException: ${describe(err)}`);
  });
  process.on('unhandledRejection', (err) => {
    escaped.push(`unhandledRejection: ${describe(err)}`);
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}\n${err.stack ?? ''}`;
  return `non-Error thrown: ${String(err)}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * In a clean session the server's SEARCH / SORT / ESEARCH numbers name the
 * command they answer (tag An finds (n+1)*1000 + i): a result holding
 * numbers of two commands got another pipelined command's data.
 */
export function mixedResults(value: unknown): string | null {
  const numbers: number[] = [];
  if (Array.isArray(value)) {
    for (const n of value as unknown[]) if (typeof n === 'number') numbers.push(n);
  } else if (typeof value === 'object' && value !== null) {
    const r = value as { min?: number; max?: number; all?: { values(): Iterable<number> } };
    if (r.min !== undefined) numbers.push(r.min);
    if (r.max !== undefined) numbers.push(r.max);
    if (r.all !== undefined) for (const n of r.all.values()) numbers.push(n);
  }
  const blocks = new Set(numbers.map((n) => Math.floor(n / 1000)));
  return blocks.size > 1
    ? `result mixes the answers of several commands: ${numbers.join(',')}`
    : null;
}

/** A promise documented never to reject: a rejection becomes a finding (a plain Error). */
function neverRejects(what: string, p: Promise<void>): Promise<void> {
  return p.catch((err: unknown) => {
    throw new Error(`${what} rejected, documented never to: ${describe(err)}`);
  });
}

/** The outcome of one operation under the settle bound. */
type Settled = { ok: true; value: unknown } | { ok: false; error: unknown } | { hung: true };

/** A resolved value's defect: a NaN or a non-integer where counts and ids go (first found), or null. */
export function insane(value: unknown, path = 'result', seen = new Set<unknown>()): string | null {
  if (path.split('.').length > 10) return null;
  if (typeof value === 'number') return Number.isNaN(value) ? `${path} is NaN` : null;
  if (typeof value !== 'object' || value === null || seen.has(value)) return null;
  if (Buffer.isBuffer(value) || value instanceof Date) {
    return value instanceof Date && Number.isNaN(value.getTime()) && path.endsWith('internalDate')
      ? `${path} is an invalid Date`
      : null;
  }
  seen.add(value);
  const entries: [string, unknown][] =
    value instanceof Map
      ? [...value.entries()].map(([k, v]) => [String(k), v])
      : value instanceof Set
        ? [...value].map((v, i) => [String(i), v])
        : Object.entries(value);
  for (const [k, v] of entries.slice(0, 200)) {
    const bad = insane(v, `${path}.${k}`, seen);
    if (bad !== null) return bad;
  }
  return null;
}

async function bounded(p: Promise<unknown>, ms: number): Promise<Settled> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), ms);
  });
  try {
    return await Promise.race([
      p.then(
        (value: unknown): Settled => ({ ok: true, value }),
        (error: unknown): Settled => ({ ok: false, error }),
      ),
      hang,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads a stream to its end (or destroys it early, sometimes); rejects with
 * its error. With `size`, a stream that ends cleanly must have delivered
 * exactly that many bytes, and one that closes must have ended or failed:
 * a section cut short may not look complete.
 */
function drain(stream: Readable, rand: Rand, size?: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let seen = 0;
    let early = false;
    let ended = false;
    const stopAt = rand(4) === 0 ? rand(300) : Infinity;
    stream.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > stopAt && !early) {
        early = true;
        stream.destroy();
        resolve();
      }
    });
    stream.on('end', () => {
      ended = true;
      if (size !== undefined && seen !== size) {
        reject(new Error(`stream ended cleanly after ${seen} of ${size} bytes`));
      }
      resolve();
    });
    stream.on('close', () => {
      if (!early && !ended && !stream.errored)
        reject(new Error(`stream closed without end or error after ${seen} bytes`));
      resolve();
    });
    stream.on('error', (err) => reject(err));
  });
}

const SEARCHES = [
  { seen: false },
  'ALL',
  { from: 'ann', since: new Date(Date.UTC(2026, 0, 1)) },
  { uid: '1:*' },
];

/** One random operation on the connection; resolves or rejects like the command. */
function operation(conn: ImapConnection, rand: Rand, note: (op: string) => void): Promise<unknown> {
  const uid = rand(3) !== 0;
  const set =
    rand(3) === 0 ? '1:*' : rand(2) === 0 ? `${1 + rand(5)}` : `${1 + rand(5)}:${6 + rand(5)}`;
  const controller = new AbortController();
  const signal = rand(8) === 0 ? controller.signal : undefined;
  if (signal !== undefined) setTimeout(() => controller.abort(), rand(20));
  const q = SEARCHES[rand(SEARCHES.length)]!;
  const k = rand(20);
  const op = [
    'select',
    'examine',
    'fetch',
    'fetchAll',
    'fetchStream',
    'search',
    'esearch',
    'sort',
    'esort',
    'searchContext',
    'store',
    'copy',
    'move',
    'expunge',
    'list',
    'status',
    'idle',
    'append',
    'thread',
    'misc',
  ][k]!;
  note(op);
  switch (op) {
    case 'select':
      return select(
        conn,
        rand(2) === 0 ? 'INBOX' : 'Archive/2026',
        rand(3) === 0 && conn.enabled.has('QRESYNC')
          ? { qresync: { uidValidity: 1, modseq: 5n } }
          : rand(2) === 0 && conn.hasCapability('CONDSTORE')
            ? { condstore: true }
            : {},
      );
    case 'examine':
      return examine(conn, 'INBOX');
    case 'fetch':
      return (async () => {
        const items = [
          { uid: true, flags: true },
          { envelope: true, bodyStructure: true, flags: true },
          { source: true, uid: true },
          { bodyParts: [{ section: 'HEADER' }, { section: '1' }], size: true },
          { headers: ['subject', 'from'] as const, internalDate: true },
        ][rand(5)]!;
        const leaveAt = rand(3) === 0 ? rand(3) : Infinity;
        let n = 0;
        const it = fetch(conn, set, items, {
          uid,
          ...(signal === undefined ? {} : { signal }),
          ...(rand(3) === 0 ? { highWaterMark: 1 + rand(3) } : {}),
          ...(rand(4) === 0 && conn.hasCapability('CONDSTORE') ? { changedSince: 3n } : {}),
        });
        for await (const m of it) {
          if (typeof m.seq !== 'number') throw new Error('fetched message without seq');
          if (++n > leaveAt) break;
          if (rand(4) === 0) await sleep(rand(3));
        }
      })();
    case 'fetchAll':
      return fetchAll(
        conn,
        set,
        rand(2) === 0 ? { uid: true, flags: true, envelope: true } : 'FULL',
        { uid },
      );
    case 'fetchStream':
      return (async () => {
        const r = await fetchStream(conn, 1 + rand(5), rand(2) === 0 ? '' : '1', {
          uid,
          ...(signal === undefined ? {} : { signal }),
          ...(rand(3) === 0 ? { bodyStructure: true } : {}),
          ...(rand(3) === 0 ? { partial: { start: rand(10), length: 1 + rand(100) } } : {}),
          ...(rand(4) === 0 && conn.hasCapability('BINARY') ? { binary: true } : {}),
        });
        await drain(r.stream, rand, r.size);
      })();
    case 'search':
      return search(conn, q, { uid });
    case 'esearch':
      return esearch(conn, q, {
        uid,
        return: (['MIN', 'MAX', 'COUNT', 'ALL'] as const).filter(() => rand(2) === 0),
      });
    case 'sort':
      return sort(conn, ['DATE', { reverse: 'SUBJECT' }], q, { uid });
    case 'esort':
      return esort(conn, ['ARRIVAL'], q, { uid, return: ['ALL', 'COUNT'] });
    case 'searchContext':
      return (async () => {
        const ctx = await searchContext(conn, q, {
          uid,
          ...(rand(3) === 0 ? { maxBuffered: 1 + rand(3) } : {}),
          ...(signal === undefined ? {} : { signal }),
        });
        const reading = (async () => {
          for (let i = rand(4); i > 0; i--) {
            const u = await ctx.next();
            if (u.done === true) return;
          }
        })();
        // Updates come only when the server sends them: wait a little, then cancel.
        await Promise.race([reading, sleep(rand(15))]);
        await ctx.cancel();
        await reading;
      })();
    case 'store':
      return store(conn, set, {
        uid,
        [['add', 'remove', 'set'][rand(3)]!]: ['\\Seen', '$Label'],
        ...(rand(3) === 0 ? { silent: true } : {}),
        ...(rand(3) === 0 && conn.hasCapability('CONDSTORE') ? { unchangedSince: 7n } : {}),
      });
    case 'copy':
      return copy(conn, set, 'Archive', { uid });
    case 'move':
      return move(conn, set, 'Archive', { uid, allowExpungeAll: true });
    case 'expunge':
      return rand(2) === 0 || !conn.hasCapability('UIDPLUS')
        ? expunge(conn)
        : uidExpunge(conn, set);
    case 'list':
      return list(conn, '', rand(2) === 0 ? '*' : '%', {
        ...(rand(2) === 0 && conn.hasCapability('LIST-STATUS')
          ? { return: { status: ['MESSAGES', 'UIDNEXT'] } }
          : {}),
        ...(rand(3) === 0 && conn.hasCapability('LIST-METADATA')
          ? { return: { metadata: ['/private/comment'] } }
          : {}),
      });
    case 'status':
      return status(conn, 'Archive', ['MESSAGES', 'UNSEEN', 'UIDNEXT']);
    case 'idle':
      return (async () => {
        const h = await conn.idle(
          rand(2) === 0 ? { pollInterval: 5, resumeDelay: 1 } : { resumeDelay: 1 },
        );
        await sleep(rand(20));
        await neverRejects('IdleHandle.done()', h.done());
      })();
    case 'append': {
      const size = rand(4) === 0 ? 5000 + rand(5000) : rand(300);
      return append(conn, 'Archive', Buffer.alloc(size, 0x61), {
        flags: ['\\Seen'],
        ...(rand(4) === 0 && conn.hasCapability('BINARY') ? { binary: true } : {}),
      });
    }
    case 'thread':
      return thread(conn, 'REFERENCES', q, { uid });
    default:
      return rand(2) === 0 ? noop(conn) : getMetadata(conn, 'INBOX', ['/private/comment']);
  }
}

/** One random operation through ImapClient (locks, held iterators, downloads). */
function clientOperation(
  client: ImapClient,
  rand: Rand,
  note: (op: string) => void,
): Promise<unknown> {
  const uid = rand(4) !== 0;
  const set = rand(3) === 0 ? '1:*' : `${1 + rand(5)}:${6 + rand(5)}`;
  const q = SEARCHES[rand(SEARCHES.length)]!;
  const ops = [
    'mailboxOpen',
    'fetch',
    'fetchAll',
    'download',
    'search',
    'esearch',
    'searchContext',
    'flags',
    'copy',
    'move',
    'delete',
    'list',
    'listTree',
    'status',
    'append',
    'idle',
    'lock',
    'noop',
  ];
  const op = ops[rand(ops.length)]!;
  note(`client.${op}`);
  switch (op) {
    case 'mailboxOpen':
      return client.mailboxOpen(rand(2) === 0 ? 'INBOX' : 'Archive', { readOnly: rand(3) === 0 });
    case 'fetch':
      return (async () => {
        let n = 0;
        const leaveAt = rand(3) === 0 ? rand(3) : Infinity;
        for await (const m of client.fetch(
          set,
          { uid: true, flags: true, envelope: rand(2) === 0 },
          { uid },
        )) {
          if (typeof m.seq !== 'number') throw new Error('fetched message without seq');
          if (++n > leaveAt) break;
        }
      })();
    case 'fetchAll':
      return client.fetchAll(set, { uid: true, flags: true, bodyStructure: true }, { uid });
    case 'download':
      return (async () => {
        const r = await client.download(1 + rand(5), rand(2) === 0 ? '' : '1', { uid });
        await drain(r.content, rand);
      })();
    case 'search':
      return client.search(q, { uid });
    case 'esearch':
      return client.esearch(q, { uid, return: ['ALL', 'COUNT'] });
    case 'searchContext':
      return (async () => {
        const ctx = await client.searchContext(q, { uid });
        const reading = (async () => {
          for (let i = rand(3); i > 0; i--) if ((await ctx.next()).done === true) return;
        })();
        await Promise.race([reading, sleep(rand(15))]);
        await ctx.cancel();
        await reading;
      })();
    case 'flags':
      return client.messageFlagsAdd(set, ['\\Flagged'], { uid });
    case 'copy':
      return client.messageCopy(set, 'Archive', { uid });
    case 'move':
      return client.messageMove(set, 'Archive', { uid });
    case 'delete':
      return client.messageDelete(set, { uid });
    case 'list':
      return client.list('*');
    case 'listTree':
      return client.listTree();
    case 'status':
      return client.status('Archive');
    case 'append':
      return client.append('Archive', Buffer.alloc(rand(400), 0x62), { flags: ['\\Seen'] });
    case 'idle':
      return (async () => {
        const idling = client.idle();
        idling.catch(() => undefined); // judged when awaited below, not an escape meanwhile
        await sleep(rand(15));
        await client.stopIdle();
        await idling;
      })();
    case 'lock':
      return (async () => {
        const lock = await client.getMailboxLock('INBOX');
        try {
          await client.fetchAll(set, { flags: true }, { uid });
        } finally {
          lock.release();
        }
      })();
    default:
      return client.noop();
  }
}

function connectOptions(rand: Rand, server: FuzzServer): ConnectOptions {
  const o: ConnectOptions = {
    stream: server.stream,
    security: 'none',
    // A clean server answers everything: a timeout there could only come from
    // a loaded machine, so it gets a generous one; a hostile one gets a short one.
    timeouts:
      server.profile.mutateRate === 0 && !server.profile.badGreeting
        ? { greeting: CLEAN_TIMEOUT_MS, command: CLEAN_TIMEOUT_MS }
        : { greeting: COMMAND_TIMEOUT_MS, command: COMMAND_TIMEOUT_MS },
  };
  if (!server.profile.preauth) {
    o.auth = {
      username: 'u',
      password: 'p',
      ...(rand(2) === 0 ? { mechanism: 'LOGIN-COMMAND' } : {}),
    };
  }
  if (rand(3) === 0) o.maxCollectedBytes = rand(4000);
  if (rand(3) === 0) o.streamThreshold = rand(200);
  if (rand(6) === 0)
    o.limits = {
      maxLineLength: 64 + rand(2000),
      maxLiteralSize: rand(4000),
      maxDepth: 2 + rand(20),
    };
  if (rand(2) === 0) {
    o.enable = (['CONDSTORE', 'QRESYNC', 'UIDONLY'] as const).filter(() => rand(2) === 0);
  }
  return o;
}

/** Runs one input: the seed decides everything. */
export async function runInput(seed: number): Promise<InputReport> {
  const rand = seeded(seed);
  const server = new FuzzServer(rand, drawProfile(rand));
  const findings: string[] = [];
  const report: InputReport = {
    seed,
    findings,
    ops: 0,
    transcript: server.transcript,
    outcomes: [],
  };
  const escapedBefore = escaped.length;

  // A session whose server says nothing wrong (no mutations): the connection
  // must not fail it. Limits the input set small (LIMIT) are the exception.
  const clean = server.profile.mutateRate === 0 && !server.profile.badGreeting;
  // Judged once the session is over: a step in which a parser limit closed
  // the connection (by design) excuses that step's and later failures.
  const session = { step: 0, ending: false, limitStep: Infinity };
  const cleanFailures: { step: number; text: string }[] = [];
  const check = async (what: string, p: Promise<unknown>): Promise<void> => {
    report.ops++;
    const step = session.step;
    const s = await bounded(p, SETTLE_MS);
    const opName = what.replace(/^op \S+ /, '');
    report.outcomes.push(
      `${opName}: ${'hung' in s ? 'HUNG' : s.ok ? 'ok' : s.error instanceof ImapError ? s.error.code : 'OTHER'}`,
    );
    if (
      !('hung' in s) &&
      !s.ok &&
      s.error instanceof ImapLimitError &&
      PARSER_LIMITS.has(s.error.limit)
    ) {
      session.limitStep = Math.min(session.limitStep, step);
    }
    if (
      clean &&
      !session.ending &&
      !('hung' in s) &&
      !s.ok &&
      s.error instanceof ImapError &&
      CLEAN_FAILURES.has(s.error.code)
    ) {
      cleanFailures.push({
        step,
        text: `${what}: failed in a clean session: ${describe(s.error)}`,
      });
    }
    if ('hung' in s) findings.push(`${what}: did not settle within ${SETTLE_MS} ms`);
    else if (s.ok) {
      const bad = insane(s.value);
      if (bad !== null) findings.push(`${what}: resolved with ${bad}`);
      if (clean && /(search|sort)$/.test(opName)) {
        const mixed = mixedResults(s.value);
        if (mixed !== null) findings.push(`${what}: ${mixed}`);
      }
    } else if (!s.ok && !(s.error instanceof ImapError)) {
      findings.push(`${what}: rejected with a non-ImapError: ${describe(s.error)}`);
    }
  };

  const judgeClean = (): void => {
    const first = cleanFailures.find((f) => f.step < session.limitStep);
    if (first !== undefined) findings.push(first.text);
  };

  if (rand(4) === 0) {
    await runClient(rand, server, check, findings, session);
    await sleep(5);
    judgeClean();
    for (const e of escaped.slice(escapedBefore)) findings.push(e);
    return report;
  }

  let conn: ImapConnection | null = null;
  const connecting = ImapConnection.connect(connectOptions(rand, server)).then((c) => {
    conn = c;
  });
  await check('connect', connecting);
  if (conn !== null) {
    const c: ImapConnection = conn;
    // BYE (outside LOGOUT): the connection is over; it closes promptly, so
    // later commands reject at once instead of being sent to a server leaving.
    const byeChecks: Promise<void>[] = [];
    c.on('close', (err) => {
      if (err !== null) report.closeError ??= describe(err);
      if (err instanceof ImapLimitError && PARSER_LIMITS.has(err.limit)) {
        session.limitStep = Math.min(session.limitStep, session.step);
      }
    });
    c.on('bye', () => {
      if (session.ending) return;
      byeChecks.push(
        sleep(PROMPT_MS).then(() => {
          if (!c.closed) findings.push(`BYE: the connection was still open ${PROMPT_MS} ms later`);
        }),
      );
    });
    // A mailbox first, most of the time (most commands need one).
    if (rand(5) !== 0) await check('select', select(c, 'INBOX'));
    const steps = 1 + rand(10);
    for (let i = 0; i < steps; i++) {
      session.step = i + 1;
      const width = rand(3) === 0 ? 2 + rand(4) : 1;
      const ops: Promise<void>[] = [];
      for (let j = 0; j < width; j++) {
        let name = '';
        let p: Promise<unknown>;
        try {
          p = operation(c, rand, (op) => (name = op));
        } catch (err) {
          p = Promise.reject(err as Error); // a synchronous throw is judged the same way
        }
        ops.push(check(`op ${i}.${j} ${name}`, p));
      }
      await Promise.all(ops);
      if (rand(10) === 0) await sleep(rand(5));
    }
    // Left running into the end: commands in flight or queued, a search
    // context never cancelled, an IDLE never stopped.
    session.step++;
    const dangling: Promise<void>[] = [];
    for (let i = rand(3) === 0 ? 1 + rand(3) : 0; i > 0; i--) {
      let name = '';
      let p: Promise<unknown>;
      try {
        p = operation(c, rand, (op) => (name = op));
      } catch (err) {
        p = Promise.reject(err as Error);
      }
      dangling.push(check(`dangling ${name}`, p));
    }
    let openContext: SearchContext<ESearchResult> | null = null;
    if (rand(4) === 0 && c.hasCapability('CONTEXT=SEARCH') && !c.closed) {
      const opening = searchContext(c, { seen: false }, { uid: true });
      await check('open searchContext', opening);
      openContext = await opening.catch(() => null);
    }
    let idling: IdleHandle | null = null;
    if (rand(5) === 0 && !c.closed) {
      const starting = c.idle({ resumeDelay: 1 });
      await check('open idle', starting);
      idling = await starting.catch(() => null);
    }
    if (dangling.length > 0 && rand(2) === 0) await sleep(rand(4));
    // End: LOGOUT, close(), or a server that goes away.
    session.ending = true;
    const end = rand(3);
    if (end === 0) await check('logout', neverRejects('logout()', c.logout(COMMAND_TIMEOUT_MS)));
    else if (end === 1) c.close();
    else server.hangUp();
    await check(
      'close event',
      new Promise<void>((resolve) => (c.closed ? resolve() : c.once('close', () => resolve()))),
    );
    await Promise.all(dangling);
    if (openContext !== null) {
      // The context ended with the connection: its iterator does not wait for updates.
      const ctx = openContext;
      const drained = (async () => {
        for (let i = 0; i < 10_000; i++) if ((await ctx.next()).done === true) return;
        throw new Error('search context still yields after close');
      })();
      const r = await bounded(drained, PROMPT_MS);
      if ('hung' in r)
        findings.push(`search context after close: next() did not settle within ${PROMPT_MS} ms`);
      else if (!r.ok && !(r.error instanceof ImapError)) {
        findings.push(`search context after close: non-ImapError: ${describe(r.error)}`);
      }
    }
    if (idling !== null) {
      const h = idling;
      const r = await bounded(h.done(), PROMPT_MS);
      if ('hung' in r)
        findings.push(`idle done() after close: did not settle within ${PROMPT_MS} ms`);
      else if (!r.ok) findings.push(`idle done() after close rejected: ${describe(r.error)}`);
      else if (h.active) findings.push('idle handle still active after close');
    }
    // After the close, commands reject promptly with a typed error.
    const late = await bounded(noop(c), PROMPT_MS);
    if ('hung' in late) findings.push(`noop after close: did not reject within ${PROMPT_MS} ms`);
    else if (late.ok) findings.push('noop after close: resolved');
    else if (!(late.error instanceof ImapError)) {
      findings.push(`noop after close: non-ImapError: ${describe(late.error)}`);
    }
    const lateSelect = await bounded(select(c, 'INBOX'), PROMPT_MS);
    if ('hung' in lateSelect || lateSelect.ok || !(lateSelect.error instanceof ImapError)) {
      findings.push(
        `select after close: ${'hung' in lateSelect ? 'hung' : lateSelect.ok ? 'resolved' : describe(lateSelect.error)}`,
      );
    }
    await Promise.all(byeChecks);
  } else {
    server.stream.destroy();
  }
  // Let stray timers and callbacks of this input run before judging escapes.
  await sleep(5);
  judgeClean();
  for (const e of escaped.slice(escapedBefore)) findings.push(e);
  return report;
}

/**
 * The same through ImapClient. ClientOptions has no `stream` (a client
 * reconnects, which a given stream cannot); with reconnection off the
 * option is passed through to the connection all the same.
 */
async function runClient(
  rand: Rand,
  server: FuzzServer,
  check: (what: string, p: Promise<unknown>) => Promise<void>,
  findings: string[],
  session: { step: number; ending: boolean; limitStep: number },
): Promise<void> {
  const { stream, enable, ...rest } = connectOptions(rand, server);
  const options: ClientOptions & { stream: Duplex } = {
    ...rest,
    stream: stream!,
    reconnect: false,
    qresync: enable?.includes('QRESYNC') === true,
    condstore: enable?.includes('CONDSTORE') === true,
    uidOnly: enable?.includes('UIDONLY') === true,
    autoIdle: rand(4) === 0,
  };
  const client = new ImapClient(options);
  client.on('error', () => {}); // reported errors are events, not escapes
  client.on('disconnect', ({ error }) => {
    if (error instanceof ImapLimitError && PARSER_LIMITS.has(error.limit)) {
      session.limitStep = Math.min(session.limitStep, session.step);
    }
  });
  await check('client.connect', client.connect());
  if (client.usable) {
    if (rand(4) !== 0) await check('client.mailboxOpen', client.mailboxOpen('INBOX'));
    const steps = 1 + rand(8);
    for (let i = 0; i < steps; i++) {
      session.step = i + 1;
      const width = rand(3) === 0 ? 2 + rand(3) : 1;
      const ops: Promise<void>[] = [];
      for (let j = 0; j < width; j++) {
        let name = '';
        let p: Promise<unknown>;
        try {
          p = clientOperation(client, rand, (op) => (name = op));
        } catch (err) {
          p = Promise.reject(err as Error);
        }
        ops.push(check(`op ${i}.${j} ${name}`, p));
      }
      await Promise.all(ops);
    }
  }
  session.ending = true;
  const end = rand(3);
  if (end === 0) await check('client.logout', neverRejects('ImapClient.logout()', client.logout()));
  else if (end === 1) client.close();
  else server.hangUp();
  if (end === 2) await sleep(10);
  client.close();
  const late = await bounded(client.noop(), PROMPT_MS);
  if ('hung' in late)
    findings.push(`client.noop after close: did not reject within ${PROMPT_MS} ms`);
  else if (late.ok) findings.push('client.noop after close: resolved');
  else if (!(late.error instanceof ImapError)) {
    findings.push(`client.noop after close: non-ImapError: ${describe(late.error)}`);
  }
}

/** Saves a finding; returns its file. */
export function saveFinding(report: InputReport): string {
  mkdirSync(CRASH_DIR, { recursive: true });
  const file = join(CRASH_DIR, `${report.seed}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { seed: report.seed, findings: report.findings, transcript: report.transcript },
      null,
      1,
    ) + '\n',
  );
  return file;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (flag: string, def: number): number => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  hookProcess();
  const replay = args.indexOf('--replay');
  if (replay >= 0) {
    const spec = args[replay + 1]!;
    const seed = /^\d+$/.test(spec)
      ? Number(spec)
      : (JSON.parse(readFileSync(spec, 'utf8')) as { seed: number }).seed;
    const report = await runInput(seed);
    if (args.includes('--transcript')) {
      for (const l of report.transcript) console.log(l);
      console.log(`outcomes: ${report.outcomes.join(', ')}`);
      console.log(`close error: ${report.closeError ?? 'none'}`);
    }
    console.log(
      report.findings.length === 0
        ? `seed ${seed}: no finding on replay (${report.ops} ops)`
        : `seed ${seed}:\n  ${report.findings.join('\n  ')}`,
    );
    process.exitCode = report.findings.length === 0 ? 0 : 1;
    return;
  }
  const seconds = arg('--seconds', 0);
  const inputs = arg('--inputs', seconds > 0 ? 0 : 2000);
  const first = arg('--seed', 1) * 1_000_000;
  const concurrency = Math.max(1, arg('--concurrency', 4));
  const maxHeapMb = arg('--max-heap-mb', 1024);
  const started = Date.now();
  const deadline = seconds > 0 ? started + seconds * 1000 : Infinity;
  const found: string[] = [];
  let next = 0;
  let done = 0;
  let ops = 0;
  let heapPeak = 0;
  const stats = new Map<string, number>();
  const more = (): boolean => (inputs <= 0 || next < inputs) && Date.now() < deadline;
  const worker = async (): Promise<void> => {
    while (more()) {
      const seed = first + next++;
      const report = await runInput(seed);
      done++;
      ops += report.ops;
      for (const o of report.outcomes) stats.set(o, (stats.get(o) ?? 0) + 1);
      if (report.findings.length > 0) {
        const file = saveFinding(report);
        found.push(`${file}: ${report.findings[0]!.split('\n')[0]!}`);
        console.log(`finding: seed ${seed}: ${report.findings[0]!.split('\n')[0]!}`);
      }
      if (done % 500 === 0) {
        const heap = process.memoryUsage().heapUsed / 2 ** 20;
        heapPeak = Math.max(heapPeak, heap);
        if (heap > maxHeapMb) {
          found.push(`heap ${heap.toFixed(0)} MiB after ${done} inputs (limit ${maxHeapMb})`);
          console.log(`finding: heap ${heap.toFixed(0)} MiB after ${done} inputs`);
          return;
        }
        console.log(
          `${done} inputs, ${ops} ops, ${(done / ((Date.now() - started) / 1000)).toFixed(0)} inputs/s, heap ${heap.toFixed(0)} MiB`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed / 2 ** 20);
  const secs = (Date.now() - started) / 1000;
  console.log(
    `fuzz:conn: ${done.toLocaleString('en-US')} inputs (${ops.toLocaleString('en-US')} operations) in ${secs.toFixed(1)} s ` +
      `(${(done / secs).toFixed(0)} inputs/s, concurrency ${concurrency}, heap peak ${heapPeak.toFixed(0)} MiB), ` +
      `${found.length} finding${found.length === 1 ? '' : 's'}`,
  );
  for (const f of found) console.log(`  ${f}`);
  if (args.includes('--stats')) {
    for (const [k, v] of [...stats].sort()) console.log(`  ${k} ${v}`);
  }
  process.exitCode = found.length > 0 ? 1 : 0;
  // Connections of inputs cut short may hold timers: do not wait for them.
  setTimeout(() => process.exit(), 100).unref();
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
