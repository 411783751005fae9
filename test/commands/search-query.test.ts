import { describe, expect, it } from 'vitest';
import {
  compileSearch,
  prepareSearchProgram,
  type SearchQuery,
} from '../../src/commands/search-query.js';
import { ImapArgumentError, ImapCapabilityError } from '../../src/model/errors.js';
import { SequenceSet } from '../../src/model/sequence-set.js';
import { astring, atom } from '../../src/wire/args.js';
import type { CommandArg, EncodeOptions } from '../../src/wire/command-arg.js';
import { encodeCommand } from '../../src/wire/encoder.js';

/** The command as sent: data parts as latin1 text, `+` where the client waits for a continuation. */
function wire(args: CommandArg[], options: EncodeOptions = {}): string[] {
  return encodeCommand('A1', 'SEARCH', args, options).parts.map((p) =>
    p.type === 'data' ? p.data.toString('latin1') : p.type === 'continue' ? '+' : '<stream>',
  );
}

/** SEARCH [CHARSET] keys of a compiled query, as one line (no literals expected). */
function line(query: SearchQuery, utf8 = false): string {
  const c = compileSearch(query, { utf8 });
  const args: CommandArg[] =
    c.charset === null ? c.args : [atom('CHARSET'), astring(c.charset), ...c.args];
  const parts = wire(args, { utf8 });
  expect(parts).toHaveLength(1);
  return parts[0]!;
}

describe('compileSearch: keys', () => {
  it('an empty query is ALL', () => {
    expect(line({})).toBe('A1 SEARCH ALL\r\n');
  });

  it('boolean flag keys map to the key or its opposite', () => {
    expect(line({ seen: false, flagged: true, answered: true, deleted: false })).toBe(
      'A1 SEARCH UNSEEN FLAGGED ANSWERED UNDELETED\r\n',
    );
    expect(line({ unseen: true, undraft: false, draft: true, unflagged: true })).toBe(
      'A1 SEARCH UNSEEN DRAFT DRAFT UNFLAGGED\r\n',
    );
    expect(line({ recent: true, new: true, old: true, all: true })).toBe(
      'A1 SEARCH RECENT NEW OLD ALL\r\n',
    );
    expect(line({ new: false, recent: false })).toBe('A1 SEARCH NOT NEW OLD\r\n');
  });

  it('undefined keys are ignored, keys keep the caller order', () => {
    expect(line({ subject: undefined, to: 'bob', from: 'alice' })).toBe(
      'A1 SEARCH TO bob FROM alice\r\n',
    );
  });

  it('strings are atoms when they can be, quoted with escapes otherwise', () => {
    expect(line({ from: 'alice@example.com' })).toBe('A1 SEARCH FROM alice@example.com\r\n');
    expect(line({ subject: 'hello world' })).toBe('A1 SEARCH SUBJECT "hello world"\r\n');
    expect(line({ body: 'say "hi" \\ bye' })).toBe('A1 SEARCH BODY "say \\"hi\\" \\\\ bye"\r\n');
    expect(line({ text: '' })).toBe('A1 SEARCH TEXT ""\r\n');
    expect(line({ cc: 'NIL', bcc: 'x(y)' })).toBe('A1 SEARCH CC "NIL" BCC "x(y)"\r\n');
  });

  it('KEYWORD / UNKEYWORD take atoms, one key per keyword', () => {
    expect(line({ keyword: ['$Forwarded', 'Work'], unkeyword: '$Junk' })).toBe(
      'A1 SEARCH KEYWORD $Forwarded KEYWORD Work UNKEYWORD $Junk\r\n',
    );
  });

  it('HEADER pairs: field name and value, an empty value matches any', () => {
    expect(
      line({
        header: [
          ['X-Mailer', 'imapkit 1.0'],
          ['List-Id', ''],
        ],
      }),
    ).toBe('A1 SEARCH HEADER X-Mailer "imapkit 1.0" HEADER List-Id ""\r\n');
  });

  it('sizes and dates', () => {
    expect(line({ larger: 1000, smaller: 0 })).toBe('A1 SEARCH LARGER 1000 SMALLER 0\r\n');
    expect(
      line({
        since: new Date(Date.UTC(2024, 0, 5, 23, 59)),
        before: { year: 2024, month: 2, day: 1 },
        on: new Date(Date.UTC(2024, 11, 31)),
      }),
    ).toBe('A1 SEARCH SINCE 5-Jan-2024 BEFORE 1-Feb-2024 ON 31-Dec-2024\r\n');
    expect(
      line({
        sentSince: { year: 2023, month: 3, day: 9 },
        sentBefore: { year: 2023, month: 4, day: 10 },
        sentOn: { year: 2023, month: 3, day: 20 },
      }),
    ).toBe('A1 SEARCH SENTSINCE 9-Mar-2023 SENTBEFORE 10-Apr-2023 SENTON 20-Mar-2023\r\n');
  });

  it('sequence sets and UID sets', () => {
    expect(line({ uid: '1:5,7' })).toBe('A1 SEARCH UID 1:5,7\r\n');
    expect(line({ seq: [1, 2, 3, 5] })).toBe('A1 SEARCH 1:3,5\r\n');
    expect(line({ uid: SequenceSet.saved })).toBe('A1 SEARCH UID $\r\n');
    expect(line({ uid: 42 })).toBe('A1 SEARCH UID 42\r\n');
  });

  it('OR of two, OR of three nests, multi-key operands get parentheses', () => {
    expect(line({ or: [{ from: 'a' }, { to: 'b' }] })).toBe('A1 SEARCH OR FROM a TO b\r\n');
    expect(line({ or: [{ from: 'a' }, { to: 'b' }, { cc: 'c' }] })).toBe(
      'A1 SEARCH OR FROM a OR TO b CC c\r\n',
    );
    expect(line({ or: [{ from: 'a', seen: true }, { flagged: true }] })).toBe(
      'A1 SEARCH OR (FROM a SEEN) FLAGGED\r\n',
    );
    expect(line({ or: [{}, { seen: true }] })).toBe('A1 SEARCH OR ALL SEEN\r\n');
  });

  it('NOT of one key, NOT of several in parentheses, AND concatenates', () => {
    expect(line({ not: { seen: true } })).toBe('A1 SEARCH NOT SEEN\r\n');
    expect(line({ not: { from: 'a', to: 'b' } })).toBe('A1 SEARCH NOT (FROM a TO b)\r\n');
    expect(line({ not: { or: [{ from: 'a' }, { from: 'b' }] } })).toBe(
      'A1 SEARCH NOT OR FROM a FROM b\r\n',
    );
    expect(line({ and: [{ from: 'a' }, { from: 'b' }], seen: true })).toBe(
      'A1 SEARCH FROM a FROM b SEEN\r\n',
    );
  });

  it('nested OR inside NOT inside OR', () => {
    expect(
      line({ or: [{ not: { or: [{ deleted: true }, { draft: true }] } }, { larger: 5 }] }),
    ).toBe('A1 SEARCH OR NOT OR DELETED DRAFT LARGER 5\r\n');
  });
});

