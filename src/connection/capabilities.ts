/**
 * Capability bookkeeping for one connection: the capabilities the server
 * announced (upper-cased, replaced by each CAPABILITY response or code,
 * forgotten after STARTTLS), the extensions it confirmed with ENABLED, and
 * what they mean for the encoder — the literal mode (LITERAL+, LITERAL-,
 * IMAP4rev2) and UTF-8 (UTF8=ACCEPT, IMAP4rev2).
 * @internal
 */
import type { EncodeOptions, LiteralMode } from '../wire/command-arg.js';
import type { ConnectionLog } from './logging.js';
import { ENCODE_OPTIONS } from './queue.js';

const binarySyncOptions = new Map<EncodeOptions, EncodeOptions>();

/** `base` with binaryLiteralsSync: one shared object per base (compared by identity). */
function withBinaryLiteralsSync(base: EncodeOptions): EncodeOptions {
  let options = binarySyncOptions.get(base);
  if (options === undefined) {
    options = Object.freeze({ ...base, binaryLiteralsSync: true });
    binarySyncOptions.set(base, options);
  }
  return options;
}

/** How many names {@link Capabilities.noteRawMailboxName} keeps (a server listing more is hostile). */
export const MAX_RAW_MAILBOX_NAMES = 10_000;

/** What the server announced and what is enabled. */
export class Capabilities {
  /** Announced by the server, upper-cased (a new set each time: a set once handed out never changes). */
  announced: ReadonlySet<string> = new Set();
  /** Confirmed with `* ENABLED`, upper-cased. */
  enabled = new Set<string>();
  /** Mailbox names the server sent that are not valid modified UTF-7 (see EncodeOptions.rawMailboxNames). */
  readonly #rawMailboxNames = new Set<string>();
  readonly #log: ConnectionLog;
  /** {@link encodeOptions}, worked out again after any change. */
  #encodeOptions: EncodeOptions | null = null;

  constructor(log: ConnectionLog) {
    this.#log = log;
  }

  /** The server announced `caps` (a CAPABILITY response or code). */
  set(caps: readonly string[]): void {
    this.announced = new Set(caps.map((c) => c.toUpperCase()));
    this.#encodeOptions = null;
    this.#log.debug(`capabilities: ${[...this.announced].join(' ')}`);
  }

  /** `* ENABLED`: only what an ENABLE in flight asked for (RFC 5161 3.2: nothing else may be enabled). */
  confirm(names: readonly string[], asked: ReadonlySet<string>): void {
    for (const c of names) {
      const name = c.toUpperCase();
      if (asked.has(name)) this.enabled.add(name);
    }
    this.#encodeOptions = null;
  }

  /** Nothing is enabled any more (UNAUTHENTICATE). */
  clearEnabled(): void {
    this.enabled.clear();
    this.#encodeOptions = null;
  }

  /** After the TLS handshake nothing from before is trusted. */
  forget(): void {
    this.announced = new Set();
    this.enabled = new Set();
    this.#rawMailboxNames.clear();
    this.#encodeOptions = null;
  }

  /**
   * The server used mailbox name `name`, which is not valid modified UTF-7:
   * from now on it is sent as it is (at most {@link MAX_RAW_MAILBOX_NAMES}
   * are kept).
   */
  noteRawMailboxName(name: string): void {
    if (this.#rawMailboxNames.has(name) || this.#rawMailboxNames.size >= MAX_RAW_MAILBOX_NAMES) {
      return;
    }
    this.#rawMailboxNames.add(name);
    this.#encodeOptions = null;
  }

  /**
   * How literals are sent, from LITERAL+ / LITERAL-; IMAP4rev2 alone implies
   * LITERAL- for `{n+}` but not for binary `~{n+}` (RFC 9051 `literal8`).
   */
  get literalMode(): LiteralMode {
    if (this.announced.has('LITERAL+')) return 'plus';
    if (this.announced.has('LITERAL-')) return 'minus';
    if (this.announced.has('IMAP4REV2')) return 'rev2';
    return 'sync';
  }

  /** UTF8=ACCEPT (RFC 6855) or IMAP4rev2 (RFC 9051 appendix E) is enabled. */
  get utf8(): boolean {
    return (
      this.enabled.has('UTF8=ACCEPT') ||
      this.enabled.has('UTF8=ONLY') ||
      this.enabled.has('IMAP4REV2')
    );
  }

  /** The encoder's options now: one shared object per combination, so a change is seen by identity. */
  encodeOptions(): EncodeOptions {
    if (this.#encodeOptions === null) {
      const base = ENCODE_OPTIONS[this.literalMode][this.utf8 ? 1 : 0];
      // RFC 4466 4.3: `~{n+}` needs BINARY (IMAP4rev2 includes it) besides LITERAL+/-.
      const binarySync =
        (base.literalMode === 'plus' || base.literalMode === 'minus') &&
        !this.announced.has('BINARY') &&
        !this.announced.has('IMAP4REV2');
      const shared = binarySync ? withBinaryLiteralsSync(base) : base;
      this.#encodeOptions =
        this.#rawMailboxNames.size === 0
          ? shared
          : Object.freeze({ ...shared, rawMailboxNames: new Set(this.#rawMailboxNames) });
    }
    return this.#encodeOptions;
  }
}
