/** Writing a message stream to a file handle with back-pressure, counting the bytes. */
import type { FileHandle } from 'node:fs/promises';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Pipes `source` (through `transform` when given) into `file` at its
 * current position; each chunk is written before the next is read.
 * `onBytes` sees the bytes as they are written (for progress). Resolves
 * with the number of bytes written.
 */
export async function writeStreamTo(
  file: FileHandle,
  source: Readable,
  transform: Transform | null,
  onBytes: (n: number) => void = () => undefined,
): Promise<number> {
  let written = 0;
  const sink = async (input: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of input) {
      await file.write(chunk);
      written += chunk.length;
      onBytes(chunk.length);
    }
  };
  if (transform === null) await pipeline(source, sink);
  else await pipeline(source, transform, sink);
  return written;
}
