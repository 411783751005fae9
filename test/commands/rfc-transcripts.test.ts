/**
 * Extensions the test Dovecot (2.3) lacks, exercised against the scripted
 * server with transcripts built from their RFCs' examples.
 */
import { describe, expect, it } from 'vitest';
import { replace } from '../../src/commands/replace.js';
import { ImapConnection } from '../../src/connection/connection.js';
import { ImapCapabilityError } from '../../src/model/errors.js';
import { startScriptedServer, type ScriptStep } from '../helpers/scripted-server.js';

const DRAFT =
  'Date: Thu, 1 Jan 2015 00:05:00 -0500\r\nFrom: Fritz Schmidt <fritz.ze@example.org>\r\n' +
  'Message-ID: <Il-Stiefel-Dtz-Sw-Vq-88@example.org>\r\nSubject: happy new year !!\r\n\r\nHello\r\n';

async function scripted(caps: string, steps: ScriptStep[]) {
  const server = await startScriptedServer([
    { send: `* OK [CAPABILITY IMAP4rev1 ${caps}] ready\r\n` },
    ...steps,
  ]);
  const conn = await ImapConnection.connect({
    host: server.host,
    port: server.port,
    security: 'none',
    tagPrefix: 'A',
    timeouts: { connect: 2000, greeting: 2000, command: 2000 },
  });
  return { server, conn };
}

describe('REPLACE (RFC 8508)', () => {
  it('replaces a draft and returns the APPENDUID of the untagged OK (RFC 8508 3.4 example)', async () => {
    const { server, conn } = await scripted('REPLACE UIDPLUS', [
      { expect: /^A\d+ REPLACE 4 Drafts \(\\Seen \\Draft\) \{\d+\}$/ },
      { send: '+ Ready for literal data\r\n' },
      { wait: 100 },
      {
        send:
          '* OK [APPENDUID 451005 9] Replacement Message ready\r\n* 5 EXISTS\r\n* 4 EXPUNGE\r\n' +
          '$tag OK Replace completed\r\n',
      },
      { stall: true },
    ]);
    const result = await replace(conn, 4, 'Drafts', DRAFT, { flags: ['\\Seen', '\\Draft'] });
    expect(result).toEqual({ uidValidity: 451005, uid: 9 });
    expect(server.receivedText()).toContain(
      `REPLACE 4 Drafts (\\Seen \\Draft) {${DRAFT.length}}\r\n`,
    );
    conn.close();
    await server.close();
  });

  it('UID REPLACE sends the UID form', async () => {
    const { server, conn } = await scripted('REPLACE LITERAL+', [
      { expect: /^A\d+ UID REPLACE 127 Drafts \{\d+\+\}$/ },
      { wait: 100 },
      { send: '* OK [APPENDUID 451005 10] Replacement Message ready\r\n$tag OK done\r\n' },
      { stall: true },
    ]);
    expect(await replace(conn, 127, 'Drafts', DRAFT, { uid: true })).toEqual({
      uidValidity: 451005,
      uid: 10,
    });
    conn.close();
    await server.close();
  });

  it('without the REPLACE capability nothing is sent', async () => {
    const { server, conn } = await scripted('UIDPLUS', [{ stall: true }]);
    await expect(replace(conn, 1, 'Drafts', DRAFT)).rejects.toBeInstanceOf(ImapCapabilityError);
    conn.close();
    await server.close();
    expect(server.receivedText()).toBe('');
  });
});
