import net from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ImapConnection } from '../../src/connection/connection.js';
import { resolveEndpoint } from '../../src/connection/setup.js';
import type { Security } from '../../src/connection/types.js';
import { ImapArgumentError } from '../../src/model/errors.js';

describe('where and how ImapConnection.connect connects', () => {
  it('without port or security: implicit TLS on 993 (RFC 8314 3.1)', () => {
    expect(resolveEndpoint({ host: 'imap.example.com' })).toEqual({
      host: 'imap.example.com',
      port: 993,
      security: 'tls',
    });
  });

  it('a port alone: implicit TLS on 993, STARTTLS (required) on any other', () => {
    expect(resolveEndpoint({ port: 993 })).toMatchObject({ port: 993, security: 'tls' });
    expect(resolveEndpoint({ port: 143 })).toMatchObject({ port: 143, security: 'starttls' });
    expect(resolveEndpoint({ port: 1143 })).toMatchObject({ port: 1143, security: 'starttls' });
  });

  it('a security alone: its usual port', () => {
    expect(resolveEndpoint({ security: 'tls' })).toMatchObject({ port: 993, security: 'tls' });
    expect(resolveEndpoint({ security: 'starttls' })).toMatchObject({
      port: 143,
      security: 'starttls',
    });
    expect(resolveEndpoint({ security: 'none' })).toMatchObject({ port: 143, security: 'none' });
  });

  it('both given: as given; the host defaults to localhost', () => {
    expect(resolveEndpoint({ port: 10993, security: 'tls' })).toEqual({
      host: 'localhost',
      port: 10993,
      security: 'tls',
    });
  });

  it('a caller-given stream is used as it is, and TLS over it is refused', () => {
    const stream = new PassThrough();
    expect(resolveEndpoint({ stream })).toMatchObject({ security: 'none' });
    expect(() => resolveEndpoint({ stream, security: 'starttls' })).toThrow(ImapArgumentError);
  });

  it('a security that is not tls, starttls or none is refused before connecting, never taken for plaintext', async () => {
    for (const security of ['ssl', 'STARTTLS', 'TLS', '', 'plain']) {
      expect(() => resolveEndpoint({ security: security as Security })).toThrow(ImapArgumentError);
    }
    // No connection is even attempted: a listener counts them.
    let accepted = 0;
    const server = net.createServer((socket) => {
      accepted++;
      socket.end('* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const err = await ImapConnection.connect({
        host: '127.0.0.1',
        port,
        security: 'STARTTLS' as Security,
        auth: { username: 'alice', password: 'secret' },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImapArgumentError);
      expect((err as Error).message).toMatch(/security must be 'tls', 'starttls' or 'none'/);
      expect(accepted).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
