/**
 * Shared plumbing for tests against a scripted server: start servers and
 * connect to them, with everything closed again after each test; and the
 * small promise helpers those tests (and the Dovecot ones) keep using.
 */
import { afterEach, expect } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import type { ConnectOptions } from '../../src/connection/types.js';
import {
  startScriptedServer,
  type Script,
  type ScriptedServer,
  type ScriptedServerOptions,
} from './scripted-server.js';

/** Plain connect options for a scripted server: no TLS, tags `T1`, `T2`, ..., 2 s timeouts. */
export function scriptedOptions(server: ScriptedServer): ConnectOptions {
  return {
    host: server.host,
    port: server.port,
    security: 'none',
    tagPrefix: 'T',
    timeouts: { connect: 2000, greeting: 2000, tls: 2000, command: 2000 },
  };
}

/**
 * Registers an `afterEach` closing every connection and server the returned
 * functions made during the test. `base` gives each connection's options
 * (before the per-call `extra`); by default {@link scriptedOptions}.
 */
export function useScriptedServers(
  base: (server: ScriptedServer) => ConnectOptions = scriptedOptions,
) {
  const servers: ScriptedServer[] = [];
  const conns: ImapConnection[] = [];
  afterEach(async () => {
    for (const c of conns.splice(0)) c.close();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function serve(script: Script, opts?: ScriptedServerOptions): Promise<ScriptedServer> {
    const s = await startScriptedServer(script, opts);
    servers.push(s);
    return s;
  }

  function options(server: ScriptedServer, extra: Partial<ConnectOptions> = {}): ConnectOptions {
    return { ...base(server), ...extra };
  }

  /** Closes `conn` after the test. */
  function track(conn: ImapConnection): ImapConnection {
    conns.push(conn);
    return conn;
  }

  async function connect(
    server: ScriptedServer,
    extra: Partial<ConnectOptions> = {},
  ): Promise<ImapConnection> {
    return track(await ImapConnection.connect(options(server, extra)));
  }

  /** The error `p` rejects with; a connection it resolves to instead is closed after the test. */
  async function rejection(p: Promise<unknown>): Promise<Error> {
    try {
      const value = await p;
      if (value instanceof ImapConnection) conns.push(value);
    } catch (err) {
      expect(err).toBeInstanceOf(Error);
      return err as Error;
    }
    throw new Error('expected a rejection, the promise resolved');
  }

  return { serve, options, connect, track, rejection };
}

/** The error `p` rejects with; fails if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

/** Settles with the error `conn` closes with (null for a clean close, or if it already closed). */
export function closeEvent(conn: ImapConnection): Promise<Error | null> {
  if (conn.closed) return Promise.resolve(null);
  return new Promise((resolve) => conn.once('close', resolve));
}
