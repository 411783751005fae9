import { describe, expect, it } from 'vitest';
import { SequenceSet } from '../../src/model/sequence-set.js';
import { parse, parseAll } from './fixtures/parser-helpers.js';

const set = (s: string) => SequenceSet.parse(s);

describe('status responses (RFC 9051 7.1)', () => {
  it('greeting OK with a CAPABILITY response code', () => {
    expect(
      parse('* OK [CAPABILITY IMAP4rev2 STARTTLS AUTH=PLAIN] IMAP4rev2 Service Ready\r\n'),
    ).toEqual({
      kind: 'untagged',
      name: 'OK',
      code: { name: 'CAPABILITY', capabilities: ['IMAP4rev2', 'STARTTLS', 'AUTH=PLAIN'] },
      text: 'IMAP4rev2 Service Ready',
    });
  });

  it('PREAUTH greeting', () => {
    expect(parse('* PREAUTH IMAP4rev2 server logged in as Smith\r\n')).toEqual({
      kind: 'untagged',
      name: 'PREAUTH',
      code: null,
      text: 'IMAP4rev2 server logged in as Smith',
    });
  });

  it('BYE greeting', () => {
    expect(parse('* BYE Autologout; idle for too long\r\n')).toEqual({
      kind: 'untagged',
      name: 'BYE',
      code: null,
      text: 'Autologout; idle for too long',
    });
  });

  it('tagged OK, NO and BAD', () => {
    expect(
      parseAll(
        'a001 OK LOGIN completed\r\na002 NO [TRYCREATE] No such mailbox\r\na003 bad Unknown\r\n',
      ),
    ).toEqual([
      { kind: 'tagged', tag: 'a001', status: 'OK', code: null, text: 'LOGIN completed' },
      {
        kind: 'tagged',
        tag: 'a002',
        status: 'NO',
        code: { name: 'TRYCREATE' },
        text: 'No such mailbox',
      },
      { kind: 'tagged', tag: 'a003', status: 'BAD', code: null, text: 'Unknown' },
    ]);
  });

  it('status responses with no text at all are accepted', () => {
    expect(parseAll('* OK\r\na1 OK\r\n* NO \r\na2 OK [READ-WRITE]\r\n')).toEqual([
      { kind: 'untagged', name: 'OK', code: null, text: '' },
      { kind: 'tagged', tag: 'a1', status: 'OK', code: null, text: '' },
      { kind: 'untagged', name: 'NO', code: null, text: '' },
      { kind: 'tagged', tag: 'a2', status: 'OK', code: { name: 'READ-WRITE' }, text: '' },
    ]);
  });

  it('text is decoded as UTF-8, invalid bytes replaced', () => {
    expect(parse('* OK caf\xc3\xa9 \xff\r\n')).toMatchObject({ text: 'café \ufffd' });
  });

  it('greeting option accepts OK and refuses anything else first', () => {
    expect(parse('* OK ready\r\n', { greeting: true })).toMatchObject({ name: 'OK' });
    expect(() => parse('a1 OK done\r\n', { greeting: true })).toThrow(/expected a greeting/);
  });
});

describe('continuation requests', () => {
  it('+ text, + base64, bare + and + [CODE] text', () => {
    expect(
      parseAll(
        '+ Ready for additional command text\r\n+ YGgGCSqGSIb3EgECAgIBAP8=\r\n+\r\n+ \r\n+ [ALERT] go on\r\n',
      ),
    ).toEqual([
      { kind: 'continuation', code: null, text: 'Ready for additional command text' },
      { kind: 'continuation', code: null, text: 'YGgGCSqGSIb3EgECAgIBAP8=' },
      { kind: 'continuation', code: null, text: '' },
      { kind: 'continuation', code: null, text: '' },
      { kind: 'continuation', code: { name: 'ALERT' }, text: 'go on' },
    ]);
  });

  it('a continuation whose text merely starts with [ keeps it as text', () => {
    expect(parse('+ [not a code\r\n')).toEqual({
      kind: 'continuation',
      code: null,
      text: '[not a code',
    });
  });
});

