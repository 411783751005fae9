/**
 * The built `imapkit` program, spawned as a real process: the build emits
 * dist/cli/main.js with its shebang (the package's `bin`), it runs against
 * Dovecot, exits with the documented statuses, and Ctrl-C (SIGINT) during
 * `watch` logs out cleanly with exit 0.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import {
  createMailboxWith,
  deleteMailboxes,
  plainOptions,
  testMessage,
  testServer,
} from '../helpers/dovecot.js';
import { cliEnv } from './helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = mkdtempSync(join(tmpdir(), 'imapkit-cli-build-'));
const bin = join(outDir, 'cli', 'main.js');
let carol: ImapConnection;
const box = `t-cli-bin-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns the built program; `onStdout` may react to output (e.g. send SIGINT). */
function spawnCli(
  args: string[],
  env: Record<string, string>,
  onStdout?: (text: string, kill: () => void) => void,
): Promise<Exit> {
  const child = spawn(bin, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    onStdout?.(stdout, () => child.kill('SIGINT'));
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

beforeAll(() => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir],
    { cwd: root },
  );
  chmodSync(bin, 0o755); // what `npm run build` and npm's bin linking do
}, 120_000);

beforeAll(async () => {
  carol = await ImapConnection.connect(plainOptions('carol'));
  await createMailboxWith(carol, box, [testMessage('one')]);
});

afterAll(async () => {
  await deleteMailboxes(carol, [box]);
  await carol.logout();
});

describe('the imapkit program', () => {
  it('package.json names dist/cli/main.js as the bin, and the build emits it with a shebang', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin).toEqual({ imapkit: './dist/cli/main.js' });
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('runs a command and prints JSON', async () => {
    const r = await spawnCli(['status', 'INBOX', '--json'], cliEnv());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'INBOX', messages: 300, unseen: 45 });
  });

  it('exits 2 on a usage error and 3 on a refused login', async () => {
    const usage = await spawnCli(['status'], cliEnv());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('imapkit: usage: imapkit status <mailbox>\n');
    const { IMAPKIT_PASSWORD: _, ...env } = cliEnv();
    const noPassword = await spawnCli(['list'], env);
    expect(noPassword.code).toBe(3);
  });

  it('watch: SIGINT logs out and exits 0; the password is never printed', async () => {
    const env = cliEnv('carol');
    let sent = false;
    const r = await spawnCli(['watch', box, '--json', '--debug'], env, (out, kill) => {
      if (!sent && out.includes('"event":"watching"')) {
        sent = true;
        kill();
      }
    });
    expect(r.signal).toBe(null);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[trace\] C: A\d+ IDLE/);
    expect(r.stderr).toMatch(/\[trace\] C: A\d+ LOGOUT/);
    expect(r.stderr).toMatch(/\[trace\] S: \* BYE/);
    expect(r.stdout + r.stderr).not.toContain(testServer().users.carol!);
  });
});
