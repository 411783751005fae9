/**
 * An ImapClient on a scripted server, for client behaviour a real Dovecot
 * will not show (a server without MOVE, ESEARCH or LIST-EXTENDED): the
 * server greets with the given capabilities, accepts LOGIN, answers the
 * client's exchanges in order, then LOGOUT. Call {@link closeScriptedClients}
 * after each test.
 */
import { ImapClient } from '../../src/client/client.js';
import type { ClientEvents } from '../../src/client/events.js';
import type { ClientOptions } from '../../src/client/options.js';
import { startScriptedServer, type ScriptedServer } from './scripted-server.js';

/** One exchange: the command line the client must send, and the server's reply (`$tag` is its tag). */
export type Exchange = readonly [RegExp, string];

/** SELECT INBOX answered for a mailbox of `exists` messages (UIDVALIDITY 7). */
export function selectInbox(exists: number): Exchange {
  return [
    /^\S+ SELECT INBOX/,
    `* ${exists} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT ${exists + 1}] ok\r\n` +
      '$tag OK [READ-WRITE] selected\r\n',
  ];
}

const servers: ScriptedServer[] = [];
const clients: ImapClient[] = [];

/**
 * A connected client (no reconnection) whose server offers `caps` and
 * plays `exchanges`; each command line the client sent for them is pushed
 * to `sent`; `options` are added to the client's.
 */
export async function scriptedClient(
  caps: string,
  exchanges: readonly Exchange[],
  sent: string[] = [],
  options: Partial<ClientOptions> = {},
): Promise<ImapClient> {
  const server = await startScriptedServer(async (c) => {
    await c.write(`* OK [CAPABILITY ${caps}] scripted\r\n`);
    await c.expect(/^\S+ LOGIN /);
    await c.write(`$tag OK [CAPABILITY ${caps}] logged in\r\n`);
    for (const [pattern, reply] of exchanges) {
      sent.push(await c.expect(pattern));
      await c.write(reply);
    }
    await c.expect(/^\S+ LOGOUT/);
    await c.write('* BYE bye\r\n$tag OK bye\r\n');
  });
  servers.push(server);
  const client = await ImapClient.connect({
    host: '127.0.0.1',
    port: server.port,
    security: 'none',
    auth: { username: 'u', password: 'p', mechanism: 'LOGIN-COMMAND' },
    reconnect: false,
    ...options,
  });
  clients.push(client);
  return client;
}

/** Closes the clients and servers of the test that just ran. */
export async function closeScriptedClients(): Promise<void> {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
}

/**
 * The arguments of the next `event` of `client` (unlike events.once, an
 * `error` event meanwhile does not reject); fails after 5 s.
 */
export function nextEvent<K extends keyof ClientEvents>(
  client: ImapClient,
  event: K,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} event`)), 5000);
    client.once(event, ((...args: ClientEvents[K]) => {
      clearTimeout(timer);
      resolve(args);
    }) as never);
  });
}
