/**
 * Server and message text through the CLI's and imaplib's text helpers:
 * linear whatever the text, same results as the regexes they replace.
 */
import { describe, expect, it } from 'vitest';
import { decodeTransfer, htmlToText } from '../../src/cli/commands/show.js';
import { CliError, errorLine } from '../../src/cli/errors.js';
import { ParseFlags } from '../../src/imaplib/helpers.js';

/** The regex rendering htmlToText replaces, for comparing results on ordinary HTML. */
function regexHtmlToText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|tr|h[1-6]|li)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Milliseconds `f` takes. The linearity tests below give inputs on which the
 * old quadratic code ran for minutes (past the test's timeout) and allow
 * LINEAR_BUDGET_MS, far above what the linear code needs (a few ms), so a
 * loaded machine does not make them flaky.
 */
const LINEAR_BUDGET_MS = 2000;

/** Milliseconds `f` takes. */
function timed(f: () => void): number {
  const started = performance.now();
  f();
  return performance.now() - started;
}

describe('htmlToText', () => {
  it('renders ordinary HTML as the regexes did', () => {
    for (const html of [
      '<p>Hi <b>there</b></p><br/>a &amp; b<br>c',
      '<STYLE>p{}</style><div>x</div><script src=a>1<2</SCRIPT>y',
      '<script>never closed <p>a</p>',
      'a < b and c > d < e',
      '<style>a</style><script>b<style>c</style>d</script>e<style>f',
      '<scripts>x</scripts>z',
    ]) {
      expect(htmlToText(html)).toBe(regexHtmlToText(html));
    }
  });

  it('is linear in a message of unclosed < and <script (the regexes were quadratic)', () => {
    // 40,000 < and 20,000 <script took the regexes ~0.9 s and ~0.7 s; ten times as many, minutes.
    const lt = '<'.repeat(400_000);
    const scripts = '<script'.repeat(200_000) + '<style></style>';
    expect(timed(() => expect(htmlToText(lt)).toBe(lt))).toBeLessThan(LINEAR_BUDGET_MS);
    expect(timed(() => expect(htmlToText(scripts)).toBe('<script'.repeat(200_000)))).toBeLessThan(
      LINEAR_BUDGET_MS,
    );
  });
});

describe('decodeTransfer (quoted-printable)', () => {
  it('decodes escapes, soft breaks and leaves bad escapes as they are', () => {
    const qp = Buffer.from('a=3Db=\r\nc=ZZ=4', 'latin1');
    expect(decodeTransfer(qp, 'quoted-printable').toString('latin1')).toBe('a=bc=ZZ=4');
  });
});

describe('errorLine', () => {
  it('joins lines with one space and keeps other spaces', () => {
    expect(errorLine(new CliError('a  \r\n  b\tc', 1))).toBe('imapkit: a b?c\n');
  });

  it('is linear in server text of long whitespace runs without a line break', () => {
    // 40,000 spaces took the regex /\s*[\r\n]+\s*/ ~1.9 s; 400,000, minutes.
    const text = `x${' '.repeat(400_000)}y`;
    let line = '';
    expect(timed(() => (line = errorLine(new CliError(text, 1))))).toBeLessThan(LINEAR_BUDGET_MS);
    expect(line).toBe(`imapkit: ${text}\n`);
  });
});

describe('imaplib ParseFlags', () => {
  it('takes the last FLAGS (...) closed by a parenthesis, as CPython', () => {
    const flags = (s: string): string[] => ParseFlags(s).map((b) => b.toString('latin1'));
    expect(flags('1 (FLAGS (\\Seen \\Answered $Work))')).toEqual(['\\Seen', '\\Answered', '$Work']);
    expect(flags('1 (UID 3)')).toEqual([]);
    expect(flags('1 (FLAGS ())')).toEqual([]);
    expect(flags('FLAGS (a) FLAGS (b c) FLAGS (d')).toEqual(['b', 'c']);
    expect(flags('FLAGS (')).toEqual([]);
  });

  it('is linear in text without FLAGS (the unanchored regex was quadratic)', () => {
    // 40,000 bytes took the regex ~1.3 s; 400,000, minutes.
    const text = 'a'.repeat(400_000);
    expect(timed(() => expect(ParseFlags(text)).toEqual([]))).toBeLessThan(LINEAR_BUDGET_MS);
  });
});
