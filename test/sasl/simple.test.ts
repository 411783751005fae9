import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import { CramMd5Session } from '../../src/connection/sasl/cram-md5.js';
import { LoginSession } from '../../src/connection/sasl/login.js';
import { PlainSession } from '../../src/connection/sasl/plain.js';
import { saslError } from '../helpers/sasl.js';

describe('PLAIN (RFC 4616)', () => {
  it('sends "\\0tim\\0tanstaaftanstaaf" for the RFC 4616 section 4 example', () => {
    const s = new PlainSession({ username: 'tim', password: 'tanstaaftanstaaf' });
    expect(s.mechanism).toBe('PLAIN');
    expect(s.needsServerFinal).toBe(false);
    const ir = s.initialResponse();
    expect(ir).toEqual(Buffer.from('\u0000tim\u0000tanstaaftanstaaf'));
    expect(ir.toString('base64')).toBe('AHRpbQB0YW5zdGFhZnRhbnN0YWFm');
    expect(ir.length).toBe(21);
  });

  it('sends "Ursel\\0Kurt\\0xipj3plmq" with an authzid (RFC 4616 section 4)', () => {
    const s = new PlainSession({
      username: 'Kurt',
      password: new Secret('xipj3plmq'),
      authzid: 'Ursel',
    });
    expect(s.initialResponse().toString()).toBe('Ursel\u0000Kurt\u0000xipj3plmq');
  });

  it('answers the empty server challenge with the message when SASL-IR is not used', () => {
    const s = new PlainSession({ username: 'tim', password: 'tanstaaftanstaaf' });
    expect(s.respond(Buffer.alloc(0)).toString()).toBe('\u0000tim\u0000tanstaaftanstaaf');
    expect(saslError(() => s.respond(Buffer.alloc(0))).message).toBe(
      'PLAIN: unexpected server challenge after the credentials were sent',
    );
  });

  it('encodes non-ASCII as UTF-8', () => {
    const s = new PlainSession({ username: 'j\u00f6rg', password: '\u20ac' });
    expect(s.initialResponse()).toEqual(
      Buffer.from([0, 0x6a, 0xc3, 0xb6, 0x72, 0x67, 0, 0xe2, 0x82, 0xac]),
    );
  });

  it('refuses NUL in the password without revealing it', () => {
    const password = 'pass\u0000word-secret';
    const err = saslError(() => new PlainSession({ username: 'tim', password }));
    expect(err.message).toBe(
      'PLAIN: the password contains a character this mechanism cannot carry',
    );
    expect(err.message).not.toContain('word-secret');
    expect(String(err)).not.toContain('word-secret');
  });

  it('refuses an empty username or password', () => {
    expect(saslError(() => new PlainSession({ username: '', password: 'x' })).message).toBe(
      'PLAIN: the username is empty',
    );
    expect(saslError(() => new PlainSession({ username: 'x', password: '' })).message).toBe(
      'PLAIN: the password is empty',
    );
  });
});

describe('LOGIN', () => {
  it('answers the first challenge with the username and the second with the password', () => {
    const s = new LoginSession({ username: 'tim', password: new Secret('tanstaaftanstaaf') });
    expect(s.mechanism).toBe('LOGIN');
    expect(s.initialResponse()).toBeNull();
    expect(s.respond(Buffer.from('Username:')).toString()).toBe('tim');
    expect(s.respond(Buffer.from('Password:')).toString()).toBe('tanstaaftanstaaf');
  });

  it('ignores the wording and case of the challenges', () => {
    const s = new LoginSession({ username: 'tim', password: 'pw' });
    expect(s.respond(Buffer.from('USER NAME')).toString()).toBe('tim');
    expect(s.respond(Buffer.from('')).toString()).toBe('pw');
  });

  it('refuses a third challenge', () => {
    const password = 'sekrit-pw';
    const s = new LoginSession({ username: 'tim', password });
    s.respond(Buffer.from('Username:'));
    s.respond(Buffer.from('Password:'));
    const err = saslError(() => s.respond(Buffer.from('Password:')));
    expect(err.message).toBe('LOGIN: unexpected third server challenge');
    expect(String(err)).not.toContain(password);
  });
});

describe('CRAM-MD5 (RFC 2195)', () => {
  it('answers the RFC 2195 example challenge with "tim b913a602c7eda7a495b4e6e7334d3890"', () => {
    const s = new CramMd5Session({ username: 'tim', password: 'tanstaaftanstaaf' });
    expect(s.mechanism).toBe('CRAM-MD5');
    expect(s.initialResponse()).toBeNull();
    const challenge = Buffer.from('<1896.697170952@postoffice.reston.mci.net>');
    expect(challenge.toString('base64')).toBe(
      'PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+',
    );
    const answer = s.respond(challenge);
    expect(answer.toString()).toBe('tim b913a602c7eda7a495b4e6e7334d3890');
    expect(answer.toString('base64')).toBe('dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw');
    s.complete();
  });

  it('refuses an empty or second challenge', () => {
    const s = new CramMd5Session({ username: 'tim', password: 'tanstaaftanstaaf' });
    expect(saslError(() => s.respond(Buffer.alloc(0))).message).toBe(
      'CRAM-MD5: the server challenge is empty',
    );
    s.respond(Buffer.from('<1@x>'));
    expect(saslError(() => s.respond(Buffer.from('<2@x>'))).message).toBe(
      'CRAM-MD5: unexpected second server challenge',
    );
  });
});
