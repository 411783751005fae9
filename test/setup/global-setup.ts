/**
 * vitest globalSetup: starts the real Dovecot of `scripts/test-server.sh`
 * (installing it when missing, which needs root) and provides its env.json to
 * the tests (`inject('imapkitTestServer')`, or test/helpers/dovecot.ts's
 * `testServer()`). Teardown stops the server only when this run started it.
 * Set IMAPKIT_SKIP_DOVECOT=1 to skip it (unit tests only).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { envPath, type TestServerEnv } from '../helpers/dovecot.js';

declare module 'vitest' {
  export interface ProvidedContext {
    imapkitTestServer: TestServerEnv | null;
  }
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = join(root, 'scripts', 'test-server.sh');

function serverRunning(): boolean {
  try {
    execFileSync('bash', [script, 'status'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

export default function setup(project: TestProject): (() => void) | undefined {
  if (process.env.IMAPKIT_SKIP_DOVECOT === '1') {
    project.provide('imapkitTestServer', null);
    return undefined;
  }
  const wasRunning = serverRunning();
  try {
    execFileSync('bash', [script, 'start'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 900_000, // a first start may install Dovecot and seed mail
      cwd: root,
    });
    // Tests assert the seeded state (counts, flags): start from it even when
    // an earlier run, the demo or a person changed the mail.
    execFileSync('bash', [script, 'reseed'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
      cwd: root,
    });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    const reason = stderr || (err as Error).message;
    process.env.IMAPKIT_TEST_SERVER_ERROR = reason.slice(0, 500);
    console.warn(`global-setup: the test Dovecot could not be started: ${reason}`);
    project.provide('imapkitTestServer', null);
    return undefined;
  }
  const env = JSON.parse(readFileSync(envPath(), 'utf8')) as TestServerEnv;
  project.provide('imapkitTestServer', env);
  return () => {
    if (!wasRunning) {
      try {
        execFileSync('bash', [script, 'stop'], { stdio: 'ignore', timeout: 60_000 });
      } catch {
        // best effort
      }
    }
  };
}
