import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import {
  chooseMechanism,
  createSaslSession,
  CramMd5Session,
  LoginSession,
  OAuthBearerSession,
  PlainSession,
  ScramSession,
  SUPPORTED_SASL_MECHANISMS,
  XOAuth2Session,
} from '../../src/connection/sasl/index.js';
import { saslError } from '../helpers/sasl.js';

const caps = (...names: string[]): ReadonlySet<string> =>
  new Set(['IMAP4rev2', 'SASL-IR', ...names.map((n) => `AUTH=${n}`)]);

describe('createSaslSession', () => {
  const creds = { username: 'user', password: 'pencil' };

  it('creates each mechanism by name, case-insensitively', () => {
    expect(createSaslSession('scram-sha-256', creds)).toBeInstanceOf(ScramSession);
    expect(createSaslSession('SCRAM-SHA-1', creds).mechanism).toBe('SCRAM-SHA-1');
    expect(createSaslSession('PLAIN', creds)).toBeInstanceOf(PlainSession);
    expect(createSaslSession('LOGIN', creds)).toBeInstanceOf(LoginSession);
    expect(createSaslSession('CRAM-MD5', creds)).toBeInstanceOf(CramMd5Session);
    expect(createSaslSession('XOAUTH2', { username: 'u', accessToken: 't' })).toBeInstanceOf(
      XOAuth2Session,
    );
    expect(createSaslSession('OAUTHBEARER', { username: 'u', accessToken: 't' })).toBeInstanceOf(
      OAuthBearerSession,
    );
  });

  it('passes the SCRAM options through', () => {
    const s = createSaslSession('SCRAM-SHA-256', creds, { clientNonce: 'rOprNGfwEbeRWgbNEkqO' });
    expect(s.initialResponse()?.toString()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
  });

  it('passes authzid to PLAIN', () => {
    const s = createSaslSession('PLAIN', {
      username: 'Kurt',
      password: 'xipj3plmq',
      authzid: 'Ursel',
    });
    expect(s.initialResponse()?.toString()).toBe('Ursel\u0000Kurt\u0000xipj3plmq');
  });

  it('passes username, host and port to OAUTHBEARER', () => {
    const s = createSaslSession('OAUTHBEARER', {
      username: 'user@example.com',
      accessToken: new Secret('tok'),
      host: 'imap.example.com',
      port: 993,
    });
    expect(s.initialResponse()?.toString()).toBe(
      'n,a=user@example.com,\u0001host=imap.example.com\u0001port=993\u0001auth=Bearer tok\u0001\u0001',
    );
  });

  it('refuses an authzid for LOGIN, CRAM-MD5 and XOAUTH2, which cannot carry it', () => {
    expect(saslError(() => createSaslSession('LOGIN', { ...creds, authzid: 'boss' })).message).toBe(
      'LOGIN: this mechanism cannot carry an authorization identity (authzid)',
    );
    expect(
      saslError(() => createSaslSession('CRAM-MD5', { ...creds, authzid: 'boss' })).mechanism,
    ).toBe('CRAM-MD5');
    expect(
      saslError(() =>
        createSaslSession('XOAUTH2', { username: 'u', accessToken: 't', authzid: 'boss' }),
      ).mechanism,
    ).toBe('XOAUTH2');
  });

  it('puts the authzid rather than the username in OAUTHBEARER a=', () => {
    const s = createSaslSession('OAUTHBEARER', {
      username: 'u',
      accessToken: 't',
      authzid: 'boss',
    });
    expect(s.initialResponse()?.toString()).toBe('n,a=boss,\u0001auth=Bearer t\u0001\u0001');
  });

  it('refuses an unsupported mechanism', () => {
    const err = saslError(() => createSaslSession('GSSAPI', creds));
    expect(err.message).toBe('unsupported SASL mechanism "GSSAPI"');
    expect(err.mechanism).toBeNull();
  });

  it('refuses a missing password or token without leaking the other secret', () => {
    expect(saslError(() => createSaslSession('PLAIN', { username: 'u' })).message).toBe(
      'PLAIN: a password is required',
    );
    const err = saslError(() =>
      createSaslSession('XOAUTH2', { username: 'u', password: 'the-password-123' }),
    );
    expect(err.message).toBe('XOAUTH2: an access token is required');
    expect(String(err)).not.toContain('the-password-123');
  });
});

describe('chooseMechanism', () => {
  it('lists the supported mechanisms in order of preference', () => {
    expect(SUPPORTED_SASL_MECHANISMS).toEqual([
      'OAUTHBEARER',
      'XOAUTH2',
      'SCRAM-SHA-256',
      'SCRAM-SHA-1',
      'PLAIN',
      'LOGIN',
      'CRAM-MD5',
    ]);
  });

  const pw = { username: 'u', password: 'p' };
  const token = { username: 'u', accessToken: 't' };

  it('prefers SCRAM-SHA-256, then SCRAM-SHA-1, PLAIN, LOGIN, CRAM-MD5 with a password', () => {
    const all = ['CRAM-MD5', 'LOGIN', 'PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'XOAUTH2'];
    expect(chooseMechanism(caps(...all), pw)).toBe('SCRAM-SHA-256');
    expect(chooseMechanism(caps(...all.slice(0, 4)), pw)).toBe('SCRAM-SHA-1');
    expect(chooseMechanism(caps(...all.slice(0, 3)), pw)).toBe('PLAIN');
    expect(chooseMechanism(caps(...all.slice(0, 2)), pw)).toBe('LOGIN');
    expect(chooseMechanism(caps('CRAM-MD5'), pw)).toBe('CRAM-MD5');
  });

  it('prefers OAUTHBEARER then XOAUTH2 with a token, and never a password mechanism', () => {
    expect(chooseMechanism(caps('PLAIN', 'XOAUTH2', 'OAUTHBEARER'), token)).toBe('OAUTHBEARER');
    expect(chooseMechanism(caps('PLAIN', 'XOAUTH2'), token)).toBe('XOAUTH2');
    expect(chooseMechanism(caps('PLAIN', 'SCRAM-SHA-256'), token)).toBeNull();
  });

  it('never picks an OAuth mechanism without a token', () => {
    expect(chooseMechanism(caps('OAUTHBEARER', 'XOAUTH2'), pw)).toBeNull();
    expect(chooseMechanism(caps('OAUTHBEARER', 'PLAIN'), pw)).toBe('PLAIN');
  });

  it('compares capability names case-insensitively', () => {
    expect(chooseMechanism(new Set(['auth=scram-sha-1', 'auth=plain']), pw)).toBe('SCRAM-SHA-1');
  });

  it('returns null when the server advertises no usable AUTH=', () => {
    expect(chooseMechanism(new Set(['IMAP4rev1', 'AUTH=GSSAPI']), pw)).toBeNull();
    expect(chooseMechanism(caps('PLAIN'), { username: 'u' })).toBeNull();
  });

  it('skips LOGIN, CRAM-MD5 and XOAUTH2 when an authzid must be carried', () => {
    expect(chooseMechanism(caps('LOGIN', 'CRAM-MD5'), { ...pw, authzid: 'boss' })).toBeNull();
    expect(chooseMechanism(caps('LOGIN', 'PLAIN'), { ...pw, authzid: 'boss' })).toBe('PLAIN');
    expect(chooseMechanism(caps('XOAUTH2'), { ...token, authzid: 'boss' })).toBeNull();
    expect(chooseMechanism(caps('XOAUTH2', 'OAUTHBEARER'), { ...token, authzid: 'boss' })).toBe(
      'OAUTHBEARER',
    );
  });
});
