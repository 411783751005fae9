import { describe, expect, it } from 'vitest';
import { saslprep, SaslprepError } from '../../src/connection/sasl/saslprep.js';

function refusal(input: string): string {
  try {
    saslprep(input);
  } catch (err) {
    expect(err).toBeInstanceOf(SaslprepError);
    return (err as Error).message;
  }
  throw new Error('expected a SaslprepError');
}

describe('SASLprep (RFC 4013)', () => {
  // RFC 4013 section 3 examples
  it('maps SOFT HYPHEN to nothing: "I\\u00adX" -> "IX"', () => {
    expect(saslprep('I\u00adX')).toBe('IX');
  });

  it('leaves "user" and "USER" unchanged', () => {
    expect(saslprep('user')).toBe('user');
    expect(saslprep('USER')).toBe('USER');
  });

  it('normalises with NFKC: U+00AA -> "a", U+2168 -> "IX"', () => {
    expect(saslprep('\u00aa')).toBe('a');
    expect(saslprep('\u2168')).toBe('IX');
  });

  it('refuses U+0007 as prohibited output', () => {
    expect(refusal('\u0007')).toBe('contains a character prohibited by SASLprep (RFC 4013)');
  });

  it('refuses U+0627 U+0031 by the bidirectional rule', () => {
    expect(refusal('\u0627\u0031')).toBe(
      'mixes right-to-left and left-to-right text against the SASLprep bidirectional rule (RFC 3454 section 6)',
    );
  });

  it('maps non-ASCII spaces to SPACE', () => {
    expect(saslprep('a\u00a0b\u3000c\u2003d')).toBe('a b c d');
  });

  it('removes zero-width and variation selector characters', () => {
    expect(saslprep('p\u200bw\u200dd\ufe0f\ufeff')).toBe('pwd');
  });

  it('composes a decomposed accent (NFKC)', () => {
    expect(saslprep('e\u0301t\u00e9')).toBe('\u00e9t\u00e9');
  });

  it('accepts all right-to-left text', () => {
    expect(saslprep('\u05d0\u05d1\u05d2')).toBe('\u05d0\u05d1\u05d2');
    expect(saslprep('\u0627\u0031\u0628')).toBe('\u0627\u0031\u0628');
  });

  it('refuses right-to-left text mixed with left-to-right letters', () => {
    expect(refusal('\u05d0a\u05d1')).toMatch(/bidirectional rule/);
  });

  it.each([
    ['DEL', '\u007f'],
    ['C1 control', '\u0085'],
    ['private use', '\ue000'],
    ['supplementary private use', '\u{f0000}'],
    ['non-character', '\ufdd0'],
    ['U+FFFE', '\ufffe'],
    ['lone surrogate', '\ud800'],
    ['ideographic description', '\u2ff0'],
    ['left-to-right mark', '\u200e'],
    ['tag character', '\u{e0041}'],
    ['line separator', '\u2028'],
    ['NUL', '\u0000'],
  ])('refuses %s', (_name, ch) => {
    expect(refusal(`ab${ch}cd`)).toBe('contains a character prohibited by SASLprep (RFC 4013)');
  });

  it('never puts the refused string in the message', () => {
    const secret = 'my-Secret\u0001';
    expect(refusal(secret)).not.toContain('my-Secret');
  });
});
