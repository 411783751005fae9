/** Internal: how the wire layer quotes offending bytes in its error messages. */

/** Escapes bytes for an error message: printable ASCII kept, the rest as \xNN, cut to `max`. */
export function describeBytes(bytes: Uint8Array, max = 80): string {
  let out = '';
  const end = Math.min(bytes.length, max);
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  if (bytes.length > max) out += `... (${bytes.length} bytes)`;
  return out;
}
