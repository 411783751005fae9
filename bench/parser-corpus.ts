/**
 * Deterministic corpus of realistic FETCH responses for the parser benchmark:
 * `* n FETCH (UID n FLAGS (...) INTERNALDATE "..." RFC822.SIZE n ENVELOPE (...)
 * BODYSTRUCTURE (...))`, mixing plain text, multipart/alternative,
 * attachments, forwarded message/rfc822, encoded-word subjects and some
 * literals in envelope fields.
 */

/** A small seeded PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  'Alice',
  'Bob',
  'Carol',
  'Dave',
  'Eve',
  'Frank',
  'Grace',
  'Heidi',
  'Ivan',
  'Judy',
  'Mallory',
  'Olivia',
  'Peggy',
  'Trent',
  'Victor',
  'Walter',
  'José',
  'Zoë',
  'Łukasz',
  'Søren',
];
const LAST = [
  'Smith',
  'Jones',
  'Brown',
  'Taylor',
  'Wilson',
  'Davies',
  'Evans',
  'Thomas',
  'Johnson',
  'Roberts',
  'Müller',
  'García',
  'Nowak',
  'Kowalski',
  'Rossi',
];
const DOMAINS = [
  'example.com',
  'example.org',
  'mail.example.net',
  'corp.example.co.uk',
  'lists.example.io',
  'gmail.com',
  'outlook.com',
];
const WORDS = [
  'quarterly',
  'report',
  'meeting',
  'notes',
  'invoice',
  'follow-up',
  'project',
  'update',
  'lunch',
  'tomorrow',
  'review',
  'draft',
  'proposal',
  'budget',
  'release',
  'schedule',
  'question',
  'about',
  'the',
  'new',
  'plan',
  'for',
  'Q3',
  'final',
  'version',
];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const FLAGSETS = [
  '',
  '\\Seen',
  '\\Seen \\Answered',
  '\\Seen \\Flagged',
  '\\Seen $Forwarded',
  '\\Draft',
  '\\Seen \\Answered $Label1 NonJunk',
  '$Junk',
];

/** Builds the corpus: `count` responses as one Buffer (deterministic for a seed). */
export function buildParserCorpus(count = 100_000, seed = 1): Buffer {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const pad = (n: number): string => (n < 10 ? '0' + n : String(n));

  const quote = (s: string): string => {
    if (/[\u0080-\uffff]/.test(s)) {
      // Non-ASCII header text: mostly RFC 2047 encoded words, sometimes raw UTF-8
      // in a quoted string, sometimes a literal.
      const x = r();
      if (x < 0.7) return `"=?UTF-8?B?${Buffer.from(s).toString('base64')}?="`;
      if (x < 0.9) return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
      return `{${Buffer.byteLength(s)}}\r\n${s}`;
    }
    if (/["\\]/.test(s) && r() < 0.1) return `{${Buffer.byteLength(s)}}\r\n${s}`;
    return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
  };
  const words = (n: number): string => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(pick(WORDS));
    return out.join(' ');
  };
  const person = (): [string, string, string] => {
    const first = pick(FIRST);
    const last = pick(LAST);
    return [
      `${first} ${last}`,
      `${first.toLowerCase()}.${last.toLowerCase()}`.replace(/[^a-z.]/g, 'x'),
      pick(DOMAINS),
    ];
  };
  const addr = (): string => {
    const [name, box, host] = person();
    return `(${r() < 0.15 ? 'NIL' : quote(name)} NIL "${box}" "${host}")`;
  };
  const addrList = (min: number, max: number): string => {
    const n = int(min, max);
    if (n === 0) return 'NIL';
    let s = '(';
    for (let i = 0; i < n; i++) s += addr();
    return s + ')';
  };
  const subject = (): string => {
    const plain = words(int(2, 8));
    const x = r();
    if (x < 0.15) return `"=?UTF-8?B?${Buffer.from(plain + ' ✓').toString('base64')}?="`;
    if (x < 0.25) return `"=?ISO-8859-1?Q?${plain.replace(/ /g, '_')}_=E9t=E9?="`;
    if (x < 0.3) return quote(`Re: ${plain} — “quoted”`);
    if (x < 0.35) return quote(`He said "${plain}"`);
    return quote((r() < 0.3 ? 'Re: ' : '') + plain);
  };
  const date = (): string =>
    `"${pick(DAYS)}, ${int(1, 28)} ${pick(MONTHS)} ${int(2015, 2025)} ${pad(int(0, 23))}:${pad(int(0, 59))}:${pad(int(0, 59))} +0${int(0, 9)}00"`;
  const msgid = (): string =>
    `"<${int(1e8, 9e8)}.${int(1000, 9999)}.${int(1e5, 9e5)}@${pick(DOMAINS)}>"`;
  const envelope = (): string => {
    const from = addrList(1, 1);
    return `(${date()} ${subject()} ${from} ${from} ${from} ${addrList(1, 3)} ${r() < 0.3 ? addrList(1, 2) : 'NIL'} NIL ${r() < 0.4 ? msgid() : 'NIL'} ${msgid()})`;
  };

  const textPart = (sub: 'PLAIN' | 'HTML', ext: boolean): string => {
    const size = int(200, 40_000);
    const enc = pick(['"7BIT"', '"QUOTED-PRINTABLE"', '"BASE64"', '"8BIT"']);
    const cs = pick(['"UTF-8"', '"utf-8"', '"ISO-8859-1"', '"us-ascii"']);
    return `("TEXT" "${sub}" ("CHARSET" ${cs}${r() < 0.2 ? ' "FORMAT" "flowed"' : ''}) NIL NIL ${enc} ${size} ${Math.ceil(size / 60)}${ext ? ' NIL NIL NIL NIL' : ''})`;
  };
  const alternative = (): string =>
    `(${textPart('PLAIN', true)}${textPart('HTML', true)} "ALTERNATIVE" ("BOUNDARY" "----=_Part_${int(1e6, 9e6)}_${int(1e8, 9e8)}") NIL NIL NIL)`;
  const attachment = (): string => {
    const kind = pick([
      ['"APPLICATION"', '"PDF"', 'report.pdf'],
      ['"IMAGE"', '"JPEG"', 'IMG_2041.jpg'],
      ['"IMAGE"', '"PNG"', 'screenshot.png'],
      [
        '"APPLICATION"',
        '"VND.OPENXMLFORMATS-OFFICEDOCUMENT.SPREADSHEETML.SHEET"',
        'budget Q3.xlsx',
      ],
      ['"APPLICATION"', '"OCTET-STREAM"', 'data.bin'],
    ] as const);
    const size = int(5_000, 2_000_000);
    return `(${kind[0]} ${kind[1]} ("NAME" "${kind[2]}") ${r() < 0.3 ? `"<part${int(1, 99)}.${int(1e6, 9e6)}@${pick(DOMAINS)}>"` : 'NIL'} NIL "BASE64" ${size} NIL ("ATTACHMENT" ("FILENAME" "${kind[2]}"${r() < 0.3 ? ` "SIZE" "${size}"` : ''})) NIL NIL)`;
  };
  const rfc822 = (): string => {
    const inner = r() < 0.5 ? textPart('PLAIN', true) : alternative();
    const size = int(2_000, 80_000);
    return `("MESSAGE" "RFC822" NIL NIL NIL "7BIT" ${size} ${envelope()} ${inner} ${Math.ceil(size / 70)} NIL ("ATTACHMENT" NIL) NIL NIL)`;
  };
  const bodystructure = (): string => {
    const x = r();
    if (x < 0.3) return textPart('PLAIN', true);
    if (x < 0.6) return alternative();
    if (x < 0.9) {
      let s = '(' + (r() < 0.5 ? alternative() : textPart('PLAIN', true));
      const n = int(1, 3);
      for (let i = 0; i < n; i++) s += attachment();
      return s + ` "MIXED" ("BOUNDARY" "b1_${int(1e8, 9e8)}") NIL NIL NIL)`;
    }
    return `(${textPart('PLAIN', true)}${rfc822()} "MIXED" ("BOUNDARY" "fwd_${int(1e8, 9e8)}") NIL NIL NIL)`;
  };

  const chunks: Buffer[] = [];
  let uid = 1000;
  for (let i = 1; i <= count; i++) {
    uid += int(1, 5);
    const line =
      `* ${i} FETCH (UID ${uid} FLAGS (${pick(FLAGSETS)}) INTERNALDATE "${pad(int(1, 28))}-${pick(MONTHS)}-${int(2015, 2025)} ${pad(int(0, 23))}:${pad(int(0, 59))}:${pad(int(0, 59))} +0000" ` +
      `RFC822.SIZE ${int(1_000, 3_000_000)} ENVELOPE ${envelope()} BODYSTRUCTURE ${bodystructure()})\r\n`;
    chunks.push(Buffer.from(line, 'utf8'));
  }
  return Buffer.concat(chunks);
}
