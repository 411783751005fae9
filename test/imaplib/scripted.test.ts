/**
 * The imaplib facade against scripted servers, where the exact bytes on the
 * wire (or a response Dovecot never sends) decide: bytes arguments, the
 * `literal` attribute, APPEND in UTF-8 mode, STARTTLS's result, the debug
 * trace switched on later, refused greetings, authobject results and large
 * literals.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ImapConnection } from '../../src/connection/connection.js';
import * as imaplib from '../../src/imaplib/index.js';
import { mailbox, raw } from '../../src/wire/args.js';
import {
  startScriptedServer,
  type ScriptedConnection,
  type ScriptedServer,
} from '../helpers/scripted-server.js';

vi.setConfig({ testTimeout: 20_000 });

const servers: ScriptedServer[] = [];
const clients: imaplib.IMAP4[] = [];
afterEach(async () => {
  for (const M of clients.splice(0)) M.shutdown();
  for (const s of servers.splice(0)) await s.close();
});

const PREAUTH = '* PREAUTH [CAPABILITY IMAP4rev1] ready\r\n';

/** A PREAUTH server announcing `caps`, then running `rest`. */
async function scripted(
  caps: string,
  rest: (c: ScriptedConnection) => Promise<void>,
  greeting = PREAUTH,
): Promise<ScriptedServer> {
  const server = await startScriptedServer(async (c) => {
    await c.write(greeting);
    await c.expect(/^\S+ CAPABILITY$/);
    await c.write(`* CAPABILITY ${caps}\r\n$tag OK caps\r\n`);
    await rest(c);
    await c.closed();
  });
  servers.push(server);
  return server;
}

async function connect(server: ScriptedServer, options?: imaplib.IMAP4Options) {
  const M = await imaplib.IMAP4.connect('127.0.0.1', server.port, options);
  clients.push(M);
  return M;
}

/** What the client sent, as bytes, from the first line matching `start` on. */
function sentFrom(server: ScriptedServer, start: string): Buffer {
  const all = server.received();
  const at = all.indexOf(start);
  expect(at).toBeGreaterThanOrEqual(0);
  return all.subarray(at);
}

describe('idle()', () => {
  it('a command run from inside the loop gets its data; what the loop yielded is not recorded', async () => {
    const server = await scripted('IMAP4rev1 IDLE', async (c) => {
      await c.expect(/^\S+ SELECT INBOX$/);
      await c.write('* 1 EXISTS\r\n$tag OK [READ-WRITE] selected\r\n');
      await c.expect(/^\S+ IDLE$/);
      const idleTag = c.tag;
      await c.write('+ idling\r\n* 2 EXISTS\r\n');
      await c.expect(/^DONE$/);
      await c.write(`${idleTag} OK idle done\r\n`);
      await c.expect(/^\S+ FETCH 2 \(FLAGS\)$/);
      await c.write('* 2 FETCH (FLAGS (\\Seen))\r\n$tag OK fetched\r\n');
      await c.expect(/^\S+ IDLE$/);
      const again = c.tag;
      await c.write('+ idling again\r\n');
      await c.expect(/^DONE$/);
      await c.write(`${again} OK idle done\r\n`);
    });
    const M = await connect(server);
    await M.select('INBOX');
    delete M.untagged_responses['EXISTS'];
    let fetched: imaplib.ImaplibResult | null = null;
    for await (const [typ] of M.idle(5)) {
      if (typ === 'EXISTS') {
        fetched = await M.fetch('2', '(FLAGS)');
        break;
      }
    }
    expect(fetched).not.toBeNull();
    expect(fetched![0]).toBe('OK');
    expect(String(fetched![1][0])).toBe('2 (FLAGS (\\Seen))');
    expect(M.untagged_responses['EXISTS']).toBeUndefined(); // the loop had it
  });
});

/** The engine under a facade instance (its protected `connection`). */
function engineOf(M: imaplib.IMAP4): ImapConnection {
  const engine = (M as unknown as { connection: ImapConnection | null }).connection;
  expect(engine).not.toBeNull();
  return engine!;
}

