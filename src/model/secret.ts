import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A password, token or other credential. Printing, logging, JSON-encoding or
 * inspecting it shows `[redacted]`; only {@link Secret.reveal} gives the value.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret value itself. Call only where it is about to be sent. */
  reveal(): string {
    return this.#value;
  }

  /** Always `[redacted]`. */
  toString(): string {
    return REDACTED;
  }

  /** Always `[redacted]`, so `JSON.stringify` never shows the value. */
  toJSON(): string {
    return REDACTED;
  }

  /** Always `[redacted]`, for `util.inspect` and `console.log`. */
  [inspect.custom](): string {
    return REDACTED;
  }
}

/** A credential given either as plain text or already wrapped. */
export type SecretLike = string | Secret;

/** Wraps a string as a {@link Secret}; a Secret is returned unchanged. */
export function toSecret(value: SecretLike): Secret {
  return value instanceof Secret ? value : new Secret(value);
}

/** The plain value of a string or {@link Secret}. */
export function reveal(value: SecretLike): string {
  return value instanceof Secret ? value.reveal() : value;
}
