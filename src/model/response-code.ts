import type { SequenceSet } from './sequence-set.js';

/** Response codes that carry no data. */
export type SimpleResponseCodeName =
  | 'ALERT'
  | 'PARSE'
  | 'READ-ONLY'
  | 'READ-WRITE'
  | 'TRYCREATE'
  | 'NOMODSEQ'
  | 'CLOSED'
  | 'UIDNOTSTICKY'
  | 'UNAVAILABLE'
  | 'AUTHENTICATIONFAILED'
  | 'AUTHORIZATIONFAILED'
  | 'EXPIRED'
  | 'PRIVACYREQUIRED'
  | 'CONTACTADMIN'
  | 'NOPERM'
  | 'INUSE'
  | 'EXPUNGEISSUED'
  | 'CORRUPTION'
  | 'SERVERBUG'
  | 'CLIENTBUG'
  | 'CANNOT'
  | 'LIMIT'
  | 'OVERQUOTA'
  | 'ALREADYEXISTS'
  | 'NONEXISTENT'
  | 'HASCHILDREN'
  | 'NOTSAVED'
  | 'UNKNOWN-CTE'
  | 'COMPRESSIONACTIVE'
  | 'USEATTR'
  | 'TOOBIG'
  | 'NOUPDATE';

/**
 * A response code (`[...]` after OK/NO/BAD/PREAUTH/BYE): RFC 9051 7.1, RFC 3501
 * 7.1 and the common extensions. Codes we do not know arrive as `OTHER` with
 * the atom and the rest of the bracket text kept verbatim.
 */
export type ResponseCode =
  | { name: SimpleResponseCodeName }
  | { name: 'CAPABILITY'; capabilities: string[] }
  | { name: 'PERMANENTFLAGS'; flags: string[] }
  | { name: 'BADCHARSET'; charsets: string[] }
  | { name: 'UIDNEXT' | 'UIDVALIDITY' | 'UNSEEN'; value: number }
  | { name: 'HIGHESTMODSEQ'; value: bigint }
  | { name: 'APPENDUID'; uidValidity: number; uids: SequenceSet }
  | { name: 'COPYUID'; uidValidity: number; source: SequenceSet; destination: SequenceSet }
  | { name: 'MODIFIED'; set: SequenceSet }
  | { name: 'REFERRAL'; url: string }
  | {
      name: 'METADATA';
      kind: 'LONGENTRIES' | 'MAXSIZE' | 'TOOMANY' | 'NOPRIVATE';
      value: number | null;
    }
  | { name: 'OTHER'; atom: string; text: string | null };

/** The names of all response codes with a known structure. */
export type ResponseCodeName = ResponseCode['name'];