describe('response codes (RFC 9051 7.1 and extensions)', () => {
  const code = (c: string) => {
    const r = parse(`* OK [${c}] text\r\n`);
    if (r.kind !== 'untagged' || r.name !== 'OK') throw new Error('not OK');
    return r.code;
  };

  it('PERMANENTFLAGS including \\*', () => {
    expect(code('PERMANENTFLAGS (\\Deleted \\Seen \\*)')).toEqual({
      name: 'PERMANENTFLAGS',
      flags: ['\\Deleted', '\\Seen', '\\*'],
    });
    expect(code('PERMANENTFLAGS ()')).toEqual({ name: 'PERMANENTFLAGS', flags: [] });
  });

  it('BADCHARSET with and without a list', () => {
    expect(code('BADCHARSET (UTF-8 "ISO-8859-1")')).toEqual({
      name: 'BADCHARSET',
      charsets: ['UTF-8', 'ISO-8859-1'],
    });
    expect(code('BADCHARSET')).toEqual({ name: 'BADCHARSET', charsets: [] });
  });

  it('UIDNEXT, UIDVALIDITY and UNSEEN numbers', () => {
    expect(code('UIDNEXT 4392')).toEqual({ name: 'UIDNEXT', value: 4392 });
    expect(code('UIDVALIDITY 3857529045')).toEqual({ name: 'UIDVALIDITY', value: 3857529045 });
    expect(code('UNSEEN 12')).toEqual({ name: 'UNSEEN', value: 12 });
  });

  it('HIGHESTMODSEQ is a bigint (RFC 7162)', () => {
    expect(code('HIGHESTMODSEQ 9223372036854775807')).toEqual({
      name: 'HIGHESTMODSEQ',
      value: 9223372036854775807n,
    });
  });

  it('APPENDUID and COPYUID keep UID sets as sets (RFC 4315)', () => {
    expect(code('APPENDUID 38505 3955')).toEqual({
      name: 'APPENDUID',
      uidValidity: 38505,
      uids: set('3955'),
    });
    expect(code('COPYUID 38505 304,319:320 3956:3958')).toEqual({
      name: 'COPYUID',
      uidValidity: 38505,
      source: set('304,319:320'),
      destination: set('3956:3958'),
    });
  });

  it('MODIFIED (RFC 7162) and REFERRAL (RFC 2221)', () => {
    expect(code('MODIFIED 7,9')).toEqual({ name: 'MODIFIED', set: set('7,9') });
    expect(code('REFERRAL IMAP://user;AUTH=*@SERVER2/SHARED/FOO')).toEqual({
      name: 'REFERRAL',
      url: 'IMAP://user;AUTH=*@SERVER2/SHARED/FOO',
    });
  });

  it('METADATA LONGENTRIES, MAXSIZE, TOOMANY, NOPRIVATE (RFC 5464)', () => {
    expect(code('METADATA LONGENTRIES 2199')).toEqual({
      name: 'METADATA',
      kind: 'LONGENTRIES',
      value: 2199,
    });
    expect(code('METADATA MAXSIZE 1024')).toEqual({
      name: 'METADATA',
      kind: 'MAXSIZE',
      value: 1024,
    });
    expect(code('METADATA TOOMANY')).toEqual({ name: 'METADATA', kind: 'TOOMANY', value: null });
    expect(code('METADATA NOPRIVATE')).toEqual({
      name: 'METADATA',
      kind: 'NOPRIVATE',
      value: null,
    });
  });

  it('simple codes carry no data', () => {
    for (const name of [
      'ALERT',
      'PARSE',
      'READ-ONLY',
      'READ-WRITE',
      'TRYCREATE',
      'NOMODSEQ',
      'CLOSED',
      'UIDNOTSTICKY',
      'UNAVAILABLE',
      'AUTHENTICATIONFAILED',
      'AUTHORIZATIONFAILED',
      'EXPIRED',
      'PRIVACYREQUIRED',
      'CONTACTADMIN',
      'NOPERM',
      'INUSE',
      'EXPUNGEISSUED',
      'CORRUPTION',
      'SERVERBUG',
      'CLIENTBUG',
      'CANNOT',
      'LIMIT',
      'OVERQUOTA',
      'ALREADYEXISTS',
      'NONEXISTENT',
      'HASCHILDREN',
      'NOTSAVED',
      'UNKNOWN-CTE',
      'COMPRESSIONACTIVE',
      'USEATTR',
      'TOOBIG',
      'UIDREQUIRED',
    ]) {
      expect(code(name)).toEqual({ name });
    }
    expect(code('read-only')).toEqual({ name: 'READ-ONLY' });
  });

  it('unknown codes are kept verbatim as OTHER', () => {
    expect(code('X-GM-FOO bar (baz) "q"')).toEqual({
      name: 'OTHER',
      atom: 'X-GM-FOO',
      text: 'bar (baz) "q"',
    });
    expect(code('XYZZY')).toEqual({ name: 'OTHER', atom: 'XYZZY', text: null });
  });

  it('a malformed known code is kept as OTHER instead of failing the response', () => {
    expect(code('UIDNEXT abc')).toEqual({ name: 'OTHER', atom: 'UIDNEXT', text: 'abc' });
    expect(code('READ-WRITE extra')).toEqual({ name: 'OTHER', atom: 'READ-WRITE', text: 'extra' });
    expect(code('COPYUID 1 2')).toEqual({ name: 'OTHER', atom: 'COPYUID', text: '1 2' });
  });

  it('an unterminated response code is a parse error', () => {
    expect(() => parse('* OK [ALERT text\r\n')).toThrow(/unterminated response code/);
  });
});

