/**
 * SASLprep (RFC 4013), the stringprep (RFC 3454) profile SCRAM applies to
 * user names and passwords (RFC 5802 section 2.2).
 */

/** Why a string was refused by {@link saslprep}; never includes the string itself. */
export class SaslprepError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SaslprepError';
  }
}

/** RFC 3454 table B.1: "commonly mapped to nothing" (RFC 4013 section 2.1). */
function isMappedToNothing(cp: number): boolean {
  return (
    cp === 0x00ad ||
    cp === 0x034f ||
    cp === 0x1806 ||
    (cp >= 0x180b && cp <= 0x180d) ||
    (cp >= 0x200b && cp <= 0x200d) ||
    cp === 0x2060 ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    cp === 0xfeff
  );
}

/** RFC 3454 table C.1.2: non-ASCII space characters, mapped to SPACE (RFC 4013 section 2.1). */
function isNonAsciiSpace(cp: number): boolean {
  return (
    cp === 0x00a0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200b) ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

/** RFC 3454 table D.1: characters with bidirectional property "R" or "AL" (Unicode 3.2). */
const RAND_AL_CAT =
  /[\u05be\u05c0\u05c3\u05d0-\u05ea\u05f0-\u05f4\u061b\u061f\u0621-\u063a\u0640-\u064a\u066d-\u066f\u0671-\u06d5\u06dd\u06e5\u06e6\u06fa-\u06fe\u0700-\u070d\u0710\u0712-\u072c\u0780-\u07a5\u07b1\u200f\ufb1d\ufb1f-\ufb28\ufb2a-\ufb36\ufb38-\ufb3c\ufb3e\ufb40\ufb41\ufb43\ufb44\ufb46-\ufbb1\ufbd3-\ufd3d\ufd50-\ufd8f\ufd92-\ufdc7\ufdf0-\ufdfc\ufe70-\ufe74\ufe76-\ufefc]/u;

/**
 * An approximation of RFC 3454 table D.2 (bidirectional property "L"):
 * letters and spacing marks outside the right-to-left scripts. The exact
 * table has 360 ranges; this differs from it only for rare characters.
 */
const L_CAT = /[\p{L}\p{Mc}]/u;
const RTL_SCRIPT =
  /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}]/u;

/** RFC 4013 section 2.3: the prohibited output tables of RFC 3454 for one code point. */
function isProhibited(cp: number): boolean {
  return (
    // C.1.2 non-ASCII space (NFKC may produce none, kept for completeness)
    isNonAsciiSpace(cp) ||
    // C.2.1 ASCII control characters
    cp <= 0x001f ||
    cp === 0x007f ||
    // C.2.2 non-ASCII control characters
    (cp >= 0x0080 && cp <= 0x009f) ||
    cp === 0x06dd ||
    cp === 0x070f ||
    cp === 0x180e ||
    cp === 0x200c ||
    cp === 0x200d ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    (cp >= 0x2060 && cp <= 0x2063) ||
    (cp >= 0x206a && cp <= 0x206f) ||
    cp === 0xfeff ||
    (cp >= 0xfff9 && cp <= 0xfffc) ||
    (cp >= 0x1d173 && cp <= 0x1d17a) ||
    // C.3 private use
    (cp >= 0xe000 && cp <= 0xf8ff) ||
    (cp >= 0xf0000 && cp <= 0xffffd) ||
    (cp >= 0x100000 && cp <= 0x10fffd) ||
    // C.4 non-character code points
    (cp >= 0xfdd0 && cp <= 0xfdef) ||
    (cp & 0xfffe) === 0xfffe ||
    // C.5 surrogate codes (a lone surrogate in a JS string)
    (cp >= 0xd800 && cp <= 0xdfff) ||
    // C.6 inappropriate for plain text
    (cp >= 0xfff9 && cp <= 0xfffd) ||
    // C.7 inappropriate for canonical representation
    (cp >= 0x2ff0 && cp <= 0x2ffb) ||
    // C.8 change display properties or deprecated
    cp === 0x0340 ||
    cp === 0x0341 ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) ||
    // C.9 tagging characters
    cp === 0xe0001 ||
    (cp >= 0xe0020 && cp <= 0xe007f)
  );
}

/**
 * Prepares a string with SASLprep (RFC 4013) as a "query" string (unassigned
 * code points allowed, RFC 5802 section 5.1): maps non-ASCII spaces to SPACE,
 * removes the "mapped to nothing" characters, normalises with NFKC, refuses
 * prohibited output (control characters, private use, non-characters, lone
 * surrogates, ...) and checks the bidirectional rule of RFC 3454 section 6
 * (with an approximation of table D.2). Throws {@link SaslprepError}, whose
 * message never contains the input.
 */
export function saslprep(input: string): string {
  // ASCII printable strings are unchanged by every step: the common case.
  if (/^[\x20-\x7e]*$/.test(input)) return input;

  let mapped = '';
  for (const ch of input) {
    const cp = ch.codePointAt(0)!;
    if (isMappedToNothing(cp)) continue;
    mapped += isNonAsciiSpace(cp) ? ' ' : ch;
  }
  const normalized = mapped.normalize('NFKC');

  let hasRandAL = false;
  let hasL = false;
  for (const ch of normalized) {
    if (isProhibited(ch.codePointAt(0)!)) {
      throw new SaslprepError('contains a character prohibited by SASLprep (RFC 4013)');
    }
    if (RAND_AL_CAT.test(ch)) hasRandAL = true;
    else if (L_CAT.test(ch) && !RTL_SCRIPT.test(ch)) hasL = true;
  }

  if (hasRandAL) {
    const chars = [...normalized];
    if (hasL || !RAND_AL_CAT.test(chars[0]!) || !RAND_AL_CAT.test(chars[chars.length - 1]!)) {
      throw new SaslprepError(
        'mixes right-to-left and left-to-right text against the SASLprep bidirectional rule (RFC 3454 section 6)',
      );
    }
  }
  return normalized;
}
