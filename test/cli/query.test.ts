/**
 * The search query syntax of `imapkit search` (each form maps onto the
 * search builder's query object, and what it compiles to on the wire), and
 * the CLI's one-line error messages.
 */
import { describe, expect, it } from 'vitest';
import { CliError, errorLine, EXIT, UsageError } from '../../src/cli/errors.js';
import { parseQuery, tokenize } from '../../src/cli/query.js';
import { compileSearch } from '../../src/commands/search-query.js';
import { encodeCommand } from '../../src/wire/encoder.js';

/** The search keys as sent after `SEARCH`. */
function wire(args: readonly string[]): string {
  const { args: keys } = compileSearch(parseQuery(args));
  return encodeCommand('A1', 'SEARCH', keys).redacted.replace(/^A1 SEARCH /, '');
}

describe('query syntax', () => {
  it('an empty query matches every message', () => {
    expect(parseQuery([])).toEqual({ all: true });
  });

  it('key:value terms and flag words are ANDed in order', () => {
    expect(parseQuery(['from:alice', 'since:2024-01-01', 'unseen'])).toEqual({
      and: [{ from: 'alice' }, { since: new Date(Date.UTC(2024, 0, 1)) }, { unseen: true }],
    });
    expect(wire(['from:alice', 'since:2024-01-01', 'unseen'])).toBe(
      'FROM alice SINCE 1-Jan-2024 UNSEEN',
    );
  });

  it('a quoted value keeps its spaces, in one argument or as the shell left it', () => {
    expect(parseQuery(['subject:"foo bar"'])).toEqual({ subject: 'foo bar' });
    // `imapkit search INBOX subject:"foo bar"`: the shell passes `subject:foo bar`.
    expect(parseQuery(['subject:foo bar'])).toEqual({ subject: 'foo bar' });
    expect(parseQuery(['from:alice subject:"foo bar" unseen'])).toEqual({
      and: [{ from: 'alice' }, { subject: 'foo bar' }, { unseen: true }],
    });
    expect(wire(['subject:"foo bar"'])).toBe('SUBJECT "foo bar"');
  });

  it('quotes inside quoted values are escaped with a backslash', () => {
    expect(parseQuery(['subject:"say \\"hi\\""'])).toEqual({ subject: 'say "hi"' });
  });

  it('bare words and phrases search the whole message', () => {
    expect(parseQuery(['invoice'])).toEqual({ text: 'invoice' });
    expect(parseQuery(['"quarterly report"'])).toEqual({ text: 'quarterly report' });
  });

  it('-term and NOT negate; OR and | give alternatives; parentheses group', () => {
    expect(parseQuery(['-from:bob'])).toEqual({ not: { from: 'bob' } });
    expect(parseQuery(['NOT', 'seen'])).toEqual({ not: { seen: true } });
    expect(parseQuery(['from:a', 'OR', 'from:b'])).toEqual({ or: [{ from: 'a' }, { from: 'b' }] });
    expect(parseQuery(['from:a | from:b | from:c'])).toEqual({
      or: [{ from: 'a' }, { from: 'b' }, { from: 'c' }],
    });
    expect(parseQuery(['(from:a OR from:b) flagged'])).toEqual({
      and: [{ or: [{ from: 'a' }, { from: 'b' }] }, { flagged: true }],
    });
    expect(wire(['(from:a OR from:b)', '-flagged'])).toBe('OR FROM a FROM b NOT FLAGGED');
  });

  it('dates, sizes, durations, headers, keywords and UID sets', () => {
    expect(parseQuery(['before:2024-02-29'])).toEqual({ before: new Date(Date.UTC(2024, 1, 29)) });
    expect(parseQuery(['sent-on:2024-03-01'])).toEqual({ sentOn: new Date(Date.UTC(2024, 2, 1)) });
    expect(parseQuery(['larger:100k'])).toEqual({ larger: 102400 });
    expect(parseQuery(['smaller:2M'])).toEqual({ smaller: 2 * 1024 * 1024 });
    expect(parseQuery(['younger:2h'])).toEqual({ younger: 7200 });
    expect(parseQuery(['header:X-Long-Unfolded:'])).toEqual({ header: [['X-Long-Unfolded', '']] });
    expect(parseQuery(['header:List-Id:news.example.org'])).toEqual({
      header: [['List-Id', 'news.example.org']],
    });
    expect(parseQuery(['keyword:Work'])).toEqual({ keyword: 'Work' });
    expect(parseQuery(['flag:\\Flagged'])).toEqual({ flagged: true });
    expect(parseQuery(['flag:$Junk'])).toEqual({ keyword: '$Junk' });
    expect(parseQuery(['uid:1:100,200'])).toEqual({ uid: '1:100,200' });
    expect(wire(['header:X-Long-Unfolded:', 'larger:100k'])).toBe(
      'HEADER X-Long-Unfolded "" LARGER 102400',
    );
  });

  it('non-ASCII values are kept (the builder adds CHARSET UTF-8)', () => {
    const q = parseQuery(['subject:Grüße']);
    expect(q).toEqual({ subject: 'Grüße' });
    expect(compileSearch(q).charset).toBe('UTF-8');
  });

  it.each([
    [['colour:red'], /unknown search key "colour:"/],
    [['since:2024-02-30'], /since: needs a date/],
    [['since:yesterday'], /since: needs a date/],
    [['larger:big'], /larger: needs a size/],
    [['younger:0'], /younger: needs a duration/],
    [['uid:1-5'], /uid: needs a UID set/],
    [['from:'], /from: needs a value/],
    [['subject:"open'], /unterminated quote/],
    [['(from:a'], /missing "\)"/],
    [['from:a)'], /unbalanced "\)"/],
    [['OR', 'from:a'], /OR needs a term on both sides/],
    [['from:a', 'OR'], /OR needs a term on both sides/],
    [['()'], /empty group/],
  ])('%j is a usage error', (args, message) => {
    expect(() => parseQuery(args)).toThrow(UsageError);
    expect(() => parseQuery(args)).toThrow(message);
  });

  it('tokenizes parentheses glued to words', () => {
    expect(tokenize(['(from:a)']).map((t) => t.kind)).toEqual(['open', 'term', 'close']);
  });
});

describe('error lines', () => {
  it('are one line without control characters, whatever the server said', () => {
    const err = new CliError(
      'server refused STATUS (NO): evil\r\n\x1b[31mred\x07 text',
      EXIT.SERVER,
    );
    expect(errorLine(err)).toBe('imapkit: server refused STATUS (NO): evil ?[31mred? text\n');
  });
});
