import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import {
  DEFAULT_SCRAM_MAX_ITERATIONS,
  DEFAULT_SCRAM_MIN_ITERATIONS,
  ScramSession,
} from '../../src/connection/sasl/scram.js';
import { saslError } from '../helpers/sasl.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

// RFC 5802 section 5: SCRAM-SHA-1, user "user", password "pencil".
const SHA1 = {
  nonce: 'fyko+d2lbbFgONRv9qkxdawL',
  clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
  serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
  clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
  serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
};

// RFC 7677 section 3: SCRAM-SHA-256, same user and password.
const SHA256 = {
  nonce: 'rOprNGfwEbeRWgbNEkqO',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst:
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

function sha256(
  password = 'pencil',
  extra: { maxIterations?: number; minIterations?: number } = {},
): ScramSession {
  return new ScramSession(
    'SHA-256',
    { username: 'user', password },
    { clientNonce: SHA256.nonce, ...extra },
  );
}

describe('SCRAM-SHA-1 (RFC 5802 section 5)', () => {
  it('reproduces the RFC exchange byte for byte and verifies the server', () => {
    const s = new ScramSession(
      'SHA-1',
      { username: 'user', password: 'pencil' },
      { clientNonce: SHA1.nonce },
    );
    expect(s.mechanism).toBe('SCRAM-SHA-1');
    expect(s.needsServerFinal).toBe(true);
    expect(s.initialResponse().toString()).toBe(SHA1.clientFirst);
    expect(s.respond(b(SHA1.serverFirst)).toString()).toBe(SHA1.clientFinal);
    expect(s.respond(b(SHA1.serverFinal))).toEqual(Buffer.alloc(0));
    expect(() => s.complete()).not.toThrow();
  });

  it('answers an empty first challenge with client-first when SASL-IR was not used', () => {
    const s = new ScramSession(
      'SHA-1',
      { username: 'user', password: new Secret('pencil') },
      { clientNonce: SHA1.nonce },
    );
    expect(s.respond(Buffer.alloc(0)).toString()).toBe(SHA1.clientFirst);
    expect(s.respond(b(SHA1.serverFirst)).toString()).toBe(SHA1.clientFinal);
    expect(s.respond(b(SHA1.serverFinal)).length).toBe(0);
    s.complete();
  });
});

describe('SCRAM-SHA-256 (RFC 7677 section 3)', () => {
  it('reproduces the RFC exchange byte for byte and verifies the server', () => {
    const s = sha256();
    expect(s.mechanism).toBe('SCRAM-SHA-256');
    expect(s.initialResponse().toString()).toBe(SHA256.clientFirst);
    expect(s.respond(b(SHA256.serverFirst)).toString()).toBe(SHA256.clientFinal);
    expect(s.respond(b(SHA256.serverFinal))).toEqual(Buffer.alloc(0));
    expect(() => s.complete()).not.toThrow();
  });

  it('accepts the server-final message given to complete() instead of a challenge', () => {
    const s = sha256();
    s.initialResponse();
    s.respond(b(SHA256.serverFirst));
    expect(() => s.complete(b(SHA256.serverFinal))).not.toThrow();
  });

  it('puts an escaped authzid in the GS2 header and its base64 in c=', () => {
    const s = new ScramSession(
      'SHA-256',
      { username: 'us=er,x', password: 'pencil', authzid: 'ad,min' },
      { clientNonce: 'abc' },
    );
    expect(s.initialResponse().toString()).toBe('n,a=ad=2Cmin,n=us=3Der=2Cx,r=abc');
    const final = s.respond(b('r=abcdef,s=QSXCR+Q6sek8bf92,i=4096')).toString();
    expect(
      final.startsWith(`c=${Buffer.from('n,a=ad=2Cmin,').toString('base64')},r=abcdef,p=`),
    ).toBe(true);
    expect(final.split(',')[0]).toBe('c=bixhPWFkPTJDbWluLA==');
  });

  it('uses a fresh 24-byte base64 nonce by default', () => {
    const one = new ScramSession('SHA-256', { username: 'u', password: 'p' });
    const two = new ScramSession('SHA-256', { username: 'u', password: 'p' });
    const n1 = /,r=([^,]+)$/.exec(one.initialResponse().toString())![1]!;
    const n2 = /,r=([^,]+)$/.exec(two.initialResponse().toString())![1]!;
    expect(n1).toMatch(/^[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(n1, 'base64').length).toBe(24);
    expect(n1).not.toBe(n2);
  });
});

describe('SCRAM refuses a hostile or broken server', () => {
  it('refuses a wrong server signature', () => {
    const s = sha256();
    s.initialResponse();
    s.respond(b(SHA256.serverFirst));
    const err = saslError(() => s.respond(b('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')));
    expect(err.message).toBe(
      'SCRAM-SHA-256: the server signature does not match: the server did not prove it knows the password',
    );
    expect(err.code).toBe('SASL');
    expect(err.mechanism).toBe('SCRAM-SHA-256');
    expect(err.serverUnverified).toBe(true); // the engine closes the connection
    // the session stays failed: success cannot be accepted afterwards
    expect(saslError(() => s.complete()).message).toMatch(/without proving it knows the password/);
    expect(saslError(() => s.respond(b(SHA256.serverFinal))).message).toBe(
      'SCRAM-SHA-256: the exchange has already failed',
    );
  });

  it('refuses the SHA-1 signature given to a SHA-256 exchange (wrong length)', () => {
    const s = sha256();
    s.initialResponse();
    s.respond(b(SHA256.serverFirst));
    expect(saslError(() => s.respond(b(SHA1.serverFinal))).message).toMatch(/does not match/);
  });

  it('refuses a tagged OK that arrives without the server signature', () => {
    const s = sha256();
    s.initialResponse();
    s.respond(b(SHA256.serverFirst));
    const err = saslError(() => s.complete());
    expect(err.message).toBe(
      'SCRAM-SHA-256: the server reported success without proving it knows the password (no valid server signature)',
    );
  });

  it('refuses a tagged OK before anything was exchanged', () => {
    expect(saslError(() => sha256().complete()).code).toBe('SASL');
  });

  it('refuses a server nonce that does not start with the client nonce', () => {
    const s = sha256();
    s.initialResponse();
    const err = saslError(() =>
      s.respond(
        b('r=XOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'),
      ),
    );
    expect(err.message).toBe('SCRAM-SHA-256: the server nonce does not extend the client nonce');
  });

  it('refuses a server nonce equal to the client nonce (no server part)', () => {
    const s = sha256();
    s.initialResponse();
    expect(
      saslError(() => s.respond(b(`r=${SHA256.nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`))).message,
    ).toBe('SCRAM-SHA-256: the server nonce does not extend the client nonce');
  });

  it('refuses an iteration count of 10^9 without computing it', () => {
    const s = sha256();
    s.initialResponse();
    const started = performance.now();
    const err = saslError(() =>
      s.respond(b(`r=${SHA256.nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000000000`)),
    );
    expect(performance.now() - started).toBeLessThan(100);
    expect(err.message).toBe(
      'SCRAM-SHA-256: the server asks for 1000000000 iterations, more than the limit of 600000',
    );
    expect(DEFAULT_SCRAM_MAX_ITERATIONS).toBe(600000);
  });

  it('refuses an absurdly long iteration count', () => {
    const s = sha256();
    s.initialResponse();
    expect(
      saslError(() =>
        s.respond(b(`r=${SHA256.nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=${'9'.repeat(400)}`)),
      ).message,
    ).toBe(
      'SCRAM-SHA-256: the server asks for more than 10^15 iterations, more than the limit of 600000',
    );
  });

  it('honours a lower maxIterations option', () => {
    const s = sha256('pencil', { maxIterations: 4095 });
    s.initialResponse();
    expect(saslError(() => s.respond(b(SHA256.serverFirst))).message).toBe(
      'SCRAM-SHA-256: the server asks for 4096 iterations, more than the limit of 4095',
    );
    expect(saslError(() => sha256('pencil', { maxIterations: 0 })).message).toBe(
      'SCRAM-SHA-256: maxIterations must be a positive integer',
    );
  });

  it("refuses an iteration count below RFC 7677's minimum of 4096 (i=1, i=4095) before computing a proof", () => {
    expect(DEFAULT_SCRAM_MIN_ITERATIONS).toBe(4096);
    for (const count of [1, 4095]) {
      const s = sha256();
      s.initialResponse();
      expect(
        saslError(() => s.respond(b(`r=${SHA256.nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=${count}`)))
          .message,
      ).toBe(
        `SCRAM-SHA-256: the server asks for ${count} iterations, fewer than the minimum of 4096 (RFC 7677 section 4): a proof with so few would be cheap to attack offline`,
      );
      // The exchange is over: no proof can be had from it afterwards.
      expect(saslError(() => s.respond(b(SHA256.serverFirst))).message).toBe(
        'SCRAM-SHA-256: the exchange has already failed',
      );
    }
  });

  it('accepts exactly the minimum: i=4096 gives the RFC 7677 proof', () => {
    const s = sha256();
    s.initialResponse();
    expect(s.respond(b(SHA256.serverFirst)).toString()).toBe(SHA256.clientFinal);
  });

  it('prepare() then respond() refuses a count below the minimum too', async () => {
    const s = sha256();
    s.initialResponse();
    const challenge = b(`r=${SHA256.nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1`);
    await s.prepare(challenge);
    expect(saslError(() => s.respond(challenge)).message).toMatch(
      /asks for 1 iterations, fewer than the minimum of 4096/,
    );
  });

  it('honours a minIterations option, lower or higher', () => {
    const low = sha256('pencil', { minIterations: 1 });
    low.initialResponse();
    expect(
      low.respond(b(`r=${SHA256.nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1`)).toString(),
    ).toMatch(/^c=biws,r=.*,p=[A-Za-z0-9+/]+=*$/);

    const high = sha256('pencil', { minIterations: 10_000 });
    high.initialResponse();
    expect(saslError(() => high.respond(b(SHA256.serverFirst))).message).toMatch(
      /asks for 4096 iterations, fewer than the minimum of 10000/,
    );
  });

  it('a maxIterations below 4096 lowers the default minimum with it', () => {
    const s = sha256('pencil', { maxIterations: 1000 });
    s.initialResponse();
    expect(
      s.respond(b(`r=${SHA256.nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000`)).toString(),
    ).toMatch(/^c=biws,r=/);
  });

  it.each([
    [{ minIterations: 0 }, 'minIterations must be a positive integer'],
    [{ minIterations: 1.5 }, 'minIterations must be a positive integer'],
    [
      { minIterations: 5000, maxIterations: 4096 },
      'minIterations (5000) must not be more than maxIterations (4096)',
    ],
  ])('refuses the options %j', (options, message) => {
    expect(saslError(() => sha256('pencil', options)).message).toBe(`SCRAM-SHA-256: ${message}`);
  });

  it.each([
    ['i=0', 'SCRAM-SHA-256: the iteration count must be at least 1'],
    ['i=000', 'SCRAM-SHA-256: the iteration count must be at least 1'],
    ['i=-5', 'SCRAM-SHA-256: the iteration count is not a number'],
    ['i=4k', 'SCRAM-SHA-256: the iteration count is not a number'],
    ['i=', 'SCRAM-SHA-256: the iteration count is not a number'],
  ])('refuses the iteration attribute %s', (iter, message) => {
    const s = sha256();
    s.initialResponse();
    expect(
      saslError(() => s.respond(b(`r=${SHA256.nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,${iter}`)))
        .message,
    ).toBe(message);
  });

  it.each([
    ['s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096', 'lacks the r= attribute'],
    [`r=${SHA256.nonce}srv,i=4096`, 'lacks the s= attribute'],
    [`r=${SHA256.nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==`, 'lacks the i= attribute'],
    ['', 'is empty'],
    [`r=${SHA256.nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,`, 'has a malformed attribute'],
    [`r=${SHA256.nonce}srv,garbage,i=4096`, 'has a malformed attribute'],
    [`r=${SHA256.nonce}srv,r=${SHA256.nonce}x,s=QQ==,i=1`, 'repeats the r= attribute'],
  ])('refuses the server-first message %j', (serverFirst, problem) => {
    const s = sha256();
    s.initialResponse();
    expect(saslError(() => s.respond(b(serverFirst))).message).toBe(
      `SCRAM-SHA-256: the server-first message ${problem}`,
    );
  });

  it('refuses a salt that is not base64', () => {
    const s = sha256();
    s.initialResponse();
    expect(saslError(() => s.respond(b(`r=${SHA256.nonce}srv,s=not*base64,i=4096`))).message).toBe(
      'SCRAM-SHA-256: the salt is not valid base64',
    );
  });

  it('refuses a mandatory extension m=', () => {
    const s = sha256();
    s.initialResponse();
    expect(
      saslError(() => s.respond(b(`m=ext,r=${SHA256.nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`)))
        .message,
    ).toBe('SCRAM-SHA-256: the server requires an unsupported SCRAM extension (m=)');
  });

  it('refuses a server-first message that is not UTF-8', () => {
    const s = sha256();
    s.initialResponse();
    expect(saslError(() => s.respond(Buffer.from([0x72, 0x3d, 0xff, 0xfe]))).message).toBe(
      'SCRAM-SHA-256: the server-first message is not valid UTF-8',
    );
  });

  it('turns e= in the server-final message into a SaslError carrying the server text', () => {
    const s = sha256();
    s.initialResponse();
    s.respond(b(SHA256.serverFirst));
    const err = saslError(() => s.respond(b('e=invalid-proof')));
    expect(err.message).toBe('SCRAM-SHA-256: the server reports an error: invalid-proof');
    expect(err.serverError).toBe('invalid-proof');
    expect(err.serverUnverified).toBe(false); // the server's refusal, not a failed proof
  });

  it('turns e= given to complete() into a SaslError', () => {
    const s = sha256();
    s.initialResponse();
    s.respond(b(SHA256.serverFirst));
    expect(saslError(() => s.complete(b('e=unknown-user'))).serverError).toBe('unknown-user');
  });

  it('escapes control characters of the server error text', () => {
    const s = sha256();
    s.initialResponse();
    expect(saslError(() => s.respond(b('e=bad\u001b[31m'))).message).toBe(
      'SCRAM-SHA-256: the server reports an error: bad\\x1b[31m',
    );
  });

  it('refuses a server-final message without v=', () => {
    const s = sha256();
    s.initialResponse();
    s.respond(b(SHA256.serverFirst));
    expect(saslError(() => s.respond(b('x=1'))).message).toBe(
      'SCRAM-SHA-256: the server-final message lacks the v= attribute',
    );
  });

  it('refuses a challenge after the exchange was verified', () => {
    const s = sha256();
    s.initialResponse();
    s.respond(b(SHA256.serverFirst));
    s.respond(b(SHA256.serverFinal));
    expect(saslError(() => s.respond(Buffer.alloc(0))).message).toBe(
      'SCRAM-SHA-256: unexpected server challenge after the exchange ended',
    );
  });
});

describe('SCRAM keeps the password secret', () => {
  const password = 'hunter2-very-secret';

  it('never puts the password in error messages', () => {
    const s = new ScramSession('SHA-256', { username: 'user', password }, { clientNonce: 'abc' });
    s.initialResponse();
    s.respond(b('r=abcdef,s=QSXCR+Q6sek8bf92,i=4096'));
    const errors = [
      saslError(() => s.respond(b('v=AAAA'))),
      saslError(() => s.complete()),
      saslError(() => new ScramSession('SHA-1', { username: 'u', password: password + '\u0007' })),
      saslError(() => new ScramSession('SHA-1', { username: 'u', password: new Secret('') })),
    ];
    expect(errors.map((e) => e.message)).toEqual([
      'SCRAM-SHA-256: the server signature does not match: the server did not prove it knows the password',
      'SCRAM-SHA-256: the server reported success without proving it knows the password (no valid server signature)',
      'SCRAM-SHA-1: the password contains a character prohibited by SASLprep (RFC 4013)',
      'SCRAM-SHA-1: the password is empty',
    ]);
    for (const err of errors) {
      expect(err.message).not.toContain(password);
      expect(String(err)).not.toContain(password);
      expect(err.stack ?? '').not.toContain(password);
    }
  });

  it('prepares the password with SASLprep before hashing', () => {
    // U+00A0 NO-BREAK SPACE maps to SPACE and U+00AD SOFT HYPHEN to nothing, so
    // "pen\u00adcil" must give exactly the RFC 7677 proof for "pencil".
    const s = sha256('pen\u00adcil');
    s.initialResponse();
    expect(s.respond(b(SHA256.serverFirst)).toString()).toBe(SHA256.clientFinal);
  });
});

describe('SCRAM key derivation off the event loop (prepare)', () => {
  it('prepare() derives the key on the thread pool; respond() then gives the RFC 7677 answer', async () => {
    const s = sha256();
    s.initialResponse();
    let loopRan = false;
    setImmediate(() => (loopRan = true));
    // 200,000 iterations: long enough that a synchronous derivation would
    // finish (and resolve) before the event loop got a turn.
    const heavy = SHA256.serverFirst.replace('i=4096', 'i=200000');
    await s.prepare(b(heavy));
    expect(loopRan).toBe(true);

    const t = sha256();
    t.initialResponse();
    await t.prepare(b(SHA256.serverFirst));
    expect(t.respond(b(SHA256.serverFirst)).toString()).toBe(SHA256.clientFinal);
    t.respond(b(SHA256.serverFinal));
    expect(() => t.complete()).not.toThrow();
  });

  it('a key prepared for another salt or count is not used; a bad challenge is left to respond()', async () => {
    const s = sha256();
    s.initialResponse();
    await s.prepare(b(SHA256.serverFirst.replace('i=4096', 'i=5000')));
    expect(s.respond(b(SHA256.serverFirst)).toString()).toBe(SHA256.clientFinal);
    const t = sha256();
    t.initialResponse();
    await expect(t.prepare(b('garbage'))).resolves.toBeUndefined();
    expect(saslError(() => t.respond(b('garbage')))).toBeDefined();
  });
});
