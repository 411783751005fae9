/**
 * The per-command shortcuts of the engine (issue 7, W4): exec() settled in
 * the engine, command names checked once per name, the encoder options
 * cached until the capabilities change. Each must behave exactly as the
 * longer path it replaced.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Capabilities } from '../../src/connection/capabilities.js';
import { ImapConnection } from '../../src/connection/connection.js';
import { ConnectionLog } from '../../src/connection/logging.js';
import { commandName } from '../../src/connection/queue.js';
import { ImapArgumentError, ImapProtocolError } from '../../src/model/errors.js';
import { SequenceSet } from '../../src/model/sequence-set.js';
import { atom } from '../../src/wire/args.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

let scripted: ScriptedServer | null = null;
afterEach(async () => {
  await scripted?.close();
  scripted = null;
});

/** A scripted server that answers the first command, `A0 NOOP`, and nothing else. */
async function oneNoopServer(): Promise<ScriptedServer> {
  scripted = await startScriptedServer(async (c) => {
    await c.write('* OK [CAPABILITY IMAP4rev1] hi\r\n');
    await c.expect(/^A0 NOOP/);
    await c.write('A0 OK fine\r\n');
    await c.closed();
  });
  return scripted;
}

async function connectTo(server: ScriptedServer): Promise<ImapConnection> {
  return ImapConnection.connect({ host: '127.0.0.1', port: server.port, security: 'none' });
}

describe('exec() settled by the engine', () => {
  it('OK resolves; NO and BAD reject with ImapProtocolError (command, text, code); run() resolves them', async () => {
    scripted = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] hi\r\n');
      await c.expect(/^A0 NOOP/);
      await c.write('A0 OK fine\r\n');
      await c.expect(/^A1 select Nope/);
      await c.write('A1 NO [NONEXISTENT] no such mailbox\r\n');
      await c.expect(/^A2 FROB/);
      await c.write('A2 BAD unknown command\r\n');
      await c.expect(/^A3 FROB/);
      await c.write('A3 BAD unknown command\r\n');
      await c.closed();
    });
    const conn = await connectTo(scripted);
    try {
      expect((await conn.exec('NOOP')).tagged.status).toBe('OK');
      const no = await conn.exec('select', [atom('Nope')]).catch((e: unknown) => e);
      expect(no).toBeInstanceOf(ImapProtocolError);
      const err = no as ImapProtocolError;
      expect(err.message).toBe('SELECT failed: no such mailbox');
      expect(err.command).toBe('A1 select Nope');
      expect(err.serverText).toBe('no such mailbox');
      expect(err.responseCode?.name).toBe('NONEXISTENT');
      const bad = await conn.exec('FROB').catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(ImapProtocolError);
      expect((bad as ImapProtocolError).message).toBe('FROB failed: unknown command');
      const ran = await conn.run('FROB');
      expect(ran.tagged.status).toBe('BAD');
      expect(conn.closed).toBe(false);
    } finally {
      conn.close();
    }
  });

  it('a throw while queueing (an onTag callback) rejects the promise instead of throwing', async () => {
    const conn = await connectTo(await oneNoopServer());
    try {
      const boom = new Error('boom');
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = conn.exec('NOOP', [], {
          onTag: () => {
            throw boom;
          },
        });
      }).not.toThrow();
      await expect(promise).rejects.toBe(boom);
    } finally {
      conn.close();
    }
  });

  it('a command refused before queueing (already aborted, invalid maxCollectedBytes) uses no tag and does not call onTag', async () => {
    const conn = await connectTo(await oneNoopServer());
    try {
      const told: string[] = [];
      const onTag = (tag: string): void => {
        told.push(tag);
      };
      const aborted = AbortSignal.abort();
      await expect(conn.exec('NOOP', [], { onTag, signal: aborted })).rejects.toMatchObject({
        code: 'ABORTED',
      });
      await expect(conn.exec('NOOP', [], { onTag, maxCollectedBytes: -1 })).rejects.toBeInstanceOf(
        ImapArgumentError,
      );
      expect(told).toEqual([]);
      expect((await conn.exec('NOOP', [], { onTag })).tagged.tag).toBe('A0');
      expect(told).toEqual(['A0']);
    } finally {
      conn.close();
    }
  });

  it('an invalid command name rejects before anything is sent, whichever way it is spelled', async () => {
    const conn = await connectTo(await oneNoopServer());
    try {
      for (const name of ['', 'UID  STORE', ' NOOP', 'NO\r\nOP', 'FÖÖ', 'UID STORE ']) {
        await expect(conn.exec(name)).rejects.toBeInstanceOf(ImapArgumentError);
        await expect(conn.run(name)).rejects.toBeInstanceOf(ImapArgumentError);
      }
      // No tag was used by the refused ones: the next command is A0.
      expect((await conn.exec('NOOP')).tagged.tag).toBe('A0');
    } finally {
      conn.close();
    }
  });
});

