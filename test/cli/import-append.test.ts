/**
 * `imapkit import`'s APPEND batches against a scripted server without
 * MULTIAPPEND (one APPEND per message, not atomic): the count reported
 * after a failure is exact; and a batch that cannot be built releases the
 * message streams it had opened.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { appendBatch } from '../../src/cli/commands/import.js';
import type { ImportSource } from '../../src/cli/sources.js';
import { startScriptedServer, type ScriptedConnection } from '../helpers/scripted-server.js';
import { runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'imapkit-import-append-'));
const CAPS = 'IMAP4rev1 LITERAL+ UIDPLUS';

/** A server storing APPENDs until the `failAt`-th (1-based), refused with NO [OVERQUOTA]. */
function appendServer(failAt: number, appended: string[]) {
  return async (conn: ScriptedConnection): Promise<void> => {
    await conn.write(`* OK [CAPABILITY ${CAPS}] ready\r\n`);
    for (;;) {
      const line = await conn.readLine();
      const [tag, command] = line.split(' ');
      switch (command?.toUpperCase()) {
        case 'LOGIN':
          await conn.write(`${tag} OK [CAPABILITY ${CAPS}] in\r\n`);
          break;
        case 'APPEND': {
          const size = Number(/\{(\d+)\+?\}$/.exec(line)![1]);
          const message = (await conn.readBytes(size)).toString('latin1');
          await conn.readLine(); // the end of the command line
          appended.push(message);
          const n = appended.length;
          await conn.write(
            n === failAt
              ? `${tag} NO [OVERQUOTA] Quota exceeded\r\n`
              : `${tag} OK [APPENDUID 7 ${n}] stored\r\n`,
          );
          break;
        }
        case 'LOGOUT':
          await conn.write(`* BYE bye\r\n${tag} OK done\r\n`);
          await conn.close();
          return;
        default:
          await conn.write(`${tag} OK done\r\n`);
      }
    }
  };
}

describe('import without MULTIAPPEND', () => {
  it('a failure in the middle of a batch reports exactly how many were stored before', async () => {
    const appended: string[] = [];
    const server = await startScriptedServer(appendServer(4, appended));
    try {
      const mbox = join(dir, 'six.mbox');
      writeFileSync(
        mbox,
        [1, 2, 3, 4, 5, 6]
          .map((i) => `From a@example.com Mon Jan  1 08:01:37 2024\nSubject: ${i}\n\nbody ${i}\n\n`)
          .join(''),
      );
      const r = await runCli(['import', 'INBOX', mbox], {
        env: {
          IMAPKIT_HOST: '127.0.0.1',
          IMAPKIT_PORT: String(server.port),
          IMAPKIT_SECURITY: 'plain',
          IMAPKIT_USER: 'u',
          IMAPKIT_PASSWORD: 'p',
        },
      });
      expect(appended).toHaveLength(4); // the 4th refused, the rest never sent
      expect(r.code).toBe(5);
      expect(r.stderr).toBe(
        'imapkit: server refused APPEND (NO): Quota exceeded [OVERQUOTA] ' +
          '(3 of 6 message(s) were imported before)\n',
      );
    } finally {
      await server.close();
    }
  });
});

describe('appendBatch', () => {
  it('destroys the streams already opened when a later message cannot be read', async () => {
    const opened: Readable[] = [];
    const source = (fail: boolean): ImportSource => ({
      diskSize: 3,
      date: null,
      flags: [],
      size: () => (fail ? Promise.reject(new Error('gone')) : Promise.resolve(3)),
      open: () => {
        const stream = new Readable({ read() {} }); // a file never read to its end
        opened.push(stream);
        return stream;
      },
    });
    let appendCalled = false;
    const client = {
      appendMany: () => {
        appendCalled = true;
        return Promise.resolve(null);
      },
    };
    await expect(
      appendBatch(
        client,
        'INBOX',
        [source(false), source(false), source(true)],
        { addBytes() {} },
        () => {},
      ),
    ).rejects.toThrow('gone');
    expect(appendCalled).toBe(false);
    expect(opened).toHaveLength(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(opened.map((s) => s.destroyed)).toEqual([true, true]);
  });
});
