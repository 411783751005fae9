/**
 * What the benchmark measures: the workloads, their sizes (full and --quick),
 * and the job description a contender worker receives.
 */

export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W4p' | 'W5' | 'W6';

export interface Workload {
  id: WorkloadId;
  /** Short name for tables and the chart. */
  title: string;
  /** What it does, for BENCHMARKS.md. */
  describe(scale: Scale): string;
}

/** Corpus and workload sizes. */
export interface Scale {
  name: 'full' | 'quick';
  /** N of `scripts/test-server.sh seed-large N` (messages in the bench INBOX). */
  seedMessages: number;
  /** W1 fetches the metadata of INBOX messages 1..w1Messages. */
  w1Messages: number;
  /** W2 fetches the full source of INBOX messages 1..w2Messages. */
  w2Messages: number;
  /** W3 downloads the largest (full) or the smallest (quick) message of `Big`. */
  w3Pick: 'largest' | 'smallest';
  /** W4 and W4p: STORE commands, one message each, in mailbox `W4`. */
  w4Stores: number;
  /** Messages kept in mailbox `W4` (appended once by the harness). */
  w4MailboxSize: number;
  /** W5: messages appended to the scratch mailbox `W5`. */
  w5Messages: number;
  /** W5: approximate size of each appended message. */
  w5MessageSize: number;
  rounds: number;
  /** A worker that has not finished after this long is killed and reported as failed. */
  timeoutMs: number;
}

export const FULL: Scale = {
  name: 'full',
  seedMessages: 100_000,
  w1Messages: 100_000,
  w2Messages: 10_000,
  w3Pick: 'largest',
  w4Stores: 2_000,
  w4MailboxSize: 2_000,
  w5Messages: 5_000,
  w5MessageSize: 5_000,
  rounds: 3,
  timeoutMs: 15 * 60_000,
};

export const QUICK: Scale = {
  name: 'quick',
  seedMessages: 2_000,
  w1Messages: 2_000,
  w2Messages: 200,
  w3Pick: 'smallest',
  w4Stores: 100,
  w4MailboxSize: 2_000,
  w5Messages: 100,
  w5MessageSize: 5_000,
  rounds: 1,
  timeoutMs: 3 * 60_000,
};

const n = (x: number): string => x.toLocaleString('en-US');

export const WORKLOADS: readonly Workload[] = [
  {
    id: 'W1',
    title: 'W1 metadata sync',
    describe: (s) =>
      `login (TLS), SELECT INBOX, FETCH 1:${n(s.w1Messages)} (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE), every message parsed; checksum over UIDs and subjects`,
  },
  {
    id: 'W2',
    title: 'W2 bodies',
    describe: (s) =>
      `full source (BODY.PEEK[], so \\Seen stays as seeded) of INBOX messages 1:${n(s.w2Messages)} in one FETCH; checksum = count and byte total`,
  },
  {
    id: 'W3',
    title: 'W3 big download',
    describe: (s) =>
      `the ${s.w3Pick} message of mailbox Big (10-50 MB), streamed where the API can; bytes counted`,
  },
  {
    id: 'W4',
    title: 'W4 round trips',
    describe: (s) =>
      `${n(s.w4Stores)} single-message UID STORE +FLAGS (\\Flagged) in mailbox W4, each awaited before the next (flags reset by the harness between runs)`,
  },
  {
    id: 'W4p',
    title: 'W4p pipelined',
    describe: (s) =>
      `the same ${n(s.w4Stores)} STOREs issued at once (Promise.all; raw: all written before reading); whether they are pipelined on the wire is up to the library`,
  },
  {
    id: 'W5',
    title: 'W5 upload',
    describe: (s) =>
      `APPEND ${n(s.w5Messages)} messages of ~${n(s.w5MessageSize)} bytes to W5 (deleted and recreated by the harness before each run); MULTIAPPEND / LITERAL+ where the library offers them`,
  },
  {
    id: 'W6',
    title: 'W6 parser',
    describe: () => `imapkit's response parser alone on a recorded corpus (bench/parser.ts)`,
  },
];

/**
 * Everything a worker needs for one run. Passed as JSON in argv[2]; the worker
 * writes a {@link WorkerResult} as JSON to `resultFile`.
 */
export interface Job {
  workload: WorkloadId | 'probe';
  /** Contender variant, e.g. `imapflow-default` for the imapflow script with compression on. */
  variant: string;
  host: string;
  /** The implicit-TLS port. */
  port: number;
  /** Path of the CA certificate to verify the server with. */
  caFile: string;
  user: string;
  password: string;
  mailbox: string;
  /** W1, W2: message sequence numbers `first:last`. */
  range: string;
  /** W1, W2: how many messages `range` holds. */
  count: number;
  /** W3: the UID of the message to download; W4: the first UID (UIDs are contiguous). */
  uid: number;
  /** W3: the size of that message (RFC822.SIZE). */
  size: number;
  /** W5: a file of messages, see bench/setup.ts `writeW5Messages`. */
  messagesFile: string;
  /** ImapFlow: leave COMPRESS=DEFLATE on (its default). */
  compress: boolean;
  quick: boolean;
  resultFile: string;
}

/** What a worker reports. Times are for the measured window only (connect .. logout). */
export interface WorkerResult {
  wallMs: number;
  /** user + system CPU of the worker process during the window. */
  cpuMs: number;
  /** Peak resident set size of the worker process (whole life), KiB. */
  maxRssKb: number;
  /** Bytes the worker read and wrote during the window (its TLS socket), from /proc/self/io. */
  wireBytes?: number;
  /** Payload bytes the contender saw (bodies, download, upload), when it counts them. */
  bytes?: number;
  /** A checksum proving the work was done; equal across contenders for the same workload. */
  check?: string;
  /** Set instead of the rest when the contender cannot run this workload. */
  skip?: string;
  /** Set when the run failed. */
  error?: string;
  /** Anything worth a footnote (e.g. "buffered"). */
  note?: string;
  /** W6 only: one result per parser, each a row of the table (see contenders/parsers.ts). */
  rows?: WorkerRow[];
}

/** A row of a worker that measures several contenders in one process (W6). */
export interface WorkerRow {
  contender: string;
  wallMs: number;
  bytes?: number;
  check?: string;
  note?: string;
}
