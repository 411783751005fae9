import { describe, expect, it } from 'vitest';
import type { BodyStructure, SinglePart } from '../../src/model/body-structure.js';
import { bytes, fetchOf, parse } from './fixtures/parser-helpers.js';

const terry = {
  name: 'Terry Gray',
  adl: null,
  mailbox: 'gray',
  host: 'cac.washington.edu',
  address: 'gray@cac.washington.edu',
};

describe('FETCH simple items (RFC 9051 7.5.2)', () => {
  it('RFC 9051 example: FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY', () => {
    const r = parse(
      '* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev2 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))\r\n',
    );
    expect(r).toEqual({
      kind: 'untagged',
      name: 'FETCH',
      seq: 12,
      attributes: {
        flags: ['\\Seen'],
        internalDate: '17-Jul-1996 02:44:25 -0700',
        rfc822Size: 4286,
        envelope: {
          date: 'Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
          subject: 'IMAP4rev2 WG mtg summary and minutes',
          from: [terry],
          sender: [terry],
          replyTo: [terry],
          to: [
            {
              name: null,
              adl: null,
              mailbox: 'imap',
              host: 'cac.washington.edu',
              address: 'imap@cac.washington.edu',
            },
          ],
          cc: [
            {
              name: null,
              adl: null,
              mailbox: 'minutes',
              host: 'CNRI.Reston.VA.US',
              address: 'minutes@CNRI.Reston.VA.US',
            },
            {
              name: 'John Klensin',
              adl: null,
              mailbox: 'KLENSIN',
              host: 'MIT.EDU',
              address: 'KLENSIN@MIT.EDU',
            },
          ],
          bcc: null,
          inReplyTo: null,
          messageId: '<B27397-0100000@cac.washington.edu>',
        },
        body: {
          part: '1',
          type: 'text',
          subtype: 'plain',
          params: new Map([['charset', 'US-ASCII']]),
          id: null,
          description: null,
          encoding: '7bit',
          size: 3028,
          lines: 92,
        },
      },
    });
  });

  it('UID up to 2^32-1 and empty FLAGS', () => {
    expect(fetchOf('* 15 FETCH (UID 4294967295 FLAGS ())\r\n')).toEqual({
      uid: 4294967295,
      flags: [],
    });
  });

  it('item names are case-insensitive and extra spaces are tolerated', () => {
    expect(fetchOf('* 1 FETCH ( uid 7  flags (\\Seen) )\r\n')).toEqual({
      uid: 7,
      flags: ['\\Seen'],
    });
  });

  it('MODSEQ (RFC 7162) as bigint', () => {
    expect(fetchOf('* 1 FETCH (UID 4 MODSEQ (12121231000))\r\n')).toEqual({
      uid: 4,
      modseq: 12121231000n,
    });
  });

  it('RFC 7162 QRESYNC example: UID, FLAGS and a 17-digit MODSEQ', () => {
    expect(
      fetchOf('* 49 FETCH (UID 117 FLAGS (\\Seen \\Answered) MODSEQ (90060115194045001))\r\n'),
    ).toEqual({ uid: 117, flags: ['\\Seen', '\\Answered'], modseq: 90060115194045001n });
  });

  it('EMAILID and THREADID (RFC 8474), THREADID NIL', () => {
    expect(
      fetchOf('* 1 FETCH (EMAILID (M6d99ac3275bb4e) THREADID (T64b478a75b7ea9def))\r\n'),
    ).toEqual({
      emailId: 'M6d99ac3275bb4e',
      threadId: 'T64b478a75b7ea9def',
    });
    expect(fetchOf('* 2 FETCH (THREADID NIL)\r\n')).toEqual({ threadId: null });
  });

  it('SAVEDATE (RFC 8514) and PREVIEW (RFC 8970), also NIL', () => {
    expect(
      fetchOf('* 1 FETCH (SAVEDATE "01-Jan-2023 10:00:00 +0000" PREVIEW "Hello there")\r\n'),
    ).toEqual({
      saveDate: '01-Jan-2023 10:00:00 +0000',
      preview: 'Hello there',
    });
    expect(fetchOf('* 1 FETCH (SAVEDATE NIL PREVIEW NIL)\r\n')).toEqual({
      saveDate: null,
      preview: null,
    });
  });

  it('Gmail X-GM-MSGID, X-GM-THRID (bigint) and X-GM-LABELS (atoms, quoted, literal)', () => {
    expect(
      fetchOf(
        '* 1 FETCH (X-GM-MSGID 1278455344230334865 X-GM-THRID 1266894439832287888 X-GM-LABELS (\\Inbox "\\\\Important" "Muy Importante" {5}\r\nfoo\r\n))\r\n',
      ),
    ).toEqual({
      gmMsgId: 1278455344230334865n,
      gmThrId: 1266894439832287888n,
      gmLabels: ['\\Inbox', '\\Important', 'Muy Importante', 'foo\r\n'],
    });
    expect(fetchOf('* 1 FETCH (X-GM-LABELS ())\r\n')).toEqual({ gmLabels: [] });
  });

  it('unknown items are kept raw in other, keyed upper-case', () => {
    expect(fetchOf('* 1 FETCH (X-Unknown (a "b" NIL (c)) X-SECT[1.2] 5)\r\n')).toEqual({
      other: new Map<string, unknown>([
        ['X-UNKNOWN', ['a', Buffer.from('b'), null, ['c']]],
        ['X-SECT[1.2]', '5'],
      ]),
    });
  });
});