describe('CAPABILITY and ENABLED', () => {
  it('lists the capabilities as sent', () => {
    expect(parse('* CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI LOGINDISABLED\r\n')).toEqual({
      kind: 'untagged',
      name: 'CAPABILITY',
      capabilities: ['IMAP4rev2', 'STARTTLS', 'AUTH=GSSAPI', 'LOGINDISABLED'],
    });
  });

  it('ENABLED (RFC 5161), also empty', () => {
    expect(parseAll('* ENABLED CONDSTORE QRESYNC\r\n* ENABLED\r\n')).toEqual([
      { kind: 'untagged', name: 'ENABLED', capabilities: ['CONDSTORE', 'QRESYNC'] },
      { kind: 'untagged', name: 'ENABLED', capabilities: [] },
    ]);
  });
});

describe('LIST and LSUB (RFC 9051 7.3.1, RFC 5258, RFC 5819)', () => {
  const base = { kind: 'untagged', childInfo: null, oldName: null, extended: new Map() };

  it('attributes, quoted delimiter and atom mailbox', () => {
    expect(parse('* LIST (\\Noselect) "/" ~/Mail/foo\r\n')).toEqual({
      ...base,
      name: 'LIST',
      attributes: ['\\Noselect'],
      delimiter: '/',
      mailbox: '~/Mail/foo',
    });
  });

  it('NIL delimiter, INBOX normalised case-insensitively, quoted backslash delimiter', () => {
    expect(parseAll('* LIST () NIL inbox\r\n* LIST (\\HasChildren) "\\\\" InBox\r\n')).toEqual([
      { ...base, name: 'LIST', attributes: [], delimiter: null, mailbox: 'INBOX' },
      { ...base, name: 'LIST', attributes: ['\\HasChildren'], delimiter: '\\', mailbox: 'INBOX' },
    ]);
  });

  it('mailbox as a literal', () => {
    expect(parse('* LIST () "/" {11}\r\nfoo "bar" x\r\n')).toMatchObject({
      mailbox: 'foo "bar" x',
    });
  });

  it('CHILDINFO extended data', () => {
    expect(
      parse('* LIST (\\Subscribed) "/" "Fruit/Peach" ("CHILDINFO" ("SUBSCRIBED"))\r\n'),
    ).toEqual({
      ...base,
      name: 'LIST',
      attributes: ['\\Subscribed'],
      delimiter: '/',
      mailbox: 'Fruit/Peach',
      childInfo: ['SUBSCRIBED'],
    });
  });

  it('OLDNAME after a rename and unknown extended items', () => {
    expect(
      parse('* LIST () "/" "NewMailbox" ("OLDNAME" ("OldMailbox") "X-FOO" (1 "two"))\r\n'),
    ).toEqual({
      ...base,
      name: 'LIST',
      attributes: [],
      delimiter: '/',
      mailbox: 'NewMailbox',
      oldName: 'OldMailbox',
      extended: new Map([['X-FOO', ['1', Buffer.from('two')]]]),
    });
  });

  it('RFC 9051 6.3.2 example: INBOX with OLDNAME ("inbox")', () => {
    expect(parse('* LIST () "/" INBOX ("OLDNAME" ("inbox"))\r\n')).toEqual({
      ...base,
      name: 'LIST',
      attributes: [],
      delimiter: '/',
      mailbox: 'INBOX',
      oldName: 'INBOX',
    });
  });

  it('LSUB', () => {
    expect(parse('* LSUB () "." #news.comp.mail.misc\r\n')).toEqual({
      ...base,
      name: 'LSUB',
      attributes: [],
      delimiter: '.',
      mailbox: '#news.comp.mail.misc',
    });
  });
});