describe("enable() goes through the engine's ENABLED tracking", () => {
  it('enable("UTF8=ACCEPT"): the engine reports it enabled and sends a UTF-8 mailbox name as UTF-8, not modified UTF-7', async () => {
    const server = await scripted('IMAP4rev1 ENABLE UTF8=ACCEPT', async (c) => {
      await c.expect(/^\S+ ENABLE UTF8=ACCEPT$/);
      await c.write('* ENABLED UTF8=ACCEPT\r\n$tag OK enabled\r\n');
      await c.expect(/^\S+ STATUS /);
      await c.write('$tag OK status\r\n');
    });
    const M = await connect(server);
    expect(await M.enable('UTF8=ACCEPT')).toEqual(['OK', [Buffer.from('enabled')]]);
    expect(M.utf8_enabled).toBe(true);
    const engine = engineOf(M);
    expect([...engine.enabled]).toEqual(['UTF8=ACCEPT']);
    expect(engine.utf8Enabled).toBe(true);
    await engine.run('STATUS', [mailbox('Entwürfe'), raw('(MESSAGES)')]);
    expect(sentFrom(server, ' STATUS ')).toEqual(
      Buffer.from(' STATUS "Entwürfe" (MESSAGES)\r\n', 'utf8'),
    );
  });

  it('several names in one argument (as CPython sends them): the engine takes only those the server confirms', async () => {
    const server = await scripted('IMAP4rev1 ENABLE UTF8=ACCEPT CONDSTORE QRESYNC', async (c) => {
      await c.expect(/^\S+ ENABLE condstore UTF8=ACCEPT$/);
      // QRESYNC was not asked for (RFC 5161 3.2): not enabled.
      await c.write('* ENABLED CONDSTORE QRESYNC\r\n$tag OK enabled\r\n');
      await c.expect(/^\S+ STATUS /);
      await c.write('$tag OK status\r\n');
    });
    const M = await connect(server);
    await M.enable('condstore UTF8=ACCEPT');
    const engine = engineOf(M);
    expect([...engine.enabled]).toEqual(['CONDSTORE']);
    expect(engine.utf8Enabled).toBe(false);
    await engine.run('STATUS', [mailbox('Entwürfe'), raw('(MESSAGES)')]);
    expect(sentFrom(server, ' STATUS ').toString('latin1')).toBe(
      ' STATUS Entw&APw-rfe (MESSAGES)\r\n',
    );
  });
});

