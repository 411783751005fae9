import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import { OAuthBearerSession } from '../../src/connection/sasl/oauthbearer.js';
import { XOAuth2Session } from '../../src/connection/sasl/xoauth2.js';
import { saslError } from '../helpers/sasl.js';

const TOKEN = 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==';

// RFC 7628 section 4.3: the server's error challenge, base64 as on the wire.
const ERROR_CHALLENGE = Buffer.from(
  'eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=',
  'base64',
);

describe('OAUTHBEARER (RFC 7628)', () => {
  it('builds the RFC 7628 section 4.1 IMAP initial response', () => {
    const s = new OAuthBearerSession({
      authzid: 'user@example.com',
      host: 'server.example.com',
      port: 143,
      accessToken: new Secret(TOKEN),
    });
    expect(s.mechanism).toBe('OAUTHBEARER');
    expect(s.needsServerFinal).toBe(false);
    const ir = s.initialResponse();
    expect(ir.toString()).toBe(
      `n,a=user@example.com,\u0001host=server.example.com\u0001port=143\u0001auth=Bearer ${TOKEN}\u0001\u0001`,
    );
    expect(ir.toString('base64')).toBe(
      'bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB',
    );
    expect(s.lastError).toBeNull();
    s.complete();
  });

  it('omits host, port and a= when they are not given', () => {
    const s = new OAuthBearerSession({ accessToken: 'tok' });
    expect(s.initialResponse().toString()).toBe('n,,\u0001auth=Bearer tok\u0001\u0001');
  });

  it('escapes , and = in the authzid (RFC 5801 saslname)', () => {
    const s = new OAuthBearerSession({ accessToken: 'tok', authzid: 'a,b=c' });
    expect(s.initialResponse().toString()).toBe('n,a=a=2Cb=3Dc,\u0001auth=Bearer tok\u0001\u0001');
  });

  it('answers the RFC 7628 section 4.3 error challenge with ^A and exposes the error', () => {
    const s = new OAuthBearerSession({ authzid: 'user@example.com', accessToken: TOKEN });
    s.initialResponse();
    expect(s.respond(ERROR_CHALLENGE)).toEqual(Buffer.from([0x01]));
    expect(s.lastError?.status).toBe('invalid_token');
    expect(s.lastError?.scope).toBe('example_scope');
    expect(s.lastError?.openidConfiguration).toBe(
      'https://example.com/.well-known/openid-configuration',
    );
    expect(s.lastError?.schemes).toBeUndefined();
    expect([...(s.lastError?.fields.keys() ?? [])]).toEqual([
      'status',
      'scope',
      'openid-configuration',
    ]);
    expect(saslError(() => s.respond(ERROR_CHALLENGE)).message).toBe(
      'OAUTHBEARER: unexpected server challenge after the error response',
    );
  });

  it('keeps a non-JSON error challenge as raw text', () => {
    const s = new OAuthBearerSession({ accessToken: TOKEN });
    s.initialResponse();
    expect(s.respond(Buffer.from('not json'))).toEqual(Buffer.from([0x01]));
    expect(s.lastError?.raw).toBe('not json');
    expect(s.lastError?.status).toBeUndefined();
    expect(s.lastError?.fields.size).toBe(0);
  });

  it('sends the initial response in answer to the first challenge without SASL-IR', () => {
    const s = new OAuthBearerSession({ accessToken: 'tok' });
    expect(s.respond(Buffer.alloc(0)).toString()).toBe('n,,\u0001auth=Bearer tok\u0001\u0001');
  });

  it('refuses a token with control characters or spaces, without revealing it', () => {
    const token = 'abc\u0001host=evil';
    const err = saslError(() => new OAuthBearerSession({ accessToken: token }));
    expect(err.message).toBe(
      'OAUTHBEARER: the access token contains a character this mechanism cannot carry',
    );
    expect(String(err)).not.toContain('host=evil');
    expect(saslError(() => new OAuthBearerSession({ accessToken: 'a b' })).code).toBe('SASL');
    expect(saslError(() => new OAuthBearerSession({ accessToken: 't', port: 70000 })).message).toBe(
      'OAUTHBEARER: invalid port 70000',
    );
  });
});

describe('XOAUTH2 (Google)', () => {
  it('builds "user=...^Aauth=Bearer ...^A^A"', () => {
    const s = new XOAuth2Session({ username: 'user@example.com', accessToken: TOKEN });
    expect(s.mechanism).toBe('XOAUTH2');
    expect(s.initialResponse().toString()).toBe(
      `user=user@example.com\u0001auth=Bearer ${TOKEN}\u0001\u0001`,
    );
  });

  it("matches Google's documented example encoding", () => {
    const s = new XOAuth2Session({
      username: 'someuser@example.com',
      accessToken: 'ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg',
    });
    expect(s.initialResponse().toString('base64')).toBe(
      'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2cBAQ==',
    );
  });

  it('answers the JSON error challenge with an empty response and exposes the error', () => {
    const s = new XOAuth2Session({ username: 'user@example.com', accessToken: TOKEN });
    s.initialResponse();
    const challenge = Buffer.from(
      '{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}',
    );
    expect(s.respond(challenge)).toEqual(Buffer.alloc(0));
    expect(s.lastError?.status).toBe('401');
    expect(s.lastError?.schemes).toBe('bearer');
    expect(s.lastError?.scope).toBe('https://mail.google.com/');
    expect(saslError(() => s.respond(challenge)).message).toBe(
      'XOAUTH2: unexpected server challenge after the error response',
    );
  });

  it('refuses ^A in the username and an empty token', () => {
    expect(
      saslError(() => new XOAuth2Session({ username: 'a\u0001b', accessToken: 't' })).message,
    ).toBe('XOAUTH2: the username contains a character this mechanism cannot carry');
    expect(saslError(() => new XOAuth2Session({ username: 'a', accessToken: '' })).message).toBe(
      'XOAUTH2: the access token is empty',
    );
  });
});