describe('commandName', () => {
  it('upper-cases the name and takes its first word, the same object for the same name', () => {
    expect(commandName('uid store')).toEqual({ upper: 'UID STORE', verb: 'UID' });
    expect(commandName('Noop')).toEqual({ upper: 'NOOP', verb: 'NOOP' });
    expect(commandName('uid store')).toBe(commandName('uid store'));
  });

  it('is null for what is not atoms separated by single spaces', () => {
    for (const name of ['', ' ', 'A  B', 'A ', ' A', 'A\tB', 'A(B', 'É']) {
      expect(commandName(name)).toBeNull();
    }
    expect(commandName(42 as unknown as string)).toBeNull();
  });
});

describe('Capabilities.encodeOptions', () => {
  const caps = (): Capabilities => new Capabilities(new ConnectionLog(undefined, 1));

  it('follows every change of the announced and enabled capabilities', () => {
    const c = caps();
    expect(c.encodeOptions()).toEqual({ literalMode: 'sync', utf8: false });
    c.set(['IMAP4rev1', 'LITERAL+', 'BINARY']);
    expect(c.encodeOptions()).toEqual({ literalMode: 'plus', utf8: false });
    // Without BINARY, ~{n+} is not allowed (RFC 4466 4.3): binary literals synchronize.
    c.set(['IMAP4rev1', 'LITERAL+']);
    expect(c.encodeOptions()).toEqual({
      literalMode: 'plus',
      utf8: false,
      binaryLiteralsSync: true,
    });
    c.set(['IMAP4rev1', 'LITERAL-', 'BINARY']);
    expect(c.encodeOptions()).toEqual({ literalMode: 'minus', utf8: false });
    c.confirm(['UTF8=ACCEPT'], new Set(['UTF8=ACCEPT']));
    expect(c.encodeOptions()).toEqual({ literalMode: 'minus', utf8: true });
    c.clearEnabled();
    expect(c.encodeOptions()).toEqual({ literalMode: 'minus', utf8: false });
    c.confirm(['IMAP4REV2'], new Set(['IMAP4REV2']));
    expect(c.encodeOptions()).toEqual({ literalMode: 'minus', utf8: true });
    c.forget();
    expect(c.encodeOptions()).toEqual({ literalMode: 'sync', utf8: false });
    // IMAP4rev2 alone implies LITERAL- but not ~{n+} (RFC 9051 literal8).
    c.set(['IMAP4rev2']);
    expect(c.encodeOptions()).toEqual({ literalMode: 'rev2', utf8: false });
    c.set(['IMAP4rev2', 'LITERAL-']);
    expect(c.encodeOptions()).toEqual({ literalMode: 'minus', utf8: false });
  });

  it('hands out one shared object per combination (the engine compares them by identity)', () => {
    const a = caps();
    const b = caps();
    a.set(['LITERAL+']);
    b.set(['LITERAL+']);
    expect(a.encodeOptions()).toBe(b.encodeOptions());
    expect(a.encodeOptions()).toBe(a.encodeOptions());
    a.set(['LITERAL+', 'BINARY']);
    b.set(['LITERAL+', 'BINARY']);
    expect(a.encodeOptions()).toBe(b.encodeOptions());
  });
});

describe('SequenceSet.toString', () => {
  it('writes single numbers, ranges in their given order, `*` and `$`', () => {
    expect(SequenceSet.from(7).toString()).toBe('7');
    expect(SequenceSet.from('1:3,5,9:7,10:*').toString()).toBe('1:3,5,9:7,10:*');
    expect(SequenceSet.from([5, 1, 2, 3, 9]).toString()).toBe('1:3,5,9');
    expect(SequenceSet.all.toString()).toBe('1:*');
    expect(SequenceSet.saved.toString()).toBe('$');
  });
});