describe('bytes arguments', () => {
  it('are sent exactly as given: a UTF-8 mailbox name and search key after ENABLE UTF8=ACCEPT', async () => {
    const server = await scripted('IMAP4rev1 ENABLE UTF8=ACCEPT', async (c) => {
      await c.expect(/^\S+ ENABLE UTF8=ACCEPT$/);
      await c.write('* ENABLED UTF8=ACCEPT\r\n$tag OK enabled\r\n');
      await c.expect(/^\S+ SELECT /);
      await c.write('* 2 EXISTS\r\n$tag OK [READ-WRITE] selected\r\n');
      await c.expect(/^\S+ SEARCH /);
      await c.write('* SEARCH 2\r\n$tag OK searched\r\n');
      await c.expect(/^\S+ UID FETCH /);
      await c.write('$tag OK fetched\r\n');
    });
    const M = await connect(server);
    await M.enable('UTF8=ACCEPT');
    const name = Buffer.from('"Entwürfe/Café"', 'utf8');
    expect(await M.select(name)).toEqual(['OK', [Buffer.from('2')]]);
    expect(await M.search(null, Buffer.from('SUBJECT'), Buffer.from('café', 'utf8'))).toEqual([
      'OK',
      [Buffer.from('2')],
    ]);
    await M.uid('FETCH', Buffer.from('2'), null, '(FLAGS)');
    const sent = sentFrom(server, ' SELECT ');
    const tag = (line: string) => line.split(' ')[0]!;
    const lines = sent.toString('latin1').split('\r\n');
    expect(sent).toEqual(
      Buffer.concat([
        Buffer.from(' SELECT "Entwürfe/Café"\r\n', 'utf8'),
        Buffer.from(`${tag(lines[1]!)} SEARCH SUBJECT café\r\n`, 'utf8'),
        Buffer.from(`${tag(lines[2]!)} UID FETCH 2 (FLAGS)\r\n`, 'utf8'),
      ]),
    );
  });

  it('8-bit bytes are not re-encoded in ASCII mode either; CR, LF and NUL in bytes are refused', async () => {
    const server = await scripted('IMAP4rev1', async (c) => {
      await c.expect(/^\S+ SELECT INBOX$/);
      await c.write('* 1 EXISTS\r\n$tag OK [READ-WRITE] selected\r\n');
      await c.expect(/^\S+ SEARCH /);
      await c.write('* SEARCH\r\n$tag OK searched\r\n');
      await c.expect(/^\S+ NOOP$/);
      await c.write('$tag OK noop\r\n');
    });
    const M = await connect(server);
    await M.select();
    await M.search('ISO-8859-1', 'SUBJECT', Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    for (const bad of [Buffer.from('a\r\nb'), Buffer.from('a\nb'), Buffer.from([0x61, 0])]) {
      const err = await M.search(null, bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(imaplib.IMAP4.error);
      expect(err).not.toBeInstanceOf(imaplib.IMAP4.abort);
    }
    expect((await M.noop())[0]).toBe('OK');
    const sent = sentFrom(server, ' SEARCH ');
    expect(sent.subarray(0, sent.indexOf('\r\n'))).toEqual(
      Buffer.concat([
        Buffer.from(' SEARCH CHARSET ISO-8859-1 SUBJECT '),
        Buffer.from([0x63, 0x61, 0x66, 0xe9]),
      ]),
    );
    expect(sent.toString('latin1')).not.toMatch(/SEARCH a/);
  });

  it('an empty argument is sent as CPython sends it, nothing between two spaces, and the server answers', async () => {
    const server = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
      await c.expect(/^\S+ CAPABILITY$/);
      await c.write('* CAPABILITY IMAP4rev1\r\n$tag OK caps\r\n');
      await c.expect(/^\S+ LOGIN {2}""$/);
      await c.write('$tag BAD Error in IMAP command received by server.\r\n');
      await c.expect(/^\S+ LOGIN carol "pw"$/);
      await c.write('$tag OK [CAPABILITY IMAP4rev1] logged in\r\n');
      await c.expect(/^\S+ LIST {2}\*$/);
      await c.write('$tag BAD Error in IMAP command LIST: Invalid pattern.\r\n');
      await c.expect(/^\S+ STATUS {2}\(MESSAGES\)$/);
      await c.write('$tag BAD Invalid mailbox name.\r\n');
      await c.closed();
    });
    servers.push(server);
    const M = await connect(server);
    await expect(M.login('', '')).rejects.toThrow(
      "LOGIN command error: BAD [b'Error in IMAP command received by server.']",
    );
    await M.login('carol', 'pw');
    await expect(M.list('', '*')).rejects.toThrow(
      "LIST command error: BAD [b'Error in IMAP command LIST: Invalid pattern.']",
    );
    await expect(M.status(Buffer.alloc(0), '(MESSAGES)')).rejects.toThrow(
      "STATUS command error: BAD [b'Invalid mailbox name.']",
    );
  });

  it('append() with an empty Buffer as mailbox appends to INBOX, as CPython’s `not mailbox`', async () => {
    const server = await scripted('IMAP4rev1', async (c) => {
      await c.expect(/^\S+ APPEND INBOX \{2\}$/);
      const appendTag = c.tag;
      await c.write('+ go\r\n');
      await c.expect(/^hi$/);
      await c.write(`${appendTag} OK appended\r\n`);
    });
    const M = await connect(server);
    expect((await M.append(Buffer.alloc(0), null, null, Buffer.from('hi')))[0]).toBe('OK');
  });
});