describe('compileSearch: extension keys and their capabilities', () => {
  it('OLDER / YOUNGER need WITHIN', () => {
    const c = compileSearch({ younger: 3600, older: 60 });
    expect(c.capabilities).toEqual(['WITHIN']);
    expect(line({ younger: 3600, older: 60 })).toBe('A1 SEARCH YOUNGER 3600 OLDER 60\r\n');
  });

  it('MODSEQ needs CONDSTORE; the entry form quotes the entry name', () => {
    expect(compileSearch({ modseq: 12345678901234n }).capabilities).toEqual(['CONDSTORE']);
    expect(line({ modseq: 12345678901234n })).toBe('A1 SEARCH MODSEQ 12345678901234\r\n');
    expect(line({ modseq: { entry: '\\Seen', type: 'priv', value: 5n } })).toBe(
      'A1 SEARCH MODSEQ "/flags/\\\\Seen" priv 5\r\n',
    );
    expect(line({ modseq: { entry: '/flags/$Work', type: 'all', value: 7n } })).toBe(
      'A1 SEARCH MODSEQ "/flags/$Work" all 7\r\n',
    );
    expect(() =>
      compileSearch({ modseq: { entry: '/flags/a b', type: 'all', value: 1n } }),
    ).toThrow(ImapArgumentError);
    expect(() =>
      compileSearch({ modseq: { entry: '\\Seen', type: 'x' as 'all', value: 1n } }),
    ).toThrow(ImapArgumentError);
  });

  it('EMAILID / THREADID need OBJECTID and a valid object id', () => {
    const c = compileSearch({ emailId: 'M6d99ac3275bb4e', threadId: 'T64b478a75b7ea9' });
    expect(c.capabilities).toEqual(['OBJECTID']);
    expect(line({ emailId: 'M6d99ac3275bb4e', threadId: 'T64b478a75b7ea9' })).toBe(
      'A1 SEARCH EMAILID M6d99ac3275bb4e THREADID T64b478a75b7ea9\r\n',
    );
    expect(() => compileSearch({ emailId: 'a b' })).toThrow(ImapArgumentError);
    expect(() => compileSearch({ threadId: 'x"\r\nA2 LOGOUT' })).toThrow(ImapArgumentError);
  });

  it('SAVEDBEFORE / SAVEDON / SAVEDSINCE / SAVEDATESUPPORTED need SAVEDATE', () => {
    const q = {
      savedSince: { year: 2024, month: 1, day: 1 },
      savedBefore: { year: 2024, month: 2, day: 1 },
      savedOn: { year: 2024, month: 1, day: 15 },
      saveDateSupported: true,
    };
    expect(compileSearch(q).capabilities).toEqual(['SAVEDATE']);
    expect(line(q)).toBe(
      'A1 SEARCH SAVEDSINCE 1-Jan-2024 SAVEDBEFORE 1-Feb-2024 SAVEDON 15-Jan-2024 SAVEDATESUPPORTED\r\n',
    );
  });

  it('Gmail keys need X-GM-EXT-1', () => {
    const q = {
      gmailRaw: 'has:attachment in:inbox',
      gmailMsgId: 1278455344230334865n,
      gmailThrId: 1266894439832287888n,
      gmailLabels: ['\\Important', 'Work'],
    };
    expect(compileSearch(q).capabilities).toEqual(['X-GM-EXT-1']);
    expect(line(q)).toBe(
      'A1 SEARCH X-GM-RAW "has:attachment in:inbox" X-GM-MSGID 1278455344230334865 ' +
        'X-GM-THRID 1266894439832287888 X-GM-LABELS "\\\\Important" X-GM-LABELS Work\r\n',
    );
  });

  it('collects every capability once, across nesting', () => {
    const c = compileSearch({
      or: [{ younger: 10 }, { not: { modseq: 1n } }],
      older: 5,
      emailId: 'abc',
    });
    expect(c.capabilities).toEqual(['WITHIN', 'CONDSTORE', 'OBJECTID']);
  });
});

