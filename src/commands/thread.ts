import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import type { ThreadNode } from '../model/response.js';
import { atom } from '../wire/args.js';
import { refuseSequenceNumbers, requireCapability } from './capability.js';
import { prepareSearchProgram, type SearchQuery } from './search-query.js';

/** A threading algorithm: ORDEREDSUBJECT and REFERENCES (RFC 5256 3), REFS (Dovecot), or another the server announces. */
export type ThreadAlgorithm = 'ORDEREDSUBJECT' | 'REFERENCES' | 'REFS' | (string & {});

/** Options of {@link thread}. */
export interface ThreadOptions {
  /** UID THREAD: ids are UIDs. */
  uid?: boolean;
  /**
   * The CHARSET of the search keys (default UTF-8, which every THREAD server
   * supports); after `ENABLE UTF8=ACCEPT` only UTF-8 (RFC 6855 erratum 4029,
   * else ImapArgumentError).
   */
  charset?: string;
  /** Cancels the command: it rejects with an error of code `ABORTED`. */
  signal?: AbortSignal;
}

/**
 * THREAD / UID THREAD (RFC 5256 3; capability `THREAD=<algorithm>`): the
 * messages matching `query` grouped into threads by `algorithm`. Each root
 * of the result is a thread; a node with `id: null` is a missing parent that
 * only groups its children. The charset is always sent (RFC 5256 requires it).
 *
 * A chain of replies is nested as deep as it is long (`(1 2 3 ... n)` is n
 * levels; a server may send hundreds of thousands in one response): walk
 * the tree with an explicit stack rather than recursion.
 */
export async function thread(
  ctx: CommandContext,
  algorithm: ThreadAlgorithm,
  query: SearchQuery,
  options: ThreadOptions = {},
): Promise<ThreadNode[]> {
  if (typeof algorithm !== 'string') throw new ImapArgumentError('the algorithm must be a string');
  const alg = algorithm.toUpperCase();
  const algArg = atom(alg);
  requireCapability(ctx, `THREAD=${alg}`);
  const program = prepareSearchProgram(ctx, query, {
    charsetRequired: true,
    ...(options.charset === undefined ? {} : { charset: options.charset }),
  });
  const uid = options.uid === true;
  if (!uid) refuseSequenceNumbers(ctx, 'THREAD');
  const result = await ctx.exec(
    uid ? 'UID THREAD' : 'THREAD',
    [algArg, atom(program.charset!), ...program.keys],
    {
      collect: ['THREAD'],
      single: true,
      pipeline: uid && program.pipelineSafe,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
  );
  const threads: ThreadNode[] = [];
  // A loop, not push(...): spreading 130,000+ threads overflows the stack.
  for (const r of result.untagged)
    if (r.name === 'THREAD') for (const t of r.threads) threads.push(t);
  return threads;
}
