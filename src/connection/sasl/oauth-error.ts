/**
 * The error a server sends as a challenge when an OAuth 2.0 bearer token is
 * refused: a JSON object (RFC 7628 section 3.2.2; the same shape is used by
 * Google's XOAUTH2).
 */
export interface OAuthErrorDetails {
  /** The challenge decoded as UTF-8, as the server sent it. */
  readonly raw: string;
  /** The `status` field, e.g. `invalid_token` (RFC 6749 / RFC 6750 error codes); or `401` for Google. */
  readonly status: string | undefined;
  /** The `scope` field: the scopes a token needs. */
  readonly scope: string | undefined;
  /** The `schemes` field (Google XOAUTH2), e.g. `Bearer`. */
  readonly schemes: string | undefined;
  /** The `openid-configuration` field: where to discover the authorization server. */
  readonly openidConfiguration: string | undefined;
  /** Every top-level field of the JSON object; empty when the challenge was not a JSON object. */
  readonly fields: ReadonlyMap<string, unknown>;
}

function stringField(fields: ReadonlyMap<string, unknown>, key: string): string | undefined {
  const value = fields.get(key);
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/**
 * Parses an OAuth error challenge (RFC 7628 section 3.2.2). Never throws: a
 * challenge that is not a JSON object yields `raw` only.
 * @internal
 */
export function parseOAuthError(challenge: Buffer): OAuthErrorDetails {
  const raw = challenge.toString('utf8');
  const fields = new Map<string, unknown>();
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      for (const [key, value] of Object.entries(parsed)) fields.set(key, value);
    }
  } catch {
    // not JSON: keep the raw text only
  }
  return {
    raw,
    status: stringField(fields, 'status'),
    scope: stringField(fields, 'scope'),
    schemes: stringField(fields, 'schemes'),
    openidConfiguration: stringField(fields, 'openid-configuration'),
    fields,
  };
}