describe('compileSearch: CHARSET', () => {
  it('ASCII only: no CHARSET', () => {
    expect(compileSearch({ subject: 'plain' }).charset).toBeNull();
  });

  it('a non-ASCII string sets CHARSET UTF-8 and is sent as a UTF-8 literal', () => {
    const c = compileSearch({ subject: 'Grüße' });
    expect(c.charset).toBe('UTF-8');
    const parts = wire([atom('CHARSET'), astring(c.charset!), ...c.args], {
      literalMode: 'sync',
    });
    expect(parts).toEqual([
      'A1 SEARCH CHARSET UTF-8 SUBJECT {7}\r\n',
      '+',
      'Gr\xc3\xbc\xc3\x9fe\r\n',
    ]);
  });

  it('non-ASCII deep inside OR / NOT / header values also sets the charset', () => {
    expect(compileSearch({ or: [{ seen: true }, { not: { from: 'Zoë' } }] }).charset).toBe('UTF-8');
    expect(compileSearch({ header: [['X-Name', 'Müller']] }).charset).toBe('UTF-8');
    expect(compileSearch({ gmailLabels: 'Ärger' }).charset).toBe('UTF-8');
  });

  it('with UTF8=ACCEPT enabled no CHARSET is sent and the string is quoted UTF-8 (RFC 6855)', () => {
    const c = compileSearch({ subject: 'Grüße' }, { utf8: true });
    expect(c.charset).toBeNull();
    expect(line({ subject: 'Grüße' }, true)).toBe(
      Buffer.from('A1 SEARCH SUBJECT "Grüße"\r\n', 'utf8').toString('latin1'),
    );
  });
});

