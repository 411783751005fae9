/**
 * The seed example, ported line by line from Python's imaplib:
 *
 *   M = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
 *   M.login(user, password)
 *   M.select('Inbox')
 *   typ, data = M.search(None, 'ALL')
 *   for num in data[0].split():
 *       typ, data = M.fetch(num, '(RFC822)')
 *       print('Message %s\n%s\n' % (num, data[0][1]))
 *   M.close()
 *   M.logout()
 *
 * Run with `npm run demo` (starts the local Dovecot test server first). Server,
 * user and password come from the test server's env.json, or from IMAP_HOST,
 * IMAP_PORT, IMAP_USER, IMAP_PASSWORD and IMAP_CA. Long messages are shortened
 * to MAX_LINES lines (env DEMO_MAX_LINES, 0 for no limit).
 */
import { readFileSync } from 'node:fs';
import { IMAP4_SSL } from '../src/imaplib/index.js';

interface ServerEnv {
  host: string;
  tlsPort: number;
  caFile: string;
  users: Record<string, string>;
}

const envFile = `${process.env.IMAPKIT_TEST_DIR ?? '/tmp/imapkit-test-server'}/env.json`;
const server = JSON.parse(readFileSync(envFile, 'utf8')) as ServerEnv;
const host = process.env.IMAP_HOST ?? server.host;
const port = Number(process.env.IMAP_PORT ?? server.tlsPort);
const user = process.env.IMAP_USER ?? 'alice';
const password = process.env.IMAP_PASSWORD ?? server.users[user] ?? '';
const ca = readFileSync(process.env.IMAP_CA ?? server.caFile);
const maxLines = Number(process.env.DEMO_MAX_LINES ?? 30);

function shorten(message: Buffer): string {
  const lines = message.toString('utf8').split('\r\n');
  if (maxLines <= 0 || lines.length <= maxLines) return lines.join('\n');
  return `${lines.slice(0, maxLines).join('\n')}\n[... ${lines.length - maxLines} more lines]`;
}

const M = await IMAP4_SSL.connect(host, port, { tls: { ca } });
await M.login(user, password);
await M.select('Inbox');
const [, data] = await M.search(null, 'ALL');
const numbers = String(data[0] ?? '')
  .split(' ')
  .filter((n) => n.length > 0);
for (const num of numbers) {
  const [, msg] = await M.fetch(num, '(RFC822)');
  const first = msg[0];
  const body = Array.isArray(first) ? first[1] : Buffer.alloc(0);
  console.log(`Message ${num}\n${shorten(body)}\n`);
}
await M.close();
await M.logout();
console.log(`Read ${numbers.length} messages from ${user}'s Inbox at ${host}:${port} over TLS.`);
