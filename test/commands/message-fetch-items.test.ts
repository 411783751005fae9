import { describe, expect, it } from 'vitest';
import {
  checkRawFetchItem,
  compileFetchItems,
  normalizeSection,
  sectionItemText,
  sectionKey,
  type FetchItems,
} from '../../src/commands/fetch-items.js';
import { ImapArgumentError } from '../../src/model/errors.js';

describe('compileFetchItems: the typed spec', () => {
  it('simple items in a fixed order, in one parenthesised list', () => {
    const c = compileFetchItems({
      envelope: true,
      uid: true,
      flags: true,
      size: true,
      internalDate: true,
      bodyStructure: true,
    });
    expect(c.text).toBe('(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)');
    expect(c.arg).toEqual({ type: 'raw', value: c.text });
    expect(c.capabilities).toEqual([]);
  });

  it('false and undefined items are left out', () => {
    expect(compileFetchItems({ uid: true, flags: false, envelope: undefined }).text).toBe('(UID)');
  });

  it('extension items name the capability they need', () => {
    const c = compileFetchItems({
      modseq: true,
      emailId: true,
      threadId: true,
      saveDate: true,
      preview: true,
      gmail: { msgId: true, thrId: true, labels: true },
    });
    expect(c.text).toBe(
      '(MODSEQ EMAILID THREADID SAVEDATE PREVIEW X-GM-MSGID X-GM-THRID X-GM-LABELS)',
    );
    expect(c.capabilities).toEqual(['CONDSTORE', 'OBJECTID', 'SAVEDATE', 'PREVIEW', 'X-GM-EXT-1']);
    expect(compileFetchItems({ preview: { lazy: true } }).text).toBe('(PREVIEW (LAZY))');
  });

  it('headers: the whole header or HEADER.FIELDS with astring field names', () => {
    expect(compileFetchItems({ headers: true }).text).toBe('(BODY.PEEK[HEADER])');
    expect(compileFetchItems({ headers: ['Subject', 'From', 'X-Weird"Name'] }).text).toBe(
      '(BODY.PEEK[HEADER.FIELDS (Subject From "X-Weird\\"Name")])',
    );
    // A name with brackets stays inside its quotes: it cannot close the section.
    expect(compileFetchItems({ headers: ['X)]', 'nil'] }).text).toBe(
      '(BODY.PEEK[HEADER.FIELDS ("X)]" "nil")])',
    );
  });

  it('bodyParts: PEEK by default, BINARY, partial ranges', () => {
    const c = compileFetchItems({
      bodyParts: [
        { section: '1.2' },
        { section: '1.2.mime', peek: false },
        { section: '2', binary: true },
        { section: 'text', partial: { start: 0, length: 1024 } },
        { section: '3.header.fields.not (Received DKIM-Signature)' },
      ],
    });
    expect(c.text).toBe(
      '(BODY.PEEK[1.2] BODY[1.2.MIME] BINARY.PEEK[2] BODY.PEEK[TEXT]<0.1024> ' +
        'BODY.PEEK[3.HEADER.FIELDS.NOT (Received DKIM-Signature)])',
    );
    expect(c.capabilities).toEqual(['BINARY']);
  });

  it('source: BODY.PEEK[] whole or a range; binarySize needs BINARY', () => {
    expect(compileFetchItems({ source: true }).text).toBe('(BODY.PEEK[])');
    expect(compileFetchItems({ source: { start: 100, length: 50 } }).text).toBe(
      '(BODY.PEEK[]<100.50>)',
    );
    const c = compileFetchItems({ binarySize: ['1', '2.1'] });
    expect(c.text).toBe('(BINARY.SIZE[1] BINARY.SIZE[2.1])');
    expect(c.capabilities).toEqual(['BINARY']);
  });

  it('raw items are appended after checking them', () => {
    expect(
      compileFetchItems({ uid: true, raw: ['X-CUSTOM', 'BODY[HEADER.FIELDS (A)]'] }).text,
    ).toBe('(UID X-CUSTOM BODY[HEADER.FIELDS (A)])');
  });

  it.each<[string, FetchItems]>([
    ['an empty spec', {}],
    ['an unknown key', { envelop: true } as FetchItems],
    ['a non-boolean item', { uid: 'yes' } as unknown as FetchItems],
    ['no header field names', { headers: [] }],
    ['a header field name with a colon', { headers: ['Subject:'] }],
    ['a header field name with CRLF', { headers: ['X\r\nA2 LOGOUT'] }],
    ['a header field name with a space', { headers: ['X Y'] }],
    ['a section injection', { bodyParts: [{ section: '1] BODY[2' }] }],
    ['a section with CRLF', { bodyParts: [{ section: 'TEXT\r\nA2 LOGOUT' }] }],
    ['a zero part number', { bodyParts: [{ section: '0' }] }],
    ['MIME without a part', { bodyParts: [{ section: 'MIME' }] }],
    ['a BINARY section with text', { bodyParts: [{ section: '1.TEXT', binary: true }] }],
    ['an unknown section keyword', { bodyParts: [{ section: 'BODY' }] }],
    ['a negative partial start', { source: { start: -1, length: 5 } }],
    ['a zero partial length', { source: { start: 0, length: 0 } }],
    ['a raw item with CRLF', { raw: ['FLAGS\r\nA2 LOGOUT'] }],
    ['a raw item with a literal announcement', { raw: ['BODY[HEADER.FIELDS {5}'] }],
    ['an unbalanced raw item', { raw: ['BODY[TEXT'] }],
    ['a raw item with a stray closer', { raw: ['FLAGS)'] }],
    ['a raw item with an open quote', { raw: ['"abc'] }],
    ['a raw item that is blank', { raw: [' '] }],
  ])('refuses %s', (_name, items) => {
    expect(() => compileFetchItems(items)).toThrow(ImapArgumentError);
  });
});