describe('STATUS (RFC 9051 7.3.2, 7162, 8474, 8438, 7889)', () => {
  it('RFC example', () => {
    expect(parse('* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n')).toEqual({
      kind: 'untagged',
      name: 'STATUS',
      mailbox: 'blurdybloop',
      items: new Map([
        ['MESSAGES', 231],
        ['UIDNEXT', 44292],
      ]),
    });
  });

  it('HIGHESTMODSEQ bigint, MAILBOXID string, APPENDLIMIT NIL, SIZE over 4 GiB', () => {
    expect(
      parse(
        '* STATUS "Sent Items" (messages 17 HIGHESTMODSEQ 7011231777 MAILBOXID (F2212ea87-6097) APPENDLIMIT NIL SIZE 5368709120 UNSEEN 0 DELETED 1 RECENT 2 UIDVALIDITY 9)\r\n',
      ),
    ).toEqual({
      kind: 'untagged',
      name: 'STATUS',
      mailbox: 'Sent Items',
      items: new Map<string, number | bigint | string | null>([
        ['MESSAGES', 17],
        ['HIGHESTMODSEQ', 7011231777n],
        ['MAILBOXID', 'F2212ea87-6097'],
        ['APPENDLIMIT', null],
        ['SIZE', 5368709120],
        ['UNSEEN', 0],
        ['DELETED', 1],
        ['RECENT', 2],
        ['UIDVALIDITY', 9],
      ]),
    });
  });
});

describe('mailbox size and flags', () => {
  it('FLAGS, EXISTS, RECENT, EXPUNGE', () => {
    expect(
      parseAll(
        '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* 172 EXISTS\r\n* 1 RECENT\r\n* 44 EXPUNGE\r\n* 0 EXISTS\r\n',
      ),
    ).toEqual([
      {
        kind: 'untagged',
        name: 'FLAGS',
        flags: ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'],
      },
      { kind: 'untagged', name: 'EXISTS', number: 172 },
      { kind: 'untagged', name: 'RECENT', number: 1 },
      { kind: 'untagged', name: 'EXPUNGE', number: 44 },
      { kind: 'untagged', name: 'EXISTS', number: 0 },
    ]);
  });

  it('FETCH and EXPUNGE need a non-zero sequence number (nz-number), EXISTS may be 0', () => {
    expect(() => parse('* 0 EXPUNGE\r\n')).toThrow(
      /non-zero message sequence number before EXPUNGE at offset 2/,
    );
    expect(() => parse('* 0 FETCH (UID 1)\r\n')).toThrow(/non-zero/);
  });

  it('VANISHED and VANISHED (EARLIER) keep the UID set unexpanded (RFC 7162)', () => {
    const [a, b] = parseAll(
      '* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n* VANISHED 1:4294967295\r\n',
    );
    expect(a).toEqual({
      kind: 'untagged',
      name: 'VANISHED',
      earlier: true,
      uids: set('41,43:116,118,120:211,214:540'),
    });
    expect(b).toEqual({
      kind: 'untagged',
      name: 'VANISHED',
      earlier: false,
      uids: set('1:4294967295'),
    });
    if (b?.kind === 'untagged' && b.name === 'VANISHED') expect(b.uids.ranges).toHaveLength(1);
  });
});

