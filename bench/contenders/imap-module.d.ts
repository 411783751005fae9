/** The part of node-imap's (npm `imap`, untyped) API the benchmark uses. */
declare module 'imap' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';
  import type { ConnectionOptions } from 'node:tls';

  export interface Config {
    user: string;
    password: string;
    host: string;
    port: number;
    tls: boolean;
    tlsOptions?: ConnectionOptions;
    authTimeout?: number;
  }

  export interface FetchOptions {
    bodies?: string | string[];
    struct?: boolean;
    envelope?: boolean;
    size?: boolean;
    markSeen?: boolean;
  }

  export interface Attributes {
    uid: number;
    flags: string[];
    date: Date;
    size?: number;
    envelope?: { subject?: string | null };
    struct?: unknown[];
  }

  export interface ImapMessage extends EventEmitter {
    on(event: 'body', listener: (stream: Readable, info: { size: number }) => void): this;
    once(event: 'attributes', listener: (attrs: Attributes) => void): this;
    once(event: 'end', listener: () => void): this;
  }

  export interface ImapFetch extends EventEmitter {
    on(event: 'message', listener: (msg: ImapMessage, seqno: number) => void): this;
    once(event: 'error', listener: (err: Error) => void): this;
    once(event: 'end', listener: () => void): this;
  }

  export class Connection extends EventEmitter {
    constructor(config: Config);
    connect(): void;
    end(): void;
    openBox(name: string, readOnly: boolean, cb: (err: Error | null) => void): void;
    fetch(source: number | string | number[], options: FetchOptions): ImapFetch;
    seq: { fetch(source: string, options: FetchOptions): ImapFetch };
    addFlags(
      source: number | string,
      flags: string | string[],
      cb: (err: Error | null) => void,
    ): void;
    append(data: Buffer, options: { mailbox: string }, cb: (err: Error | null) => void): void;
  }

  export default Connection;
}