describe('FETCH body sections', () => {
  it('BODY[] as a literal, zero copy of the bytes', () => {
    const a = fetchOf('* 1 FETCH (BODY[] {5}\r\nab\r\nc)\r\n');
    expect(a.sections).toEqual(
      new Map([
        ['BODY[]', { item: 'BODY', section: '', origin: null, data: Buffer.from('ab\r\nc') }],
      ]),
    );
  });

  it('BODY[section]<origin> as quoted, NIL, empty literal', () => {
    const a = fetchOf(
      '* 9 FETCH (BODY[1.2.mime] "Content-Type: \\"x\\"" BODY[]<100> {0}\r\n BODY[TEXT] NIL)\r\n',
    );
    expect(a.sections).toEqual(
      new Map([
        [
          'BODY[1.2.MIME]',
          {
            item: 'BODY',
            section: '1.2.MIME',
            origin: null,
            data: Buffer.from('Content-Type: "x"'),
          },
        ],
        ['BODY[]<100>', { item: 'BODY', section: '', origin: 100, data: Buffer.alloc(0) }],
        ['BODY[TEXT]', { item: 'BODY', section: 'TEXT', origin: null, data: null }],
      ]),
    );
  });

  it('two partial ranges of one section in one FETCH are both kept, keyed with their origin', () => {
    const a = fetchOf(
      '* 1 FETCH (BODY[1]<0> {3}\r\nabc BODY[1]<3> {3}\r\ndef BODY[1] "whole" BINARY[2]<0> "x")\r\n',
    );
    expect(a.sections).toEqual(
      new Map([
        ['BODY[1]<0>', { item: 'BODY', section: '1', origin: 0, data: Buffer.from('abc') }],
        ['BODY[1]<3>', { item: 'BODY', section: '1', origin: 3, data: Buffer.from('def') }],
        ['BODY[1]', { item: 'BODY', section: '1', origin: null, data: Buffer.from('whole') }],
        ['BINARY[2]<0>', { item: 'BINARY', section: '2', origin: 0, data: Buffer.from('x') }],
      ]),
    );
  });

  it('HEADER.FIELDS with quoted names is canonicalised', () => {
    const a = fetchOf(
      '* 1 FETCH (BODY[HEADER.FIELDS ("Subject"  from)] {12}\r\nSubject: x\r\n BODY[1.HEADER.FIELDS.NOT (Received)] "")\r\n',
    );
    expect([...(a.sections?.keys() ?? [])]).toEqual([
      'BODY[HEADER.FIELDS (SUBJECT FROM)]',
      'BODY[1.HEADER.FIELDS.NOT (RECEIVED)]',
    ]);
    expect(a.sections?.get('BODY[HEADER.FIELDS (SUBJECT FROM)]')).toEqual({
      item: 'BODY',
      section: 'HEADER.FIELDS (SUBJECT FROM)',
      origin: null,
      data: Buffer.from('Subject: x\r\n'),
    });
  });

  it('BINARY[section] with literal8 and BINARY.SIZE (RFC 3516)', () => {
    const a = fetchOf(
      '* 7 FETCH (BINARY[1] ~{5}\r\nab\x00cd BINARY.SIZE[2] 1234 BINARY[]<0> "x")\r\n',
    );
    expect(a).toEqual({
      sections: new Map([
        [
          'BINARY[1]',
          { item: 'BINARY', section: '1', origin: null, data: Buffer.from('ab\x00cd', 'latin1') },
        ],
        ['BINARY[]<0>', { item: 'BINARY', section: '', origin: 0, data: Buffer.from('x') }],
      ]),
      binarySize: new Map([['2', 1234]]),
    });
  });

  it('RFC822, RFC822.HEADER and RFC822.TEXT', () => {
    const a = fetchOf(
      '* 8 FETCH (RFC822.HEADER {12}\r\nSubject: x\r\n RFC822.TEXT "" RFC822 NIL)\r\n',
    );
    expect(a.sections).toEqual(
      new Map([
        [
          'RFC822.HEADER',
          { item: 'RFC822.HEADER', section: '', origin: null, data: Buffer.from('Subject: x\r\n') },
        ],
        ['RFC822.TEXT', { item: 'RFC822.TEXT', section: '', origin: null, data: Buffer.alloc(0) }],
        ['RFC822', { item: 'RFC822', section: '', origin: null, data: null }],
      ]),
    );
  });

  it('8-bit bytes in a body section stay exact', () => {
    const a = fetchOf('* 1 FETCH (BODY[1] {4}\r\n\xff\xfe\xc3\xa9)\r\n');
    expect(a.sections?.get('BODY[1]')?.data).toEqual(Buffer.from([0xff, 0xfe, 0xc3, 0xa9]));
  });
});