describe('SEARCH and SORT', () => {
  it('numbers, empty, trailing space', () => {
    expect(parseAll('* SEARCH 2 84 882\r\n* SEARCH\r\n* SEARCH 1 \r\n* SORT 2 84 882\r\n')).toEqual(
      [
        { kind: 'untagged', name: 'SEARCH', numbers: [2, 84, 882], modseq: null },
        { kind: 'untagged', name: 'SEARCH', numbers: [], modseq: null },
        { kind: 'untagged', name: 'SEARCH', numbers: [1], modseq: null },
        { kind: 'untagged', name: 'SORT', numbers: [2, 84, 882], modseq: null },
      ],
    );
  });

  it('(MODSEQ n) at the end of a CONDSTORE search (RFC 7162 3.1.5)', () => {
    expect(parse('* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n')).toEqual({
      kind: 'untagged',
      name: 'SEARCH',
      numbers: [2, 5, 6, 7, 11, 12, 18, 19, 20, 23],
      modseq: 917162500n,
    });
  });

  it('a non-number in SEARCH is a parse error naming the bytes', () => {
    expect(() => parse('* SEARCH 1 x2\r\n')).toThrow(/offset 11.*x2/);
  });
});

describe('ESEARCH (RFC 4731, RFC 9394)', () => {
  it('MIN and COUNT with a tag', () => {
    expect(parse('* ESEARCH (TAG "A282") MIN 2 COUNT 3\r\n')).toEqual({
      kind: 'untagged',
      name: 'ESEARCH',
      tag: 'A282',
      uid: false,
      min: 2,
      count: 3,
      other: new Map(),
    });
  });

  it('UID, MIN, MAX, ALL, MODSEQ', () => {
    expect(parse('* ESEARCH (TAG "A285") UID MIN 7 MAX 3800 ALL 2,10:11 MODSEQ 12345\r\n')).toEqual(
      {
        kind: 'untagged',
        name: 'ESEARCH',
        tag: 'A285',
        uid: true,
        min: 7,
        max: 3800,
        all: set('2,10:11'),
        modseq: 12345n,
        other: new Map(),
      },
    );
  });

  it('PARTIAL with a set and with NIL, unknown items kept raw', () => {
    expect(
      parseAll(
        '* ESEARCH (TAG "a1") UID PARTIAL (-1:-100 200:250,252:300)\r\n* ESEARCH (TAG "a2") PARTIAL (1:10 NIL) X-FOO (1 2)\r\n* ESEARCH\r\n',
      ),
    ).toEqual([
      {
        kind: 'untagged',
        name: 'ESEARCH',
        tag: 'a1',
        uid: true,
        partial: { range: '-1:-100', set: set('200:250,252:300') },
        other: new Map(),
      },
      {
        kind: 'untagged',
        name: 'ESEARCH',
        tag: 'a2',
        uid: false,
        partial: { range: '1:10', set: null },
        other: new Map([['X-FOO', ['1', '2']]]),
      },
      { kind: 'untagged', name: 'ESEARCH', tag: null, uid: false, other: new Map() },
    ]);
  });
});

