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
  | 'UIDREQUIRED';

/**
 * A response code (`[...]` after OK/NO/BAD/PREAUTH/BYE): RFC 9051 7.1, RFC 3501
 * 7.1 and the common extensions. Codes we do not know arrive as `OTHER` with
 * the atom and the rest of the bracket text kept verbatim.
 */
export type ResponseCode =
  | { name: SimpleResponseCodeName }
  | {
      name: 'CAPABILITY';
      /** The server's capabilities, as sent. */
      capabilities: string[];
    }
  | {
      name: 'PERMANENTFLAGS';
      /** Flags the client can change permanently; `\*` means new keywords may be created. */
      flags: string[];
    }
  | {
      name: 'BADCHARSET';
      /** The charsets the server supports for SEARCH (possibly none listed). */
      charsets: string[];
    }
  | {
      name: 'UIDNEXT' | 'UIDVALIDITY' | 'UNSEEN';
      /** The next UID, the UID validity, or the first unseen message's sequence number. */
      value: number;
    }
  | {
      name: 'HIGHESTMODSEQ';
      /** The mailbox's highest mod-sequence (RFC 7162). */
      value: bigint;
    }
  | {
      name: 'APPENDUID';
      /** UIDVALIDITY of the destination mailbox (RFC 4315). */
      uidValidity: number;
      /** The UIDs given to the appended messages. */
      uids: SequenceSet;
    }
  | {
      name: 'COPYUID';
      /** UIDVALIDITY of the destination mailbox (RFC 4315). */
      uidValidity: number;
      /** The source messages' UIDs, in the order matched by `destination`. */
      source: SequenceSet;
      /** The copies' UIDs in the destination mailbox. */
      destination: SequenceSet;
    }
  | {
      name: 'MODIFIED';
      /** Messages a conditional STORE did not change (UNCHANGEDSINCE failed, RFC 7162). */
      set: SequenceSet;
    }
  | {
      name: 'REFERRAL';
      /** The IMAP URL to use instead (RFC 2221). */
      url: string;
    }
  | {
      name: 'NOUPDATE';
      /** The tag of the searching command whose UPDATE the server refuses (RFC 5267 4.3.1). */
      tag: string;
    }
  | {
      name: 'METADATA';
      /** Which METADATA condition (RFC 5464 4.2, 4.3). */
      kind: 'LONGENTRIES' | 'MAXSIZE' | 'TOOMANY' | 'NOPRIVATE';
      /** The size for LONGENTRIES and MAXSIZE; null for the others. */
      value: number | null;
    }
  | {
      name: 'INPROGRESS';
      /**
       * The tag of the command in progress, or null when the server did not
       * say (`NIL`, or a bare `[INPROGRESS]`): RFC 9585 4, capability INPROGRESS.
       */
      tag: string | null;
      /** How many items the command has processed so far; null when unknown. */
      count: number | null;
      /** How many items it will process in all; null when unknown. */
      total: number | null;
    }
  | {
      name: 'MESSAGELIMIT';
      /** The server's limit on messages one command processes (RFC 9738, capability MESSAGELIMIT or SAVELIMIT). */
      limit: number;
      /**
       * On a partial OK: the lowest UID the command processed (it went from
       * the highest UID down), so the messages below it were not processed;
       * null when absent. On a NO (the whole command refused) it may be
       * present too and means nothing was processed.
       */
      lowestUid: number | null;
    }
  | {
      name: 'OTHER';
      /** The code's name as sent (upper-cased). */
      atom: string;
      /** The rest of the bracket text verbatim, or null when none. */
      text: string | null;
    };

/** The names of all response codes with a known structure. */
export type ResponseCodeName = ResponseCode['name'];
