/** What the export command hands to a format's sink, and what a sink does. */
import type { Readable } from 'node:stream';

/** What is known of a message before its bytes are fetched. */
export interface ExportMeta {
  uid: number;
  flags: string[];
  internalDate: Date;
  size: number;
  /** The envelope sender's address (mbox `From ` line). */
  sender: string | null;
}

/** Where an export writes messages. */
export interface ExportSink {
  /** Already exported (skipped this time). */
  has(uid: number): boolean;
  /** A message that is skipped: Maildir updates its flags. */
  refresh(meta: ExportMeta): Promise<void>;
  /** Writes one message; `onBytes` counts the bytes as they are written. */
  write(meta: ExportMeta, content: Readable, onBytes: (n: number) => void): Promise<void>;
  close(): Promise<void>;
  /** What the export could not write as asked, to warn about at the end. */
  warnings?(): string[];
}