describe('ENVELOPE', () => {
  it('RFC 5322 groups become AddressGroup', () => {
    const a = fetchOf(
      '* 13 FETCH (ENVELOPE (NIL "Group test" (("Alice" NIL "alice" "example.com")) NIL NIL ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) ((NIL NIL "team" NIL)("Bob" NIL "bob" "example.com")("Carol" NIL "carol" "example.com")(NIL NIL NIL NIL)("Dan" NIL "dan" "example.org")) NIL NIL NIL))\r\n',
    );
    expect(a.envelope?.to).toEqual([{ group: 'undisclosed-recipients', members: [] }]);
    expect(a.envelope?.cc).toEqual([
      {
        group: 'team',
        members: [
          {
            name: 'Bob',
            adl: null,
            mailbox: 'bob',
            host: 'example.com',
            address: 'bob@example.com',
          },
          {
            name: 'Carol',
            adl: null,
            mailbox: 'carol',
            host: 'example.com',
            address: 'carol@example.com',
          },
        ],
      },
      { name: 'Dan', adl: null, mailbox: 'dan', host: 'example.org', address: 'dan@example.org' },
    ]);
  });

  it('a group that is never closed is kept as plain addresses', () => {
    const a = fetchOf(
      '* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL ((NIL NIL "root" NIL)) NIL NIL NIL NIL))\r\n',
    );
    expect(a.envelope?.to).toEqual([
      { name: null, adl: null, mailbox: 'root', host: null, address: 'root' },
    ]);
  });

  it('UTF-8 and literals in envelope strings; encoded words left as sent', () => {
    const a = fetchOf(
      '* 14 FETCH (ENVELOPE ("d" "=?UTF-8?B?w6nDqQ==?=" (("Jos\xc3\xa9" NIL "jose" "example.com")) NIL NIL NIL NIL NIL {5}\r\n<a@b> ""))\r\n',
    );
    expect(a.envelope).toEqual({
      date: 'd',
      subject: '=?UTF-8?B?w6nDqQ==?=',
      from: [
        {
          name: 'José',
          adl: null,
          mailbox: 'jose',
          host: 'example.com',
          address: 'jose@example.com',
        },
      ],
      sender: null,
      replyTo: null,
      to: null,
      cc: null,
      bcc: null,
      inReplyTo: '<a@b>',
      messageId: '',
    });
  });

  it('Sender and Reply-To repeating From are parsed once and share its list', () => {
    const ann = '(("Ann" NIL "ann" "a.example"))';
    const a = fetchOf(
      `* 1 FETCH (ENVELOPE (NIL "s" ${ann} ${ann} ${ann} ${ann} NIL NIL NIL NIL))\r\n`,
    );
    const e = a.envelope!;
    expect(e.from).toEqual([
      { name: 'Ann', adl: null, mailbox: 'ann', host: 'a.example', address: 'ann@a.example' },
    ]);
    expect(e.sender).toBe(e.from);
    expect(e.replyTo).toBe(e.from);
    // To is parsed on its own even when it is the same.
    expect(e.to).toEqual(e.from);
    expect(e.to).not.toBe(e.from);
  });

  it('a Sender that differs from From by one byte, or From with a literal, is parsed on its own', () => {
    const a = fetchOf(
      '* 1 FETCH (ENVELOPE (NIL NIL (("Ann" NIL "ann" "a.example")) (("Ann" NIL "ann" "a.examplf")) NIL NIL NIL NIL NIL NIL))\r\n',
    );
    expect(a.envelope!.sender).toEqual([
      { name: 'Ann', adl: null, mailbox: 'ann', host: 'a.examplf', address: 'ann@a.examplf' },
    ]);
    expect(a.envelope!.replyTo).toBeNull();
    const b = fetchOf(
      '* 1 FETCH (ENVELOPE (NIL NIL (({3}\r\nAnn NIL "ann" "a.example")) (({3}\r\nAnn NIL "ann" "a.example")) NIL NIL NIL NIL NIL NIL))\r\n',
    );
    expect(b.envelope!.sender).toEqual(b.envelope!.from);
    expect(b.envelope!.sender).not.toBe(b.envelope!.from);
    expect(b.envelope!.from![0]).toMatchObject({ name: 'Ann', address: 'ann@a.example' });
  });

  it('a repeated From cut short by the end of the response is an error', () => {
    expect(() =>
      parse('* 1 FETCH (ENVELOPE (NIL NIL (("Ann" NIL "ann" "a.example")) (("Ann" NIL "ann"\r\n'),
    ).toThrow(/unterminated|expected/);
  });

  it('NIL and "" are different', () => {
    const a = fetchOf('* 1 FETCH (ENVELOPE (NIL "" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n');
    expect(a.envelope?.date).toBeNull();
    expect(a.envelope?.subject).toBe('');
  });
});

