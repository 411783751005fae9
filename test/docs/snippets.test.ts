/**
 * Every TypeScript snippet of README.md and docs/*.md compiles against the
 * sources, so the documentation cannot drift from the API unnoticed.
 *
 * Conventions for fenced blocks (summed up for authors in README.md, "Testing"):
 * - ```ts blocks of one file are checked in order as ONE module: a later
 *   block may use what an earlier one imported or declared (`client`,
 *   `conn`). `imapkit`, `imapkit/imaplib` and `imapkit/wire` resolve to
 *   src/index.ts, src/imaplib/index.ts and src/wire/index.ts (package.json
 *   `exports`), with the project's compiler options (tsconfig.json), except
 *   that unused locals and parameters are allowed: a snippet declares
 *   results to show their names.
 * - ```ts imapflow blocks (the ImapFlow side of docs/imapflow-migration.md)
 *   are checked the same way, as their own module per file, against the
 *   `imapflow` package's own type declarations.
 * - `<!-- snippet: standalone -->` on the line before a fence checks that
 *   block as a module of its own (it neither sees nor is seen by the others).
 * - ```ts nocheck skips a deliberately partial block; keep these rare.
 * - Other languages (sh, python, js...) are not checked.
 *
 * All modules go into one `ts.createProgram`, so the check takes seconds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The package's entry points (package.json `exports`) mapped to their sources. */
const SPECIFIERS: Record<string, string> = {
  imapkit: 'src/index.ts',
  'imapkit/imaplib': 'src/imaplib/index.ts',
  'imapkit/wire': 'src/wire/index.ts',
};

/** One fenced TypeScript block of a Markdown file. */
interface Snippet {
  /** The Markdown file, relative to the project root. */
  file: string;
  /** 1-based index among the file's TypeScript blocks. */
  index: number;
  /** Line of the block's first code line in the Markdown file (1-based). */
  line: number;
  code: string;
  /** Which API it is checked against. */
  target: 'imapkit' | 'imapflow';
  standalone: boolean;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)\s*(.*)$/;

/** The TypeScript blocks of `markdown` that are to be checked. */
function extractSnippets(file: string, markdown: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const out: Snippet[] = [];
  let index = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (open === null) continue;
    const [, indent, fence, lang, rest] = open as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    // The block's end: the same fence (or longer) alone on a line.
    let end = i + 1;
    while (end < lines.length) {
      const t = lines[end]!.trim();
      if (t.startsWith(fence) && t.replace(fence[0] === '`' ? /`/g : /~/g, '') === '') break;
      end++;
    }
    const language = lang.toLowerCase();
    if (language === 'ts' || language === 'typescript') {
      index++;
      const words = rest.trim().toLowerCase().split(/\s+/);
      if (!words.includes('nocheck')) {
        const before = i > 0 ? lines[i - 1]!.trim() : '';
        out.push({
          file,
          index,
          line: i + 2,
          code: lines
            .slice(i + 1, end)
            .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
            .join('\n'),
          target: words.includes('imapflow') ? 'imapflow' : 'imapkit',
          standalone: /^<!--\s*snippet:\s*standalone\s*-->$/i.test(before),
        });
      }
    }
    i = end;
  }
  return out;
}

/** A module made of snippets, with where each of its lines came from. */
interface SnippetModule {
  fileName: string;
  text: string;
  /** For each line of `text` (0-based): its snippet and line in the Markdown file. */
  origin: { snippet: Snippet; mdLine: number }[];
}

/** Groups snippets into modules: per file and target, standalone blocks alone. */
function buildModules(snippets: readonly Snippet[]): SnippetModule[] {
  const modules = new Map<string, SnippetModule>();
  for (const s of snippets) {
    const key = s.standalone ? `${s.file}#${s.index}` : `${s.file}@${s.target}`;
    let m = modules.get(key);
    if (m === undefined) {
      const safe = key.replace(/[^A-Za-z0-9]+/g, '_');
      // Virtual files under the project root, so package.json's "type": "module" applies.
      m = { fileName: join(root, 'test', 'docs', `__snippet_${safe}.ts`), text: '', origin: [] };
      modules.set(key, m);
    }
    const lines = s.code.split('\n');
    lines.forEach((l, i) => {
      m.text += l + '\n';
      m.origin.push({ snippet: s, mdLine: s.line + i });
    });
  }
  // Each module is an ES module even when its blocks import nothing.
  for (const m of modules.values()) {
    if (!/^\s*(import|export)\s/m.test(m.text)) m.text += 'export {};\n';
  }
  return [...modules.values()];
}

/** The project's compiler options, for checking only. */
function compilerOptions(): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (config.error !== undefined) {
    throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  }
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    // Snippets name results to show them (`const [typ, data] = ...`).
    noUnusedLocals: false,
    noUnusedParameters: false,
  };
}