describe('compileSearch: injection attempts never leave their argument', () => {
  const attack = 'x"\r\nA2 LOGOUT';

  it('a subject with a quote and CRLF becomes a literal, not a new command line', () => {
    const c = compileSearch({ subject: attack });
    expect(wire(c.args, { literalMode: 'sync' })).toEqual([
      'A1 SEARCH SUBJECT {13}\r\n',
      '+',
      'x"\r\nA2 LOGOUT\r\n',
    ]);
    // With LITERAL+ the bytes are one write, still framed by the literal's length.
    expect(wire(c.args, { literalMode: 'plus' })).toEqual([
      'A1 SEARCH SUBJECT {13+}\r\nx"\r\nA2 LOGOUT\r\n',
    ]);
  });

  it.each([
    ['from', { from: attack }],
    ['to', { to: attack }],
    ['body', { body: attack }],
    ['text', { text: attack }],
    ['header value', { header: [['Subject', attack]] as Array<[string, string]> }],
    ['gmailRaw', { gmailRaw: attack }],
    ['nested in OR', { or: [{ cc: attack }, { bcc: 'y' }] }],
  ])('%s: the CRLF only ever appears inside a literal', (_name, q) => {
    const parts = wire(compileSearch(q).args, { literalMode: 'sync' });
    // Every data part but the last ends with a literal announcement; the
    // attack text is exactly the bytes after one.
    for (let i = 0; i < parts.length - 1; i++) {
      if (parts[i] === '+') continue;
      expect(parts[i]).toMatch(/\{13\}\r\n$/);
    }
    expect(parts).toContain('+');
    const after = parts[parts.indexOf('+') + 1]!;
    expect(after.startsWith(attack)).toBe(true);
  });

  it('a quote alone is escaped inside a quoted string', () => {
    expect(line({ subject: 'x" OR ALL "' })).toBe('A1 SEARCH SUBJECT "x\\" OR ALL \\""\r\n');
  });

  it.each([
    ['a keyword with a space', { keyword: 'a b' }],
    ['a keyword with CRLF', { keyword: 'a\r\nA2 LOGOUT' }],
    ['a system flag as keyword', { keyword: '\\Seen' }],
    ['a header name with a colon', { header: [['Bad:Name', 'x']] }],
    ['a header name with CRLF', { header: [['X\r\nA2 LOGOUT', 'x']] }],
    ['a header name with a space', { header: [['X Y', 'x']] }],
    ['a NUL in a string', { subject: 'a\0b' }],
    ['a lone surrogate', { subject: 'a\ud800b' }],
    ['a malformed UID set', { uid: '1:2\r\nA2 LOGOUT' }],
    ['a negative size', { larger: -1 }],
    ['a fractional size', { smaller: 1.5 }],
    ['an invalid date', { since: new Date(NaN) }],
    ['OLDER zero', { older: 0 }],
    ['OR with one operand', { or: [{ seen: true }] }],
    ['an unknown key', { subjcet: 'typo' }],
    ['a string where a boolean goes', { seen: 'yes' }],
  ])('refuses %s', (_name, q) => {
    expect(() => compileSearch(q as SearchQuery)).toThrow(ImapArgumentError);
  });
});

describe('compileSearch: raw text and prepared arguments', () => {
  it('raw text is sent as is after the CR/LF check', () => {
    const c = compileSearch('UNSEEN FROM "x"');
    expect(c.args).toEqual([{ type: 'raw', value: 'UNSEEN FROM "x"' }]);
    expect(c.pipelineSafe).toBe(false);
    expect(wire(c.args)).toEqual(['A1 SEARCH UNSEEN FROM "x"\r\n']);
  });

  it('raw text with CR, LF or NUL is refused', () => {
    expect(() => compileSearch('UNSEEN\r\nA2 LOGOUT')).toThrow(ImapArgumentError);
    expect(() => compileSearch('UNSEEN\n')).toThrow(ImapArgumentError);
    expect(() => compileSearch('UNSEEN\0')).toThrow(ImapArgumentError);
    expect(() => compileSearch('')).toThrow(ImapArgumentError);
  });

  it('raw non-ASCII text needs UTF8=ACCEPT', () => {
    expect(() => compileSearch('SUBJECT "Grüße"')).toThrow(ImapArgumentError);
    expect(compileSearch('SUBJECT "Grüße"', { utf8: true }).charset).toBeNull();
  });

  it('prepared arguments pass through; non-ASCII in them sets the charset', () => {
    const c = compileSearch([atom('SUBJECT'), astring('Grüße')]);
    expect(c.charset).toBe('UTF-8');
    expect(c.args).toHaveLength(2);
    expect(compileSearch([atom('SEEN')]).charset).toBeNull();
    expect(() => compileSearch([])).toThrow(ImapArgumentError);
  });
});

describe('compileSearch: pipelining safety', () => {
  it('UID-only keys are pipeline-safe; sequence numbers and $ are not', () => {
    expect(compileSearch({ uid: '1:*', seen: true }).pipelineSafe).toBe(true);
    expect(compileSearch({ seq: '1:5' }).pipelineSafe).toBe(false);
    expect(compileSearch({ or: [{ seq: 1 }, { seen: true }] }).pipelineSafe).toBe(false);
    expect(compileSearch({ uid: SequenceSet.saved }).pipelineSafe).toBe(false);
  });
});