describe('BODYSTRUCTURE (RFC 9051 7.5.2)', () => {
  const bs = (s: string): BodyStructure => {
    const a = fetchOf(`* 1 FETCH (BODYSTRUCTURE ${s})\r\n`);
    if (!a.bodyStructure) throw new Error('no body structure');
    return a.bodyStructure;
  };

  it('a part over 4 GiB: size and lines read up to 2^53-1 (RFC 9051 body-fld-lines is number64)', () => {
    const part = bs('("TEXT" "PLAIN" NIL NIL NIL "7BIT" 5368709120 4294967296)');
    expect(part).toMatchObject({ size: 5368709120, lines: 4294967296 });
  });

  it('RFC 3501 multipart/mixed example with a named BASE64 part', () => {
    expect(
      bs(
        '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") "<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73) "MIXED")',
      ),
    ).toEqual({
      part: '',
      type: 'multipart',
      subtype: 'mixed',
      params: new Map(),
      childNodes: [
        {
          part: '1',
          type: 'text',
          subtype: 'plain',
          params: new Map([['charset', 'US-ASCII']]),
          id: null,
          description: null,
          encoding: '7bit',
          size: 1152,
          lines: 23,
        },
        {
          part: '2',
          type: 'text',
          subtype: 'plain',
          params: new Map([
            ['charset', 'US-ASCII'],
            ['name', 'cc.diff'],
          ]),
          id: '<960723163407.20117h@cac.washington.edu>',
          description: 'Compiler diff',
          encoding: 'base64',
          size: 4554,
          lines: 73,
        },
      ],
    });
  });

  it('all extension data: md5, disposition, language list, location, further extensions', () => {
    expect(
      bs(
        '("APPLICATION" "PDF" ("NAME" "a.pdf") NIL NIL "BASE64" 1000 "md5sum" ("ATTACHMENT" ("FILENAME" "a.pdf")) ("en" "de") "http://x/a.pdf" "future" (1 NIL))',
      ),
    ).toEqual({
      part: '1',
      type: 'application',
      subtype: 'pdf',
      params: new Map([['name', 'a.pdf']]),
      id: null,
      description: null,
      encoding: 'base64',
      size: 1000,
      md5: 'md5sum',
      disposition: { type: 'attachment', params: new Map([['filename', 'a.pdf']]) },
      language: ['en', 'de'],
      location: 'http://x/a.pdf',
      extensions: [Buffer.from('future'), ['1', null]],
    });
  });

  it('language as a single string, disposition NIL, multipart extension data', () => {
    expect(
      bs(
        '(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1 NIL NIL "en" NIL) "ALTERNATIVE" ("BOUNDARY" "xyz") ("INLINE" NIL) NIL "loc")',
      ),
    ).toEqual({
      part: '',
      type: 'multipart',
      subtype: 'alternative',
      params: new Map([['boundary', 'xyz']]),
      disposition: { type: 'inline', params: new Map() },
      language: null,
      location: 'loc',
      childNodes: [
        {
          part: '1',
          type: 'text',
          subtype: 'plain',
          params: new Map(),
          id: null,
          description: null,
          encoding: '7bit',
          size: 1,
          lines: 1,
          md5: null,
          disposition: null,
          language: ['en'],
          location: null,
        },
      ],
    });
  });

  it('part numbers follow IMAP sections: nested multiparts and message/rfc822 (RFC 9051 6.4.5)', () => {
    const tree = bs(
      '(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1)("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 2)' +
        '("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 3 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1)("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 2) "MIXED") 5)' +
        '(("IMAGE" "GIF" NIL NIL NIL "BASE64" 4)("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 3 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1)(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1)("TEXT" "RICHTEXT" NIL NIL NIL "7BIT" 1 1) "ALTERNATIVE") "MIXED") 5) "MIXED")' +
        '("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 3 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1) 5) "MIXED")',
    );
    const parts: string[] = [];
    const walk = (n: BodyStructure) => {
      parts.push(`${n.part}=${n.type}/${n.subtype}`);
      if (n.type === 'multipart' && 'childNodes' in n) n.childNodes.forEach(walk);
      else if ('body' in n && n.body) walk(n.body);
    };
    walk(tree);
    expect(parts).toEqual([
      '=multipart/mixed',
      '1=text/plain',
      '2=application/octet-stream',
      '3=message/rfc822',
      '3=multipart/mixed',
      '3.1=text/plain',
      '3.2=application/octet-stream',
      '4=multipart/mixed',
      '4.1=image/gif',
      '4.2=message/rfc822',
      '4.2=multipart/mixed',
      '4.2.1=text/plain',
      '4.2.2=multipart/alternative',
      '4.2.2.1=text/plain',
      '4.2.2.2=text/richtext',
      '5=message/rfc822',
      '5.1=text/plain',
    ]);
  });

  it('message/rfc822 carries the inner envelope, body and lines; message/global too', () => {
    const n = bs(
      '("MESSAGE" "GLOBAL" NIL NIL NIL "8BIT" 300 ("d" "s" NIL NIL NIL NIL NIL NIL NIL "<m@x>") ("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "8BIT" 10 2) 12)',
    );
    expect(n).toMatchObject({
      part: '1',
      type: 'message',
      subtype: 'global',
      size: 300,
      lines: 12,
      envelope: { date: 'd', subject: 's', messageId: '<m@x>' },
      body: { part: '1.1', type: 'text', subtype: 'plain', size: 10, lines: 2 },
    });
  });

  describe('odd server output', () => {
    it('lower/mixed case, NIL subtype and NIL encoding, NIL and () params', () => {
      expect(bs('("text" NIL () NIL NIL NIL 10 1)')).toEqual({
        part: '1',
        type: 'text',
        subtype: 'plain',
        params: new Map(),
        id: null,
        description: null,
        encoding: '7bit',
        size: 10,
        lines: 1,
      });
      expect(bs('("Image" "Png" NIL NIL NIL "Base64" 10)')).toEqual({
        part: '1',
        type: 'image',
        subtype: 'png',
        params: new Map(),
        id: null,
        description: null,
        encoding: 'base64',
        size: 10,
      });
    });

    it('text part without the line count, followed by extension data', () => {
      expect(
        bs(
          '("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 2000 NIL ("INLINE" NIL) NIL)',
        ),
      ).toEqual({
        part: '1',
        type: 'text',
        subtype: 'html',
        params: new Map([['charset', 'utf-8']]),
        id: null,
        description: null,
        encoding: 'quoted-printable',
        size: 2000,
        md5: null,
        disposition: { type: 'inline', params: new Map() },
        language: null,
      });
    });

    it('a multipart with zero parts', () => {
      expect(bs('("MIXED" ("BOUNDARY" "x") NIL NIL)')).toEqual({
        part: '',
        type: 'multipart',
        subtype: 'mixed',
        params: new Map([['boundary', 'x']]),
        childNodes: [],
        disposition: null,
        language: null,
      });
    });

    it('Exchange: disposition with extra params and NIL language/location', () => {
      expect(
        bs(
          '("APPLICATION" "VND.MS-EXCEL" ("NAME" "x.xls") NIL NIL "BASE64" 123 NIL ("ATTACHMENT" ("FILENAME" "x.xls" "SIZE" "90" "CREATION-DATE" "Tue, 01 Jan 2019 00:00:00 GMT")) NIL NIL)',
        ),
      ).toMatchObject({
        disposition: {
          type: 'attachment',
          params: new Map([
            ['filename', 'x.xls'],
            ['size', '90'],
            ['creation-date', 'Tue, 01 Jan 2019 00:00:00 GMT'],
          ]),
        },
        language: null,
        location: null,
      });
    });

    it('Gmail: parts without separating spaces, multipart subtype missing', () => {
      expect(
        bs(
          '(("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "7BIT" 5 1 NIL NIL NIL)("TEXT" "HTML" ("CHARSET" "UTF-8") NIL NIL "7BIT" 9 1 NIL NIL NIL))',
        ),
      ).toMatchObject({
        type: 'multipart',
        subtype: 'mixed',
        childNodes: [
          { part: '1', subtype: 'plain' },
          { part: '2', subtype: 'html' },
        ],
      });
    });

    it('disposition sent as a bare string', () => {
      expect(bs('("IMAGE" "JPEG" NIL NIL NIL "BASE64" 5 NIL "inline" NIL)')).toMatchObject({
        disposition: { type: 'inline', params: new Map() },
      });
    });

    it('parameter names are Map keys (no prototype pollution)', () => {
      const n = bs('("TEXT" "PLAIN" ("__proto__" "x" "constructor" "y") NIL NIL "7BIT" 1 1)');
      expect(n.params).toEqual(
        new Map([
          ['__proto__', 'x'],
          ['constructor', 'y'],
        ]),
      );
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    });
  });

  it('BODY (non-extensible) and BODYSTRUCTURE in one response', () => {
    const a = fetchOf(
      '* 1 FETCH (BODY ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1) BODYSTRUCTURE ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1 NIL NIL NIL NIL))\r\n',
    );
    expect(a.body).toMatchObject({ part: '1', size: 1 });
    expect(a.bodyStructure).toMatchObject({
      part: '1',
      md5: null,
      disposition: null,
      language: null,
      location: null,
    });
  });
});

