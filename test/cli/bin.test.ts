/**
 * The built `imapkit` program, spawned as a real process: the build emits
 * dist/cli/main.js with its shebang (the package's `bin`), it runs against
 * Dovecot, exits with the documented statuses, and Ctrl-C (SIGINT) during
 * `watch` and `search --watch` logs out cleanly with exit 0.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import { literal, mailbox } from '../../src/wire/args.js';
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
  nodeOptions: string[] = [],
): Promise<Exit> {
  const [command, argv] =
    nodeOptions.length === 0 ? [bin, args] : [process.execPath, [...nodeOptions, bin, ...args]];
  const child = spawn(command, argv, {
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
  writeFileSync(
    rssReporter,
    "process.on('exit', () => process.stderr.write(`MAXRSS ${process.resourceUsage().maxRSS}\\n`));\n",
  );
}, 120_000);

beforeAll(async () => {
  carol = await ImapConnection.connect(plainOptions('carol'));
  await createMailboxWith(carol, box, [testMessage('one')]);
});

afterAll(async () => {
  await deleteMailboxes(carol, [box]);
  await carol.logout();
});

/** Runs the program with a preload that reports its peak RSS (bytes) on exit. */
async function peakRss(
  args: string[],
  env: Record<string, string>,
): Promise<{ exit: Exit; rss: number }> {
  const exit = await spawnCli(args, env, undefined, ['--import', rssReporter]);
  const m = /MAXRSS (\d+)/.exec(exit.stderr);
  if (m === null) throw new Error(`no MAXRSS in ${exit.stderr}`);
  return { exit, rss: Number(m[1]) * 1024 };
}

const rssReporter = join(outDir, 'report-rss.mjs');

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

  it('search --watch: an APPEND by another session is printed as added; SIGINT cancels, logs out, exits 0', async () => {
    let appended = false;
    let sent = false;
    const r = await spawnCli(
      ['search', box, 'subject:"watched here"', '--watch', '--json', '--debug'],
      cliEnv('carol'),
      (out, kill) => {
        if (!appended && out.includes('"event":"watching"')) {
          appended = true;
          void carol.exec('APPEND', [mailbox(box), literal(testMessage('watched here'))]);
        }
        if (!sent && out.includes('"event":"added"')) {
          sent = true;
          kill();
        }
      },
    );
    expect(r.signal).toBe(null);
    expect(r.code).toBe(0);
    const records = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toEqual([
      { event: 'watching', mailbox: box, matches: 0 },
      { event: 'added', uids: expect.stringMatching(/^\d+$/) },
    ]);
    expect(r.stderr).toMatch(/\[trace\] C: (A\d+) UID SEARCH RETURN \(ALL UPDATE\) /);
    expect(r.stderr).toMatch(/\[trace\] S: \* ESEARCH \(TAG "A\d+"\) UID ADDTO \(0 \d+\)/);
    expect(r.stderr).toMatch(/\[trace\] C: A\d+ CANCELUPDATE "A\d+"/);
    expect(r.stderr).toMatch(/\[trace\] C: A\d+ LOGOUT/);
  });

  it('import and export stream a 128 MB message: peak memory stays far below its size', async () => {
    const size = 128 * 1024 * 1024;
    const file = join(outDir, 'big.eml');
    const fd = openSync(file, 'w');
    writeSync(fd, 'From: big@example.com\r\nTo: carol@example.com\r\nSubject: big\r\n\r\n');
    const line = Buffer.from('x'.repeat(76) + '\r\n');
    const block = Buffer.concat(Array.from({ length: 1024 }, () => line));
    for (let written = 0; written < size; written += block.length) writeSync(fd, block);
    closeSync(fd);
    const env = cliEnv('carol');
    const bigBox = `${box}-big`;
    try {
      const baseline = await peakRss(['status', box], env);
      expect(baseline.exit.code).toBe(0);
      const imported = await peakRss(['import', bigBox, file, '--create'], env);
      expect(imported.exit.code).toBe(0);
      const exportDir = join(outDir, 'big-export');
      const exported = await peakRss(
        ['export', bigBox, '--format', 'eml', '--out', exportDir],
        env,
      );
      expect(exported.exit.code).toBe(0);
      const name = readdirSync(exportDir).find((n) => n.endsWith('.eml'))!;
      const copy = readFileSync(join(exportDir, name));
      expect(copy.equals(readFileSync(file))).toBe(true);
      // Buffering the message whole would add at least its size (128 MB) to the peak;
      // streaming adds a constant ~40 MB (garbage collected lazily), whatever the size.
      expect(imported.rss - baseline.rss).toBeLessThan(size / 2);
      expect(exported.rss - baseline.rss).toBeLessThan(size / 2);
    } finally {
      await deleteMailboxes(carol, [bigBox]);
    }
  }, 120_000);

  it('on a terminal, the password is asked for without echo', () => {
    // Python's pty gives the program a terminal: wait for the prompt, type, read the rest.
    const driver = [
      'import os, pty, select, sys, time',
      'pid, fd = pty.fork()',
      'if pid == 0: os.execv(sys.argv[1], sys.argv[1:])',
      'out = b""',
      'def read(stop):',
      '    global out',
      '    end = time.time() + 20',
      '    while time.time() < end and (stop is None or stop not in out):',
      '        if select.select([fd], [], [], 0.2)[0]:',
      '            try: data = os.read(fd, 4096)',
      '            except OSError: return',
      '            if not data: return',
      '            out += data',
      'read(b": ")',
      'os.write(fd, os.environ["TYPED"].encode() + b"\\r")',
      'read(None)',
      'sys.stdout.write(out.decode())',
      'sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))',
    ].join('\n');
    const { IMAPKIT_PASSWORD: password, ...env } = cliEnv();
    const output = execFileSync('python3', ['-c', driver, bin, 'status', 'Notes'], {
      env: { PATH: process.env.PATH ?? '', ...env, TYPED: password! },
      encoding: 'utf8',
    });
    expect(output).toMatch(/^Password for alice@127\.0\.0\.1: \r?\n/);
    expect(output).toMatch(/messages:\s+1/);
    expect(output).not.toContain(password);
  });
});