describe('large literals', () => {
  /** A server answering FETCH 1 with a BODY[] literal of `size` bytes, sent in 1 MiB writes of one reused Buffer. */
  async function fetchServer(size: number, options?: imaplib.IMAP4Options) {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const server = await scripted('IMAP4rev1', async (c) => {
      await c.expect(/^\S+ SELECT INBOX$/);
      await c.write('* 1 EXISTS\r\n$tag OK [READ-WRITE] selected\r\n');
      await c.expect(/^\S+ FETCH 1 \(BODY\[\]\)$/);
      await c.write(`* 1 FETCH (BODY[] {${size}}\r\nB`);
      for (let left = size - 2; left > 0; left -= chunk.length) {
        await c.write(left >= chunk.length ? chunk : chunk.subarray(0, left));
      }
      await c.write('Z)\r\n$tag OK fetched\r\n');
      await c.expect(/^\S+ NOOP$/);
      await c.write('$tag OK noop\r\n');
    });
    const M = await connect(server, options);
    await M.select();
    return M;
  }

  it('a literal over the old 64 MiB limit is read (CPython reads any size)', async () => {
    const size = 64 * 1024 * 1024 + 1000;
    const M = await fetchServer(size);
    const [typ, data] = await M.fetch('1', '(BODY[])');
    expect(typ).toBe('OK');
    const [prefix, body] = data[0] as [Buffer, Buffer];
    expect(prefix).toEqual(Buffer.from(`1 (BODY[] {${size}}`));
    expect(body.length).toBe(size);
    expect([body[0], body[1], body[size - 2], body[size - 1]]).toEqual([0x42, 0x61, 0x61, 0x5a]);
    expect(data[1]).toEqual(Buffer.from(')'));
    expect((await M.noop())[0]).toBe('OK');
  });

  it('the maxLiteralSize option sets the limit: a larger literal aborts', async () => {
    const M = await fetchServer(5000, { maxLiteralSize: 4999 });
    const err = await M.fetch('1', '(BODY[])').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(imaplib.IMAP4.abort);
    expect((err as Error).message).toMatch(/4999/);
    expect((err as InstanceType<typeof imaplib.IMAP4.abort>).code).toBe('LIMIT');
    const N = await fetchServer(5000, { maxLiteralSize: 5000 });
    const [, data] = await N.fetch('1', '(BODY[])');
    expect((data[0] as [Buffer, Buffer])[1].length).toBe(5000);
  });

  it('the literals of one response are bounded by maxCollectedBytes when it is set lower', async () => {
    const piece = 'x'.repeat(3000);
    const server = await scripted('IMAP4rev1', async (c) => {
      await c.expect(/^\S+ SELECT INBOX$/);
      await c.write('* 1 EXISTS\r\n$tag OK [READ-WRITE] selected\r\n');
      await c.expect(/^\S+ FETCH 1 /);
      await c.write(`* 1 FETCH (BODY[1] {3000}\r\n${piece} BODY[2] {3000}\r\n${piece})\r\n`);
      await c.write('$tag OK fetched\r\n');
    });
    const M = await connect(server, { maxLiteralSize: 4000, maxCollectedBytes: 5000 });
    await M.select();
    const err = await M.fetch('1', '(BODY[1] BODY[2])').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(imaplib.IMAP4.error);
    expect((err as Error).message).toMatch(/5000/);
  });

  it.each([-1, 1.5, 2 ** 53])('refuses maxLiteralSize %s', async (bad) => {
    await expect(imaplib.IMAP4.connect('127.0.0.1', 1, { maxLiteralSize: bad })).rejects.toThrow(
      /maxLiteralSize must be an integer/,
    );
  });
});

