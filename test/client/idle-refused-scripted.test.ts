/**
 * autoIdle against a server that ends IDLE with a refusal (`NO [LIMIT]` for
 * too many IDLE sessions, as some providers send): the refusal is reported
 * through the `error` event and IDLE is tried again after a delay that
 * doubles with each refusal in a row, never in a tight loop. Before, the
 * session ended silently and the client stopped getting push updates.
 */
import { afterEach, expect, it } from 'vitest';
import { ImapClient } from '../../src/client/client.js';
import { ImapProtocolError } from '../../src/model/errors.js';
import { selectInbox } from '../helpers/scripted-client.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

let server: ScriptedServer | null = null;
const clients: ImapClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = null;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A server that logs in, selects INBOX and answers each IDLE with
 * `answer(try number, starting at 1)`; an autoIdle client with INBOX open
 * and the errors it reported.
 */
async function autoIdleClient(
  answer: (n: number) => string,
): Promise<{ client: ImapClient; errors: Error[]; idleAt: number[] }> {
  const idleAt: number[] = [];
  server = await startScriptedServer(async (c) => {
    await c.write('* OK [CAPABILITY IMAP4rev1 IDLE] scripted\r\n');
    await c.expect(/^\S+ LOGIN /);
    await c.write('$tag OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n');
    const [select, reply] = selectInbox(3);
    await c.expect(select);
    await c.write(reply);
    for (;;) {
      await c.expect(/^\S+ IDLE$/);
      idleAt.push(Date.now());
      await c.write(answer(idleAt.length));
    }
  });
  const client = await ImapClient.connect({
    host: '127.0.0.1',
    port: server.port,
    security: 'none',
    auth: { username: 'u', password: 'p', mechanism: 'LOGIN-COMMAND' },
    reconnect: false,
    autoIdle: true,
  });
  clients.push(client);
  const errors: Error[] = [];
  client.on('error', (e) => errors.push(e));
  await client.mailboxOpen('INBOX');
  return { client, errors, idleAt };
}

it('IDLE ended with NO: reported as an error, tried again after 1 s then 2 s, idling once accepted', async () => {
  const { client, errors, idleAt } = await autoIdleClient((n) =>
    n <= 2 ? '+ idling\r\n$tag NO [LIMIT] too many IDLE sessions\r\n' : '+ idling\r\n',
  );

  const t0 = Date.now();
  while (errors.length < 1 && Date.now() - t0 < 2000) await sleep(10);
  expect(errors[0]).toBeInstanceOf(ImapProtocolError);
  expect(errors[0]).toMatchObject({ status: 'NO', serverText: 'too many IDLE sessions' });
  expect(client.idling).toBe(false);
  await sleep(500);
  expect(idleAt).toHaveLength(1); // no tight loop

  while (!client.idling && Date.now() - t0 < 6000) await sleep(20);
  expect(client.idling).toBe(true);
  expect(idleAt).toHaveLength(3);
  expect(errors).toHaveLength(2);
  expect(idleAt[1]! - idleAt[0]!).toBeGreaterThanOrEqual(900);
  expect(idleAt[2]! - idleAt[1]!).toBeGreaterThanOrEqual(1900);
  expect(client.connection?.closed).toBe(false);
}, 10_000);

it('IDLE refused outright (NO without +) on the first try: reported and tried again, idling once accepted', async () => {
  const { client, errors, idleAt } = await autoIdleClient((n) =>
    n === 1 ? '$tag NO [LIMIT] too many IDLE sessions\r\n' : '+ idling\r\n',
  );
  const t0 = Date.now();
  while (!client.idling && Date.now() - t0 < 5000) await sleep(20);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toBeInstanceOf(ImapProtocolError);
  expect(idleAt).toHaveLength(2);
  expect(client.idling).toBe(true);
}, 10_000);

it('close() while a retried IDLE waits for its `+`: no `error` event after `close`', async () => {
  // The retry's IDLE gets no answer: close() fails it with "the connection was closed".
  const { client, errors, idleAt } = await autoIdleClient((n) =>
    n === 1 ? '+ idling\r\n$tag NO [LIMIT] too many IDLE sessions\r\n' : '',
  );
  const t0 = Date.now();
  while (idleAt.length < 2 && Date.now() - t0 < 3000) await sleep(10);
  expect(idleAt).toHaveLength(2);
  expect(errors).toHaveLength(1); // the refusal
  const events: string[] = [];
  client.on('close', () => events.push('close'));
  client.on('error', (e) => events.push(`error: ${e.message}`));
  client.close();
  await sleep(200);
  expect(events).toEqual(['close']);
}, 10_000);