describe('prepareSearchProgram', () => {
  const ctx = (caps: string[], utf8 = false, enabled: string[] = []) => ({
    hasCapability: (n: string) => caps.includes(n.toUpperCase()),
    utf8Enabled: utf8,
    enabled: new Set(enabled),
  });

  it('checks the capabilities the keys need before anything is sent', () => {
    expect(() => prepareSearchProgram(ctx([]), { younger: 5 })).toThrow(ImapCapabilityError);
    expect(() => prepareSearchProgram(ctx([]), { emailId: 'abc' })).toThrow(/OBJECTID/);
    expect(prepareSearchProgram(ctx(['WITHIN']), { younger: 5 }).args).toHaveLength(2);
  });

  it('refuses RECENT, NEW and OLD (removed by IMAP4rev2) on an IMAP4rev2-only server', () => {
    const rev2 = ctx(['IMAP4REV2']);
    expect(() => prepareSearchProgram(rev2, { recent: true })).toThrow(ImapCapabilityError);
    expect(() => prepareSearchProgram(rev2, { recent: false })).toThrow(/IMAP4rev1 only/);
    expect(() => prepareSearchProgram(rev2, { new: true })).toThrow(ImapCapabilityError);
    expect(() => prepareSearchProgram(rev2, { not: { old: true } })).toThrow(ImapCapabilityError);
    expect(prepareSearchProgram(ctx(['IMAP4REV1', 'IMAP4REV2']), { old: true }).args).toHaveLength(
      1,
    );
    expect(prepareSearchProgram(ctx([]), { new: true }).args).toHaveLength(1);
  });

  it('puts CHARSET first when needed, always for SORT/THREAD, and honours an override', () => {
    const text = (args: CommandArg[]) => wire(args, { literalMode: 'plus' })[0]!;
    expect(text(prepareSearchProgram(ctx([]), { seen: true }).args)).toBe('A1 SEARCH SEEN\r\n');
    expect(
      text(prepareSearchProgram(ctx([]), { seen: true }, { charsetRequired: true }).args),
    ).toBe('A1 SEARCH CHARSET UTF-8 SEEN\r\n');
    expect(text(prepareSearchProgram(ctx([]), { seen: true }, { charset: 'US-ASCII' }).args)).toBe(
      'A1 SEARCH CHARSET US-ASCII SEEN\r\n',
    );
    expect(text(prepareSearchProgram(ctx([]), { subject: 'é' }).args)).toBe(
      'A1 SEARCH CHARSET UTF-8 SUBJECT {2+}\r\n\xc3\xa9\r\n',
    );
    expect(prepareSearchProgram(ctx([], true), { subject: 'é' }).args).toHaveLength(2);
  });

  it('after ENABLE UTF8=ACCEPT sends no CHARSET with SEARCH and only UTF-8 with SORT/THREAD (RFC 6855 3, erratum 4029)', () => {
    const text = (args: CommandArg[]) => wire(args, { literalMode: 'plus', utf8: true })[0]!;
    const accept = ctx(['UTF8=ACCEPT'], true, ['UTF8=ACCEPT']);
    const search = prepareSearchProgram(accept, { seen: true }, { charset: 'utf-8' });
    expect(search.charset).toBeNull();
    expect(text(search.args)).toBe('A1 SEARCH SEEN\r\n');
    expect(text(prepareSearchProgram(accept, { seen: true }, { charset: 'US-ASCII' }).args)).toBe(
      'A1 SEARCH SEEN\r\n',
    );
    expect(() => prepareSearchProgram(accept, { seen: true }, { charset: 'ISO-8859-1' })).toThrow(
      ImapArgumentError,
    );
    const sort = { charsetRequired: true };
    expect(prepareSearchProgram(accept, { seen: true }, sort).charset).toBe('UTF-8');
    expect(() =>
      prepareSearchProgram(accept, { seen: true }, { ...sort, charset: 'US-ASCII' }),
    ).toThrow(/only UTF-8/);
    // IMAP4rev2 enabled without UTF8=ACCEPT: RFC 9051 keeps CHARSET.
    const rev2 = ctx(['IMAP4REV2'], true, ['IMAP4REV2']);
    expect(text(prepareSearchProgram(rev2, { seen: true }, { charset: 'ISO-8859-1' }).args)).toBe(
      'A1 SEARCH CHARSET ISO-8859-1 SEEN\r\n',
    );
  });
});
