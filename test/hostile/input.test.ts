/**
 * Caller input that could inject commands (CR, LF, NUL, quotes, backslashes,
 * `{`, non-ASCII in mailbox names, search strings, flags, passwords, command
 * names) is encoded safely or refused before anything is sent. Each test
 * asserts the exact bytes the server received.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { create } from '../../src/commands/create.js';
import { search } from '../../src/commands/search.js';
import { store } from '../../src/commands/store.js';
import { ImapConnection } from '../../src/connection/connection.js';
import { ImapArgumentError, ImapConnectionError } from '../../src/model/errors.js';
import { astring, mailbox, str } from '../../src/wire/args.js';
import type { CommandArg } from '../../src/wire/command-arg.js';
import {
  startScriptedServer,
  type ScriptedConnection,
  type ScriptedServer,
} from '../helpers/scripted-server.js';

// Every case must end on its own, well before this (never a hang).
vi.setConfig({ testTimeout: 5000 });

const GREETING = '* OK [CAPABILITY IMAP4rev1 ID] ready\r\n';

/** Answers every command OK, saying `+` to each synchronizing literal. */
async function okServer(c: ScriptedConnection): Promise<void> {
  await c.write(GREETING);
  for (;;) {
    let line = await c.readLine();
    const first = line;
    const tag = line.split(' ')[0]!;
    for (;;) {
      const m = /\{(\d+)(\+?)\}$/.exec(line);
      if (m === null) break;
      if (m[2] === '') await c.write('+ go on\r\n');
      await c.readBytes(Number(m[1]));
      line = await c.readLine();
    }
    const verb = first.split(' ')[1];
    if (verb === 'SEARCH') await c.write('* SEARCH\r\n');
    // After LOGIN, say the capabilities so that the client need not ask.
    const code = verb === 'LOGIN' ? '[CAPABILITY IMAP4rev1 ID] ' : '';
    await c.write(`${tag} OK ${code}done\r\n`);
  }
}

let server: ScriptedServer;
let conn: ImapConnection;

beforeEach(async () => {
  server = await startScriptedServer(okServer);
  conn = await ImapConnection.connect({
    host: server.host,
    port: server.port,
    security: 'none',
    tagPrefix: 'T',
    timeouts: { connect: 2000, greeting: 2000, command: 2000 },
  });
});

afterEach(async () => {
  conn.close();
  await server.close();
});

/** What the server received, with tags replaced by `T` (bytes as latin1). */
function wire(): string {
  return server.receivedText().replace(/(^|\r\n)T\d+ /g, '$1T ');
}

/** UTF-8 text as the latin1 string `wire()` shows for its bytes. */
function utf8(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

async function refused(p: Promise<unknown> | (() => Promise<unknown>), message: RegExp) {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ImapArgumentError);
  expect((err as ImapArgumentError).code).toBe('ARGUMENT');
  expect((err as Error).message).toMatch(message);
  // Nothing reached the wire, even later.
  await conn.noop();
  expect(wire()).toBe('T NOOP\r\n');
}

describe('mailbox names', () => {
  it.each([
    ['quotes and backslashes', 'a"b\\c', 'T CREATE "a\\"b\\\\c"\r\n'],
    ['CR LF and a fake command', 'x\r\nZ9 DELETE INBOX', 'T CREATE "x&AA0ACg-Z9 DELETE INBOX"\r\n'],
    ['a literal-looking end', 'box {5}', 'T CREATE "box {5}"\r\n'],
    ['a { in an atom', 'box{5}', 'T CREATE "box{5}"\r\n'],
    ['non-ASCII', 'Entwürfe/日本', 'T CREATE Entw&APw-rfe/&ZeVnLA-\r\n'],
    ['an ampersand', 'R&D', 'T CREATE R&-D\r\n'],
    ['parentheses and wildcards', 'a (b) %*', 'T CREATE "a (b) %*"\r\n'],
    ['an empty name', '', 'T CREATE ""\r\n'],
    ['NIL', 'NIL', 'T CREATE "NIL"\r\n'],
  ])('%s are encoded safely', async (_n, name, bytes) => {
    await create(conn, name);
    expect(wire()).toBe(bytes);
  });

  it('a lone surrogate is refused before anything is sent', async () => {
    await refused(() => create(conn, 'bad\ud800'), /lone surrogate/);
  });

  it('NUL is refused before anything is sent (no IMAP string can carry it)', async () => {
    await refused(() => create(conn, 'a\0b'), /NUL/);
  });
});

describe('search strings', () => {
  it('CR LF becomes a literal, so the text cannot start a new command', async () => {
    await search(conn, { subject: 'x\r\nZ9 LOGOUT' });
    expect(wire()).toBe('T SEARCH SUBJECT {12}\r\nx\r\nZ9 LOGOUT\r\n');
  });

  it('quotes and backslashes are escaped in a quoted string', async () => {
    await search(conn, { from: 'a"b\\c' });
    expect(wire()).toBe('T SEARCH FROM "a\\"b\\\\c"\r\n');
  });

  it('non-ASCII goes as a UTF-8 literal with CHARSET UTF-8', async () => {
    await search(conn, { subject: 'café {5}' });
    expect(wire()).toBe(`T SEARCH CHARSET UTF-8 SUBJECT {9}\r\n${utf8('café {5}')}\r\n`);
  });

  it('NUL is refused before anything is sent', async () => {
    await refused(() => search(conn, { subject: 'a\0b' }), /NUL/);
  });

  it('raw search text with CR LF is refused before anything is sent', async () => {
    await refused(() => search(conn, 'UNSEEN\r\nZ9 LOGOUT'), /CR/);
  });
});