describe('ESEARCH context updates and ESORT (RFC 5267)', () => {
  it('ADDTO with position 0 and a UID marker (RFC 5267 4.3.3)', () => {
    expect(parse('* ESEARCH (TAG "B01") UID ADDTO (0 32768:32769)\r\n')).toEqual({
      kind: 'untagged',
      name: 'ESEARCH',
      tag: 'B01',
      uid: true,
      updates: [{ op: 'ADDTO', position: 0, set: set('32768:32769') }],
      other: new Map(),
    });
  });

  it('two ADDTO items in one response keep their order (RFC 5267 4.3.2)', () => {
    const r = parse('* ESEARCH (TAG "C01") UID ADDTO (1 2733) ADDTO (1 2731:2732)\r\n');
    expect(r).toMatchObject({
      tag: 'C01',
      updates: [
        { op: 'ADDTO', position: 1, set: set('2733') },
        { op: 'ADDTO', position: 1, set: set('2731:2732') },
      ],
    });
  });

  it('several pairs in one ADDTO, then a REMOVEFROM, in wire order', () => {
    const r = parse('* ESEARCH (TAG "C02") ADDTO (1 5 3 9,7) REMOVEFROM (0 2:3)\r\n');
    expect(r).toMatchObject({
      uid: false,
      updates: [
        { op: 'ADDTO', position: 1, set: set('5') },
        { op: 'ADDTO', position: 3, set: set('9,7') },
        { op: 'REMOVEFROM', position: 0, set: set('2:3') },
      ],
    });
    if (r.kind !== 'untagged' || r.name !== 'ESEARCH') throw new Error('not ESEARCH');
    expect(r.updates![1]!.set.toString()).toBe('9,7');
    expect(r.other.size).toBe(0);
  });

  it('a sorted ALL keeps its order and its descending members (RFC 5267 3.1, 3.3)', () => {
    const r = parse('* ESEARCH (TAG "E01") UID ALL 23765,23764,23763,23761,23759:23760\r\n');
    if (r.kind !== 'untagged' || r.name !== 'ESEARCH') throw new Error('not ESEARCH');
    expect(r.all!.toString()).toBe('23765,23764,23763,23761,23759:23760');
    expect([...r.all!.values()]).toEqual([23765, 23764, 23763, 23761, 23759, 23760]);
  });

  it('PARTIAL of a sort (RFC 5267 4.4): the range and the set in sort order', () => {
    expect(parse('* ESEARCH (TAG "a3d") PARTIAL (1:2 2,1)\r\n')).toMatchObject({
      partial: { range: '1:2', set: set('2,1') },
    });
  });

  it('a malformed ADDTO is a parse error, not a silent loss', () => {
    expect(() => parse('* ESEARCH (TAG "x") ADDTO (1)\r\n')).toThrow(/ADDTO|expected/);
    expect(() => parse('* ESEARCH (TAG "x") ADDTO (a 1)\r\n')).toThrow();
    expect(() => parse('* ESEARCH (TAG "x") REMOVEFROM (1 2\r\n')).toThrow(/REMOVEFROM/);
    expect(() => parse('* ESEARCH (TAG "x") ADDTO (1 0)\r\n')).toThrow(/sequence set/);
  });

  it("NOUPDATE carries the refused command's tag (RFC 5267 4.3.1)", () => {
    expect(parse('* NO [NOUPDATE "B02"] Too many contexts\r\n')).toEqual({
      kind: 'untagged',
      name: 'NO',
      code: { name: 'NOUPDATE', tag: 'B02' },
      text: 'Too many contexts',
    });
  });
});

describe('THREAD (RFC 5256)', () => {
  it('nested threads: 3 → 6 → [4 → 23, 44 → 7 → 96]', () => {
    const leaf = (id: number) => ({ id, children: [] });
    expect(parse('* THREAD (2)(3 6 (4 23)(44 7 96))\r\n')).toEqual({
      kind: 'untagged',
      name: 'THREAD',
      threads: [
        leaf(2),
        {
          id: 3,
          children: [
            {
              id: 6,
              children: [
                { id: 4, children: [leaf(23)] },
                { id: 44, children: [{ id: 7, children: [leaf(96)] }] },
              ],
            },
          ],
        },
      ],
    });
  });

  it('a thread with a missing parent: ((3)(5))', () => {
    expect(parse('* THREAD ((3)(5))\r\n')).toEqual({
      kind: 'untagged',
      name: 'THREAD',
      threads: [
        {
          id: null,
          children: [
            { id: 3, children: [] },
            { id: 5, children: [] },
          ],
        },
      ],
    });
  });

  it('empty THREAD', () => {
    expect(parse('* THREAD\r\n')).toEqual({ kind: 'untagged', name: 'THREAD', threads: [] });
  });

  it('a long flat chain does not recurse', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => i + 1);
    const r = parse(`* THREAD (${ids.join(' ')})\r\n`);
    let depth = 0;
    if (r.kind === 'untagged' && r.name === 'THREAD') {
      let n = r.threads[0];
      while (n) {
        depth++;
        n = n.children[0];
      }
    }
    expect(depth).toBe(5000);
  });
});

