import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { resolveEndpoint } from '../../src/connection/setup.js';
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
});
