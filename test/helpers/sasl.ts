import { expect } from 'vitest';
import { SaslError } from '../../src/connection/sasl/mechanism.js';

/** Runs `fn`, expecting a SaslError, and returns it. */
export function saslError(fn: () => unknown): SaslError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SaslError);
    return err as SaslError;
  }
  throw new Error('expected a SaslError');
}