describe('NAMESPACE (RFC 2342)', () => {
  it('personal, other users and shared namespaces', () => {
    expect(
      parse(
        '* NAMESPACE (("" "/")) (("~" "/")) (("#shared/" "/")("#public/" "/")("#news." "."))\r\n',
      ),
    ).toEqual({
      kind: 'untagged',
      name: 'NAMESPACE',
      personal: [{ prefix: '', delimiter: '/', extensions: new Map() }],
      otherUsers: [{ prefix: '~', delimiter: '/', extensions: new Map() }],
      shared: [
        { prefix: '#shared/', delimiter: '/', extensions: new Map() },
        { prefix: '#public/', delimiter: '/', extensions: new Map() },
        { prefix: '#news.', delimiter: '.', extensions: new Map() },
      ],
    });
  });

  it('NIL namespaces and extension pairs', () => {
    expect(parse('* NAMESPACE (("" "/" "X-PARAM" ("FLAG1" "FLAG2"))) NIL NIL\r\n')).toEqual({
      kind: 'untagged',
      name: 'NAMESPACE',
      personal: [
        { prefix: '', delimiter: '/', extensions: new Map([['X-PARAM', ['FLAG1', 'FLAG2']]]) },
      ],
      otherUsers: null,
      shared: null,
    });
  });
});