describe('FETCH sizes and numbers', () => {
  it('UID over 2^32-1 is a parse error', () => {
    expect(() => parse('* 1 FETCH (UID 4294967296)\r\n')).toThrow(
      /number exceeds 2\^32-1 at offset 15/,
    );
  });

  it('RFC822.SIZE is a number64 (RFC 9051 section 9): sizes over 4 GiB are read exactly up to 2^53-1', () => {
    expect(fetchOf('* 1 FETCH (UID 7 RFC822.SIZE 5368709120)\r\n')).toEqual({
      uid: 7,
      rfc822Size: 5368709120,
    });
    expect(fetchOf('* 1 FETCH (RFC822.SIZE 9007199254740991)\r\n')).toEqual({
      rfc822Size: Number.MAX_SAFE_INTEGER,
    });
  });

  it('an RFC822.SIZE over 2^53-1 is kept as text in other, not a parse error', () => {
    expect(fetchOf('* 1 FETCH (UID 7 RFC822.SIZE 9007199254740992)\r\n')).toEqual({
      uid: 7,
      other: new Map([['RFC822.SIZE', '9007199254740992']]),
    });
  });

  it('BINARY.SIZE is read up to 2^53-1; a wrapped 64-bit value (Dovecot 2.3) is kept as text in other', () => {
    expect(fetchOf('* 1 FETCH (BINARY.SIZE[1] 5368709120)\r\n')).toEqual({
      binarySize: new Map([['1', 5368709120]]),
    });
    // What Dovecot 2.3.19 sends for a quoted-printable part (a negative size as uint64).
    expect(
      fetchOf('* 3 FETCH (UID 3 BINARY.SIZE[1] 18446744073709534636 BINARY.SIZE[2] 12)\r\n'),
    ).toEqual({
      uid: 3,
      binarySize: new Map([['2', 12]]),
      other: new Map([['BINARY.SIZE[1]', '18446744073709534636']]),
    });
    expect(() => parse(`* 1 FETCH (BINARY.SIZE[1] ${'9'.repeat(21)})\r\n`)).toThrow(
      /number too long/,
    );
  });

  it('MODSEQ over 2^63-1 is a parse error', () => {
    expect(() => parse('* 1 FETCH (MODSEQ (9223372036854775808))\r\n')).toThrow(/2\^63-1/);
  });

  it('a megabyte-long digit run fails fast', () => {
    const digits = '9'.repeat(1_000_000);
    const t = Date.now();
    expect(() => parse(`* 1 FETCH (MODSEQ (${digits}))\r\n`)).toThrow(/number too long/);
    expect(() => parse(`* 1 FETCH (UID ${digits})\r\n`)).toThrow(/number too long/);
    expect(Date.now() - t).toBeLessThan(1000);
  });

  it('seq numbers are checked too', () => {
    expect(() => parse('* 99999999999 EXISTS\r\n')).toThrow(/number too long/);
  });

  it('8-bit in a quoted FETCH string decodes as UTF-8', () => {
    expect(fetchOf('* 1 FETCH (PREVIEW "\xe2\x9c\x93 ok")\r\n')).toEqual({ preview: '✓ ok' });
    expect(bytes('x')).toEqual(Buffer.from('x'));
  });
});