describe('compileFetchItems: macros and raw text', () => {
  it('macros go as they are', () => {
    expect(compileFetchItems('ALL').text).toBe('ALL');
    expect(compileFetchItems('fast').text).toBe('FAST');
    expect(compileFetchItems('FULL').text).toBe('FULL');
  });

  it('raw text is parenthesised when it is not already', () => {
    expect(compileFetchItems('FLAGS UID').text).toBe('(FLAGS UID)');
    expect(compileFetchItems('(FLAGS BODY.PEEK[HEADER])').text).toBe('(FLAGS BODY.PEEK[HEADER])');
    expect(compileFetchItems(['FLAGS', 'BODY.PEEK[1]<0.10>']).text).toBe(
      '(FLAGS BODY.PEEK[1]<0.10>)',
    );
  });

  it('raw text with CR/LF or unbalanced brackets is refused', () => {
    expect(() => compileFetchItems('FLAGS\r\nA2 LOGOUT')).toThrow(ImapArgumentError);
    expect(() => compileFetchItems('(FLAGS) (UID)')).toThrow(ImapArgumentError);
    expect(() => compileFetchItems([])).toThrow(ImapArgumentError);
  });

  it('checkRawFetchItem accepts quoted brackets and escapes', () => {
    expect(() => checkRawFetchItem('BODY[HEADER.FIELDS ("X(1]")]')).not.toThrow();
    expect(() => checkRawFetchItem('BODY[HEADER.FIELDS ("X\\"")]')).not.toThrow();
    expect(() => checkRawFetchItem('BODY[1>')).toThrow(ImapArgumentError);
  });
});

describe('sections', () => {
  it('normalizeSection upper-cases keywords and keeps part numbers', () => {
    expect(normalizeSection('')).toBe('');
    expect(normalizeSection('1')).toBe('1');
    expect(normalizeSection('4.2.1.text')).toBe('4.2.1.TEXT');
    expect(normalizeSection('header.fields(A  B)')).toBe('HEADER.FIELDS (A B)');
    expect(normalizeSection('2', true)).toBe('2');
    expect(() => normalizeSection('99999999999')).toThrow(ImapArgumentError);
  });

  it('sectionKey is the key the parser uses: no PEEK, upper-case, names unquoted', () => {
    expect(sectionKey('1.2')).toBe('BODY[1.2]');
    expect(sectionKey('')).toBe('BODY[]');
    expect(sectionKey('header.fields (Subject From)')).toBe('BODY[HEADER.FIELDS (SUBJECT FROM)]');
    expect(sectionKey('1', true)).toBe('BINARY[1]');
  });

  it('sectionItemText builds one item', () => {
    expect(sectionItemText({ section: '1', partial: { start: 5, length: 10 } })).toBe(
      'BODY.PEEK[1]<5.10>',
    );
    const caps = new Set<string>();
    expect(sectionItemText({ section: '', binary: true, peek: false }, caps)).toBe('BINARY[]');
    expect([...caps]).toEqual(['BINARY']);
  });
});