describe('the literal attribute', () => {
  it('is sent as ` {n}` and the bytes after the arguments, then cleared (also by a refused command)', async () => {
    const text = Buffer.from('Подписка', 'utf8');
    const server = await scripted('IMAP4rev1', async (c) => {
      await c.expect(/^\S+ SELECT INBOX$/);
      await c.write('* 3 EXISTS\r\n$tag OK [READ-WRITE] selected\r\n');
      await c.expect(/^\S+ UID SEARCH CHARSET UTF-8 SUBJECT \{16\}$/);
      await c.write('+ go ahead\r\n');
      await c.readBytes(16);
      await c.write('* SEARCH 42\r\n$tag OK searched\r\n');
      await c.expect(/^\S+ NOOP$/);
      await c.write('$tag OK noop\r\n');
      await c.expect(/^\S+ NOOP$/);
      await c.write('$tag OK noop\r\n');
    });
    const M = await connect(server);
    await M.select();
    M.literal = text;
    expect(await M.uid('SEARCH', 'CHARSET', 'UTF-8', 'SUBJECT')).toEqual([
      'OK',
      [Buffer.from('42')],
    ]);
    expect(M.literal).toBeNull();
    expect((await M.noop())[0]).toBe('OK');
    // A command refused in this state clears it too (CPython's _command).
    M.literal = text;
    await expect(M.login('u', 'p')).rejects.toThrow(/illegal in state SELECTED/);
    expect(M.literal).toBeNull();
    expect((await M.noop())[0]).toBe('OK');
    const sent = sentFrom(server, ' UID SEARCH ').toString('latin1');
    expect(sent).toMatch(
      new RegExp(
        `^ UID SEARCH CHARSET UTF-8 SUBJECT \\{16\\}\\r\\n${text.toString('latin1')}\\r\\n\\S+ NOOP\\r\\n\\S+ NOOP\\r\\n$`,
      ),
    );
  });
});

describe('append() in UTF-8 mode', () => {
  it('sends the message as UTF8 (~{n}...), the literal8 of RFC 6855', async () => {
    const message = Buffer.from('Subject: Grüße\r\n\r\nHallo\r\n', 'utf8');
    const server = await scripted('IMAP4rev1 ENABLE UTF8=ACCEPT', async (c) => {
      await c.expect(/^\S+ ENABLE UTF8=ACCEPT$/);
      await c.write('* ENABLED UTF8=ACCEPT\r\n$tag OK enabled\r\n');
      await c.expect(/^\S+ APPEND /);
      await c.write('+ ready\r\n');
      await c.readBytes(message.length);
      await c.readLine();
      await c.write('$tag OK [APPENDUID 1 5] appended\r\n');
    });
    const M = await connect(server);
    await M.enable('UTF8=ACCEPT');
    expect(await M.append('INBOX', null, null, message)).toEqual([
      'OK',
      [Buffer.from('[APPENDUID 1 5] appended')],
    ]);
    expect(sentFrom(server, ' APPEND ')).toEqual(
      Buffer.concat([
        Buffer.from(` APPEND INBOX UTF8 (~{${message.length}}\r\n`),
        message,
        Buffer.from(')\r\n'),
      ]),
    );
  });
});

describe('debug', () => {
  it('is a live setting: M.debug = 4 on a connected instance starts the stderr trace, 0 stops it', async () => {
    const server = await scripted('IMAP4rev1', async (c) => {
      for (let i = 0; i < 3; i++) {
        await c.expect(/^\S+ NOOP$/);
        await c.write(`$tag OK noop ${i}\r\n`);
      }
    });
    const M = await connect(server);
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await M.noop();
      M.debug = 4;
      await M.noop();
      M.debug = 0;
      await M.noop();
    } finally {
      spy.mockRestore();
    }
    const trace = written.filter((w) => /NOOP|noop/.test(w));
    expect(trace.some((w) => /C: \S+ NOOP/.test(w))).toBe(true);
    expect(trace.some((w) => /S: \S+ OK noop 1/.test(w))).toBe(true);
    expect(trace.some((w) => /noop 0|noop 2/.test(w))).toBe(false);
    expect(trace.filter((w) => /C: \S+ NOOP/.test(w))).toHaveLength(1);
  });
});

/** What CPython's imaplib raises connecting to `port` (the class name and str(e)). */
async function pythonConnectError(port: number): Promise<string> {
  const code = [
    'import imaplib, sys',
    'try:',
    `    imaplib.IMAP4('127.0.0.1', ${port})`,
    "    print('connected')",
    'except imaplib.IMAP4.abort as e:',
    "    print('abort:', e)",
    'except imaplib.IMAP4.error as e:',
    "    print('error:', e)",
  ].join('\n');
  const child = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  await new Promise((resolve) => child.on('close', resolve));
  return out.trim();
}