describe('8-bit strings in ENVELOPE and BODYSTRUCTURE', () => {
  it('bytes that are not UTF-8 are read as Latin-1 (quoted, escaped, literal); UTF-8 stays UTF-8', () => {
    // A string of bytes: `\xe9` is the byte 0xe9 (Latin-1 é), `\xc3\xb6` UTF-8 ö.
    const a = fetchOf(
      '* 1 FETCH (ENVELOPE (NIL "caf\xe9 \\"q\\"" (("Fran\xe7ois" NIL "f" "example.com")) NIL NIL ' +
        '(({4}\r\nZ\xfcri NIL "z" "example.com")) NIL NIL NIL "<\xe9>") ' +
        'BODYSTRUCTURE ("application" "pdf" ("name" "r\xe9sum\xe9.pdf") NIL "pi\xe8ce" "base64" 4 NIL ' +
        '("attachment" ("filename" "r\xe9.pdf")) NIL NIL) ' +
        'BODY ("text" "plain" ("x" "J\xc3\xb6rg") NIL "J\xc3\xb6rg" "7bit" 1 1))\r\n',
    );
    const e = a.envelope!;
    expect(e.subject).toBe('caf\u00e9 "q"');
    expect(e.from![0]).toMatchObject({ name: 'Fran\u00e7ois', address: 'f@example.com' });
    expect(e.to![0]).toMatchObject({ name: 'Z\u00fcri' });
    expect(e.messageId).toBe('<\u00e9>');
    const b = a.bodyStructure as SinglePart;
    expect(b.params.get('name')).toBe('r\u00e9sum\u00e9.pdf');
    expect(b.description).toBe('pi\u00e8ce');
    expect(b.disposition!.params.get('filename')).toBe('r\u00e9.pdf');
    const body = a.body as SinglePart;
    expect(body.params.get('x')).toBe('Jörg');
    expect(body.description).toBe('Jörg');
  });
});