/** Type-checks the modules in one program; returns one readable line per error. */
function checkModules(modules: readonly SnippetModule[]): string[] {
  const options = compilerOptions();
  const virtual = new Map(modules.map((m) => [m.fileName, m]));
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f)?.text ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, onError, create) => {
    const m = virtual.get(f);
    if (m !== undefined) return ts.createSourceFile(f, m.text, lang, true);
    return getSourceFile.call(host, f, lang, onError, create);
  };
  const cache = ts.createModuleResolutionCache(root, (f) => f, options);
  host.resolveModuleNameLiterals = (literals, containingFile, redirect, opts, sourceFile) =>
    literals.map((lit) => {
      const mapped = virtual.has(containingFile) ? SPECIFIERS[lit.text] : undefined;
      if (mapped !== undefined) {
        return {
          resolvedModule: {
            resolvedFileName: join(root, mapped),
            extension: ts.Extension.Ts,
            isExternalLibraryImport: false,
          },
        };
      }
      const mode = ts.getModeForUsageLocation(sourceFile, lit, opts);
      return ts.resolveModuleName(lit.text, containingFile, opts, host, cache, redirect, mode);
    });

  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  const errors: string[] = [];
  for (const d of program.getGlobalDiagnostics()) {
    errors.push(`(global) TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  }
  for (const m of modules) {
    const sf = program.getSourceFile(m.fileName)!;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(sf),
      ...program.getSemanticDiagnostics(sf),
    ];
    for (const d of diagnostics) {
      const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
      if (d.start === undefined) {
        errors.push(`${relative(root, m.fileName)}: TS${d.code}: ${message}`);
        continue;
      }
      const { line, character } = sf.getLineAndCharacterOfPosition(d.start);
      const at = m.origin[line] ?? m.origin[m.origin.length - 1]!;
      const s = at.snippet;
      errors.push(
        `${s.file}:${at.mdLine}:${character + 1} (${s.target} block ${s.index}, starting at line ${s.line}): ` +
          `TS${d.code}: ${message}\n    ${m.text.split('\n')[line]?.trim() ?? ''}`,
      );
    }
  }
  return errors;
}

/** README.md and docs/*.md. */
function markdownFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

function allSnippets(): Snippet[] {
  return markdownFiles().flatMap((f) => extractSnippets(f, readFileSync(join(root, f), 'utf8')));
}

describe('documentation snippets', () => {
  it('every ```ts block of README.md and docs/*.md type-checks against the sources', () => {
    const snippets = allSnippets();
    expect(snippets.length).toBeGreaterThan(5);
    const errors = checkModules(buildModules(snippets));
    if (errors.length > 0) {
      throw new Error(
        `${errors.length} documentation snippet error(s):\n${errors.join('\n')}\n` +
          'Fix the snippet (or, for a deliberately partial one, see the conventions in test/docs/snippets.test.ts).',
      );
    }
  }, 60_000);

  it('a snippet that does not compile is reported with its file, block, line and error', () => {
    const md = [
      '# t',
      '',
      '```ts',
      "import { ImapClient } from 'imapkit';",
      "const client = await ImapClient.connect({ host: 'h', port: 993 });",
      '```',
      '',
      '```ts nocheck',
      'not checked at all {',
      '```',
      '',
      '```ts',
      'await client.mailboxOpen(42); // wrong: a path is a string',
      '```',
    ].join('\n');
    const snippets = extractSnippets('docs/example.md', md);
    expect(snippets.map((s) => [s.index, s.line])).toEqual([
      [1, 4],
      [3, 13],
    ]);
    const errors = checkModules(buildModules(snippets));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^docs\/example\.md:13:\d+ \(imapkit block 3, starting at line 13\): TS2345: Argument of type 'number' is not assignable to parameter of type 'string'/,
    );
  }, 60_000);

  it('standalone blocks are modules of their own; imapflow blocks check against imapflow', () => {
    const md = [
      '```ts',
      'const x = 1;',
      '```',
      '<!-- snippet: standalone -->',
      '```ts',
      'const x = "own module";',
      '```',
      '```ts imapflow',
      "import { ImapFlow } from 'imapflow';",
      "const client = new ImapFlow({ host: 'h', auth: { user: 'u', pass: 'p' } });",
      'await client.connect();',
      '```',
    ].join('\n');
    const snippets = extractSnippets('docs/example.md', md);
    expect(snippets.map((s) => [s.target, s.standalone])).toEqual([
      ['imapkit', false],
      ['imapkit', true],
      ['imapflow', false],
    ]);
    expect(checkModules(buildModules(snippets))).toEqual([]);

    // ImapFlow's own types apply to imapflow blocks: a wrong option is caught.
    const wrong = extractSnippets(
      'docs/example.md',
      [
        '```ts imapflow',
        "import { ImapFlow } from 'imapflow';",
        "new ImapFlow({ host: 'h', auth: { username: 'u', pass: 'p' } });",
        '```',
      ].join('\n'),
    );
    const errors = checkModules(buildModules(wrong));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('imapflow block 1');
  }, 60_000);
});