describe('ID (RFC 2971)', () => {
  it('key/value list with NIL values, keys lower-cased', () => {
    expect(
      parse(
        '* ID ("name" "Cyrus" "version" "1.5" "os" NIL "Support-URL" "mailto:cyrus-bugs+@andrew.cmu.edu")\r\n',
      ),
    ).toEqual({
      kind: 'untagged',
      name: 'ID',
      params: new Map([
        ['name', 'Cyrus'],
        ['version', '1.5'],
        ['os', null],
        ['support-url', 'mailto:cyrus-bugs+@andrew.cmu.edu'],
      ]),
    });
  });

  it('ID NIL', () => {
    expect(parse('* ID NIL\r\n')).toEqual({ kind: 'untagged', name: 'ID', params: null });
  });

  it('a key named __proto__ stays a Map key', () => {
    const r = parse('* ID ("__proto__" "x")\r\n');
    expect(r).toMatchObject({ params: new Map([['__proto__', 'x']]) });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('METADATA (RFC 5464)', () => {
  it('a literal8 value (section 5: value = nstring / literal8) comes back byte for byte, NUL included', () => {
    const bytes = Buffer.from([0x41, 0x00, 0x42, 0x0d, 0x0a, 0xff]);
    const r = parse(
      Buffer.concat([
        Buffer.from('* METADATA INBOX (/private/blob ~{6}\r\n'),
        bytes,
        Buffer.from(' /private/comment "x")\r\n'),
      ]),
    );
    expect(r).toEqual({
      kind: 'untagged',
      name: 'METADATA',
      mailbox: 'INBOX',
      entries: new Map([
        ['/private/blob', bytes],
        ['/private/comment', Buffer.from('x')],
      ]),
    });
  });
});

describe('QUOTA (RFC 9208)', () => {
  it('QUOTA with resource triplets as bigint', () => {
    expect(parse('* QUOTA "" (STORAGE 10 512 message 2 1000)\r\n')).toEqual({
      kind: 'untagged',
      name: 'QUOTA',
      root: '',
      resources: new Map([
        ['STORAGE', { usage: 10n, limit: 512n }],
        ['MESSAGE', { usage: 2n, limit: 1000n }],
      ]),
    });
  });

  it('QUOTAROOT with and without roots', () => {
    expect(parseAll('* QUOTAROOT INBOX ""\r\n* QUOTAROOT comp.mail.mime\r\n')).toEqual([
      { kind: 'untagged', name: 'QUOTAROOT', mailbox: 'INBOX', roots: [''] },
      { kind: 'untagged', name: 'QUOTAROOT', mailbox: 'comp.mail.mime', roots: [] },
    ]);
  });
});

describe('ACL (RFC 4314)', () => {
  it('ACL, LISTRIGHTS and MYRIGHTS', () => {
    expect(
      parseAll(
        '* ACL INBOX Fred rwipsldexta "-Fred" l\r\n* LISTRIGHTS ~/Mail/saved smith la r swicdkxte\r\n* MYRIGHTS INBOX rwiptsldaex\r\n',
      ),
    ).toEqual([
      {
        kind: 'untagged',
        name: 'ACL',
        mailbox: 'INBOX',
        rights: new Map([
          ['Fred', 'rwipsldexta'],
          ['-Fred', 'l'],
        ]),
      },
      {
        kind: 'untagged',
        name: 'LISTRIGHTS',
        mailbox: '~/Mail/saved',
        identifier: 'smith',
        required: 'la',
        optional: ['r', 'swicdkxte'],
      },
      { kind: 'untagged', name: 'MYRIGHTS', mailbox: 'INBOX', rights: 'rwiptsldaex' },
    ]);
  });
});

describe('METADATA (RFC 5464)', () => {
  it('entry values: quoted, NIL and literal as Buffers', () => {
    expect(
      parse(
        '* METADATA "INBOX" (/private/comment "My own comment" /shared/x NIL /shared/y {5}\r\nab\r\nc)\r\n',
      ),
    ).toEqual({
      kind: 'untagged',
      name: 'METADATA',
      mailbox: 'INBOX',
      entries: new Map([
        ['/private/comment', Buffer.from('My own comment')],
        ['/shared/x', null],
        ['/shared/y', Buffer.from('ab\r\nc')],
      ]),
    });
  });

  it('a value may be a literal8 (RFC 5464 value = nstring / literal8)', () => {
    expect(parse('* METADATA "" (/shared/x ~{3}\r\na\x00c)\r\n')).toMatchObject({
      entries: new Map([['/shared/x', Buffer.from([0x61, 0, 0x63])]]),
    });
  });

  it('unsolicited form with only entry names', () => {
    expect(parse('* METADATA "" /shared/comment /shared/admin\r\n')).toEqual({
      kind: 'untagged',
      name: 'METADATA',
      mailbox: '',
      entries: new Map([
        ['/shared/comment', undefined],
        ['/shared/admin', undefined],
      ]),
    });
  });
});

describe('unknown untagged responses', () => {
  it('are OTHER with generic values', () => {
    expect(parse('* XAPPLEPUSHSERVICE aps-version "2" (a NIL {1}\r\nx)\r\n')).toEqual({
      kind: 'untagged',
      name: 'OTHER',
      atom: 'XAPPLEPUSHSERVICE',
      number: null,
      data: ['aps-version', Buffer.from('2'), ['a', null, Buffer.from('x')]],
    });
  });

  it('keep the number before the name', () => {
    expect(parse('* 5 XFOO bar\r\n')).toEqual({
      kind: 'untagged',
      name: 'OTHER',
      atom: 'XFOO',
      number: 5,
      data: ['bar'],
    });
  });

  it('whose data does not parse keep it as text', () => {
    expect(parse('* XLOG free text (with a paren\r\n')).toEqual({
      kind: 'untagged',
      name: 'OTHER',
      atom: 'XLOG',
      number: null,
      data: ['free text (with a paren'],
    });
  });
});