describe('a refused greeting', () => {
  it('BYE raises plain IMAP4.error (not abort) with the greeting, as CPython does', async () => {
    const server = await startScriptedServer([
      { send: '* BYE [UNAVAILABLE] too busy\r\n' },
      { close: true },
    ]);
    servers.push(server);
    const python = await pythonConnectError(server.port);
    expect(python).toBe("error: b'* BYE [UNAVAILABLE] too busy'");
    const err = await imaplib.IMAP4.connect('127.0.0.1', server.port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(imaplib.IMAP4.error);
    expect(err).not.toBeInstanceOf(imaplib.IMAP4.abort);
    expect(`error: ${(err as Error).message}`).toBe(python);
  });
});

describe('a connect() that fails after the greeting', () => {
  /** A subclass that keeps the engine connection it was given. */
  class Spy extends imaplib.IMAP4 {
    engine: ImapConnection | null = null;
    protected override async attach(connection: ImapConnection): Promise<void> {
      this.engine = connection;
      return super.attach(connection);
    }
  }

  it.each([
    [
      'CAPABILITY without IMAP4rev1 (server not IMAP4 compliant)',
      '* CAPABILITY IMAP4rev2\r\n$tag OK caps\r\n',
      /not IMAP4 compliant/,
    ],
    ['CAPABILITY answered BAD', '$tag BAD no\r\n', /CAPABILITY command error: BAD/],
  ])(
    '%s: rejects with IMAP4.error and closes the connection (CPython shuts down)',
    async (_, answer, message) => {
      const server = await startScriptedServer(async (c) => {
        // The greeting's capabilities spare the engine its own CAPABILITY.
        await c.write('* OK [CAPABILITY IMAP4rev1] hi\r\n');
        await c.expect(/^\S+ CAPABILITY$/);
        await c.write(answer);
        await c.closed();
      });
      servers.push(server);
      const M = new Spy();
      clients.push(M);
      const err = await M.open('127.0.0.1', server.port).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(imaplib.IMAP4.error);
      expect((err as Error).message).toMatch(message);
      expect(M.engine?.closed).toBe(true);
      // The server sees the client go (the old code left it open: this waited forever).
      await server.sessions[0]!.closed();
    },
  );
});

describe('the timeout option', () => {
  /** Records the engine timeouts the facade asks for. */
  class Spy extends imaplib.IMAP4 {
    timeouts: unknown = 'not asked';
    protected override connectOptions(): ReturnType<imaplib.IMAP4['connectOptions']> {
      const options = super.connectOptions();
      this.timeouts = options.timeouts;
      return options;
    }
  }

  const none = { connect: Infinity, greeting: Infinity, tls: Infinity, command: Infinity };
  it.each([
    ['left out: the engine defaults (a deliberate difference from CPython)', undefined, undefined],
    ['null (Python None): no timeout at all', null, none],
    ['Infinity: no timeout at all', Infinity, none],
    ['5 seconds', 5, { connect: 5000, greeting: 5000, tls: 5000, command: 5000 }],
  ])('%s', async (_, timeout, expected) => {
    const server = await scripted('IMAP4rev1', async (c) => {
      await c.expect(/^\S+ NOOP$/);
      await c.write('$tag OK noop\r\n');
    });
    const M = new Spy();
    clients.push(M);
    await M.open('127.0.0.1', server.port, timeout === undefined ? {} : { timeout });
    expect(M.timeouts).toEqual(expected);
    expect(await M.noop()).toEqual(['OK', [Buffer.from('noop')]]);
  });

  it.each([null, Infinity])(
    'readline() with timeout %s waits for the line (no 1 ms timer from setTimeout(Infinity))',
    async (timeout) => {
      const server = await scripted('IMAP4rev1', async (c) => {
        await c.expect(/^RAW$/);
        await new Promise((resolve) => setTimeout(resolve, 50));
        await c.write('* late line\r\n');
      });
      const M = await connect(server, { timeout });
      await M.send('RAW\r\n');
      expect(await M.readline()).toEqual(Buffer.from('* late line\r\n'));
    },
  );

  it.each([0, -1, NaN])('%s is refused with IMAP4.error before connecting', async (timeout) => {
    const err = await imaplib.IMAP4.connect('127.0.0.1', 1, { timeout }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(imaplib.IMAP4.error);
    expect((err as Error).message).toMatch(/timeout must be a positive number/);
  });
});

describe('NUL bytes in append() and login()', () => {
  const message = Buffer.from('Subject: x\r\n\r\na\0b\r\n', 'latin1');

  it('append(): a message with NUL goes as literal8 (~{n}) when the server has BINARY', async () => {
    const server = await scripted('IMAP4rev1 BINARY', async (c) => {
      await c.expect(/^\S+ APPEND /);
      await c.write('+ ready\r\n');
      await c.readBytes(message.length);
      await c.readLine();
      await c.write('$tag NO refused\r\n');
    });
    const M = await connect(server);
    expect(await M.append('INBOX', null, null, message)).toEqual(['NO', [Buffer.from('refused')]]);
    expect(sentFrom(server, ' APPEND ')).toEqual(
      Buffer.concat([
        Buffer.from(` APPEND INBOX ~{${message.length}}\r\n`),
        message,
        Buffer.from('\r\n'),
      ]),
    );
  });

  it('append() without BINARY, login() with NUL in the password: IMAP4.error, nothing sent', async () => {
    const server = await scripted('IMAP4rev1', async (c) => {
      await c.expect(/^\S+ NOOP$/);
      await c.write('$tag OK noop\r\n');
    });
    const M = await connect(server);
    const appendErr = await M.append('INBOX', null, null, message).catch((e: unknown) => e);
    expect(appendErr).toBeInstanceOf(imaplib.IMAP4.error);
    expect((appendErr as Error).message).toMatch(/NUL .*BINARY/);
    M.state = 'NONAUTH';
    const loginErr = await M.login('u', 'p\0w').catch((e: unknown) => e);
    expect(loginErr).toBeInstanceOf(imaplib.IMAP4.error);
    expect((loginErr as Error).message).toMatch(/LOGIN => .*NUL/);
    expect((await M.noop())[0]).toBe('OK');
    expect(server.receivedText()).not.toMatch(/APPEND|LOGIN/);
  });
});

describe("the engine's own CAPABILITY after LOGIN", () => {
  /** A server whose LOGIN completion carries no capabilities; `before` is sent ahead of it. */
  async function loginServer(before: string): Promise<ScriptedServer> {
    const server = await startScriptedServer(async (c) => {
      await c.write('* OK [CAPABILITY IMAP4rev1] hi\r\n');
      await c.expect(/^\S+ CAPABILITY$/);
      await c.write('* CAPABILITY IMAP4rev1\r\n$tag OK caps\r\n');
      await c.expect(/^\S+ LOGIN /);
      await c.write(`${before}$tag OK logged in\r\n`);
      if (before === '') {
        // The engine asks, to keep its capabilities right (CPython does not).
        await c.expect(/^\S+ CAPABILITY$/);
        await c.write('* CAPABILITY IMAP4rev1 AFTERLOGIN\r\n$tag OK caps\r\n');
      }
      await c.expect(/^\S+ NOOP$/);
      await c.write('$tag OK noop\r\n');
      await c.closed();
    });
    servers.push(server);
    return server;
  }

  it('is not recorded in untagged_responses: response("CAPABILITY") is [null], as in CPython', async () => {
    const server = await loginServer('');
    const M = await connect(server);
    expect(await M.login('u', 'p')).toEqual(['OK', [Buffer.from('logged in')]]);
    expect({ ...M.untagged_responses }).toEqual({});
    expect(await M.response('CAPABILITY')).toEqual(['CAPABILITY', [null]]);
    expect((await M.noop())[0]).toBe('OK');
    expect(server.receivedText()).toMatch(/LOGIN u "p"\r\n\S+ CAPABILITY\r\n\S+ NOOP\r\n$/);
  });

  it("the server's own CAPABILITY before the LOGIN completion still is", async () => {
    const server = await loginServer('* CAPABILITY IMAP4rev1 SENT\r\n');
    const M = await connect(server);
    await M.login('u', 'p');
    expect(await M.response('CAPABILITY')).toEqual(['CAPABILITY', [Buffer.from('IMAP4rev1 SENT')]]);
  });
});
