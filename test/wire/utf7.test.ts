import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImapArgumentError, ImapParseError } from '../../src/model/errors.js';
import {
  decodeMailboxUtf7,
  decodeMailboxUtf7Lenient,
  encodeMailboxUtf7,
} from '../../src/wire/utf7.js';

describe('modified UTF-7 (RFC 3501 5.1.3)', () => {
  it.each([
    ['INBOX', 'INBOX'],
    ['', ''],
    ['Entwürfe', 'Entw&APw-rfe'],
    ['&', '&-'],
    ['Tom & Jerry', 'Tom &- Jerry'],
    ['Projects/日本語', 'Projects/&ZeVnLIqe-'],
    ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
    ['日本語/台北', '&ZeVnLIqe-/&U,BTFw-'],
    ['😀', '&2D3eAA-'],
    ['a😀b', 'a&2D3eAA-b'],
    ['Ünïcödé', '&ANw-n&AO8-c&APY-d&AOk-'],
    ['tab\there', 'tab&AAk-here'],
    ['\u007f', '&AH8-'],
    ['Résumé & CV', 'R&AOk-sum&AOk- &- CV'],
  ])('%j <-> %j', (name, wire) => {
    expect(encodeMailboxUtf7(name)).toBe(wire);
    expect(decodeMailboxUtf7(wire)).toBe(name);
  });

  it('decodes the RFC 3501 example', () => {
    expect(decodeMailboxUtf7('~peter/mail/&U,BTFw-/&ZeVnLIqe-')).toBe('~peter/mail/台北/日本語');
  });

  it('encoding refuses a lone surrogate', () => {
    expect(() => encodeMailboxUtf7('a\ud83d')).toThrow(ImapArgumentError);
    expect(() => encodeMailboxUtf7('\ude00b')).toThrow(ImapArgumentError);
  });

  it('decodes adjacent shifted runs and & inside base64', () => {
    expect(decodeMailboxUtf7('&AOk-&AOk-')).toBe('éé');
    expect(decodeMailboxUtf7('&ACY-')).toBe('&'); // "&" is not printable-that-represents-itself
  });

  it.each([
    ['&Jjo!', 'invalid character', 4],
    ['&Jjo', 'unterminated', 0],
    ['a&', 'unterminated', 1],
    ['&Jj-', 'whole number', 3], // 12 bits
    ['&AOkA-', 'whole number', 5], // 30 bits: one unit + 14 bits
    ['&AOl-', 'padding bits', 4], // 0x00e9 with a stray 1 bit
    ['&AGE-', 'printable ASCII', 3], // "a" must stand for itself
    ['&2D0-', 'lone surrogate', 4], // high surrogate alone
    ['&3gA-', 'lone surrogate', 3], // low surrogate alone
    ['&2D3eAA-&2D0-', 'lone surrogate', 12],
    ['&2D0-&3gA-', 'lone surrogate', 4], // a pair split across runs
    ['&AOk/-', 'invalid character', 4], // "/" is standard base64, not modified
    ['caf\u00e9', 'printable ASCII', 3],
    ['a\r\nb', 'printable ASCII', 1],
  ])('refuses %j (%s)', (wire, message, offset) => {
    let error: unknown;
    try {
      decodeMailboxUtf7(wire);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ImapParseError);
    expect((error as ImapParseError).message).toContain(message);
    expect((error as ImapParseError).offset).toBe(offset);
    expect(decodeMailboxUtf7Lenient(wire)).toBe(wire);
  });

  it('the lenient decoder decodes valid names', () => {
    expect(decodeMailboxUtf7Lenient('Entw&APw-rfe')).toBe('Entwürfe');
  });

  it('round-trips any Unicode string, and the encoding is printable ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (name) => {
        const wire = encodeMailboxUtf7(name);
        expect(wire).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeMailboxUtf7(wire)).toBe(name);
      }),
      { numRuns: 3000 },
    );
  });

  it('the lenient decoder never throws on any input', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('&', '-', 'A', 'O', 'k', '2', 'D', ',', '+', '/', 'a', 'é'),
        }),
        (s) => {
          const out = decodeMailboxUtf7Lenient(s);
          expect(typeof out).toBe('string');
        },
      ),
    );
  });

  it('decoding then encoding a valid name gives it back (canonical) or the decoder refused it', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('&', '-', 'A', 'O', 'k', '2', 'D', '3', 'g', ',', 'a', 'w'),
        }),
        (s) => {
          let decoded: string;
          try {
            decoded = decodeMailboxUtf7(s);
          } catch (err) {
            expect(err).toBeInstanceOf(ImapParseError);
            return;
          }
          // Adjacent shifted runs are accepted but not canonical; otherwise encoding gives s back.
          if (!/-&[^-]/.test(s)) expect(encodeMailboxUtf7(decoded)).toBe(s);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