describe('flags', () => {
  it.each([
    ['a parenthesis and a fake command', '\\Seen) Z9 LOGOUT', /contains/],
    ['CR LF', '$Junk\r\nZ9 LOGOUT', /contains a CR/],
    ['NUL', '$Ju\0nk', /contains a NUL/],
    ['a {', '$a{5}', /contains "\{"/],
    ['a quote', '$a"b', /contains/],
    ['non-ASCII', '$Wichtig✓', /non-ASCII/],
    ['a space', 'two words', /contains a space/],
  ])('a flag with %s is refused before anything is sent', async (_n, f, message) => {
    await refused(() => store(conn, 1, { add: [f] }), message);
  });

  it('a valid flag goes as an atom', async () => {
    await store(conn, '1:2', { add: ['\\Seen', '$Forwarded'], silent: true });
    expect(wire()).toBe('T STORE 1:2 +FLAGS.SILENT (\\Seen $Forwarded)\r\n');
  });
});

describe('credentials', () => {
  it.each([
    ['CR LF', 'p\r\nZ9 LOGOUT', 'T LOGIN user {12}\r\np\r\nZ9 LOGOUT\r\n'],
    ['quotes and backslashes', 'p"w\\d', 'T LOGIN user "p\\"w\\\\d"\r\n'],
    ['a literal-looking end', 'pw {5}', 'T LOGIN user "pw {5}"\r\n'],
    ['non-ASCII', 'pässwörd', `T LOGIN user {10}\r\n${utf8('pässwörd')}\r\n`],
    ['only spaces', '   ', 'T LOGIN user "   "\r\n'],
  ])('a password with %s is encoded safely', async (_n, password, bytes) => {
    await conn.login('user', password);
    expect(wire()).toBe(bytes);
  });

  it('a user name with CR LF becomes a literal', async () => {
    await conn.login('u\r\nZ9 LOGOUT', 'pw');
    expect(wire()).toBe('T LOGIN {12}\r\nu\r\nZ9 LOGOUT "pw"\r\n');
  });

  it('a password with NUL is refused before anything is sent', async () => {
    await refused(() => conn.login('user', 'p\0w'), /NUL/);
  });

  it('a user name with NUL is refused before anything is sent', async () => {
    await refused(() => conn.login('us\0er', 'pw'), /NUL/);
  });

  it('ID field values with CR LF become literals; NUL is refused', async () => {
    await conn.id(new Map([['name', 'x\r\nZ9 LOGOUT']]));
    expect(wire()).toBe('T ID ("name" {12}\r\nx\r\nZ9 LOGOUT)\r\n');
    let err: unknown;
    try {
      await conn.id(new Map([['name', 'a\0b']]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImapArgumentError);
  });
});

describe('hand-built arguments and command names', () => {
  it.each([
    ['a command name with CR LF', 'NOOP\r\nZ9 LOGOUT', []],
    ['a command name with a space at the end', 'NOOP ', []],
    ['a raw argument with CR LF', 'EXAMINE', [{ type: 'raw', value: 'INBOX\r\nZ9 LOGOUT' }]],
    ['a raw argument with NUL', 'EXAMINE', [{ type: 'raw', value: 'IN\0BOX' }]],
    ['an atom with a space', 'EXAMINE', [{ type: 'atom', value: 'IN BOX' }]],
    ['an atom with CR LF', 'EXAMINE', [{ type: 'atom', value: 'IN\r\nBOX' }]],
    ['a string with NUL', 'EXAMINE', [{ type: 'string', value: 'IN\0BOX' }]],
    ['a NUL in a non-binary literal', 'APPEND', [{ type: 'literal', value: Buffer.from('a\0b') }]],
    ['a number out of range', 'FETCH', [{ type: 'number', value: 2 ** 32 }]],
    ['a negative number', 'FETCH', [{ type: 'number', value: -1 }]],
  ] as Array<[string, string, CommandArg[]]>)(
    '%s is refused before anything is sent',
    async (_n, command, args) => {
      let err: unknown;
      try {
        await conn.run(command, args);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ImapArgumentError);
      await conn.noop();
      expect(wire()).toBe('T NOOP\r\n');
    },
  );

  it('the builders refuse the same input synchronously', () => {
    expect(() => str('a\0b')).toThrow(ImapArgumentError);
    expect(() => astring('a\0b')).toThrow(ImapArgumentError);
    expect(() => mailbox('\udc00')).toThrow(ImapArgumentError);
  });

  it('a continuation answer with CR LF is never sent; the connection is closed', async () => {
    conn.close();
    await server.close();
    server = await startScriptedServer(async (c) => {
      await c.write(GREETING);
      await c.expect(/^T\d+ XCHALLENGE$/);
      await c.write('+ say something\r\n');
      await c.closed();
    });
    conn = await ImapConnection.connect({
      host: server.host,
      port: server.port,
      security: 'none',
      tagPrefix: 'T',
      timeouts: { command: 2000 },
    });
    let err: unknown;
    try {
      await conn.run('XCHALLENGE', [], { onContinuation: () => 'ok\r\nZ9 LOGOUT' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImapConnectionError);
    expect((err as Error).message).toMatch(/CR or LF/);
    await server.settled();
    expect(wire()).toBe('T XCHALLENGE\r\n');
  });
});
