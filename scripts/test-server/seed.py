#!/usr/bin/env python3
"""Deterministic mail seeding for imapkit's test Dovecot (standard library only).

Writes Maildir++ folders directly (cur/ files with ":2," flag suffixes, a
dovecot-uidlist with fixed UIDVALIDITY and UIDs, a dovecot-keywords file, file
mtimes = INTERNALDATE), so that every run produces the same bytes, the same
UIDs and the same UIDVALIDITY values. Dovecot indexes the folders on first
access. What is seeded is documented in SEED.md beside this file.

Subcommands:
  small --mail-root DIR --summary FILE     alice, bob, carol
  large --mail-root DIR --count N --summary FILE   bench
  large-version, small-version             print a generator's version
  subscriptions --summary FILE             print "user<TAB>mailbox" to subscribe
  verify --summary FILE --doveadm CMD      compare Dovecot's view with the summary
  doc --summary FILE                       print the Markdown tables used in SEED.md
  mutf7 NAME                               print NAME in modified UTF-7
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import random
import shlex
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field

SMALL_VERSION = "1"
LARGE_VERSION = "1"

# Maildir flag letters. Keywords are stored as letters a..z through the
# per-folder dovecot-keywords file.
FLAG_LETTERS = {"\\Draft": "D", "\\Flagged": "F", "\\Answered": "R", "\\Seen": "S", "\\Deleted": "T"}
KEYWORD_ORDER = ["$Forwarded", "Work", "$Junk", "$NotJunk", "Urgent"]

UTC = dt.timezone.utc


# ---------------------------------------------------------------------------
# Modified UTF-7 (RFC 3501 5.1.3), as Dovecot's Maildir++ layout stores names
# ---------------------------------------------------------------------------


def mutf7_encode(name: str) -> str:
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            b64 = base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",")
            out.append("&" + b64 + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def folder_dir(maildir: str, name: str) -> str:
    """On-disk directory of mailbox NAME (separator '/') in a Maildir++ root."""
    if name == "INBOX":
        return maildir
    parts = name.split("/")
    for p in parts:
        if not p or "." in p or p.startswith("~"):
            raise ValueError(f"mailbox name not representable in Maildir++: {name!r}")
    return os.path.join(maildir, "." + ".".join(mutf7_encode(p) for p in parts))


# ---------------------------------------------------------------------------
# Messages and Maildir writing
# ---------------------------------------------------------------------------


@dataclass
class Msg:
    data: bytes
    internal: int  # INTERNALDATE, unix seconds (file mtime)
    flags: list[str] = field(default_factory=list)  # e.g. ["\\Seen", "Work"]
    tag: str = ""  # name of a special message (documented in SEED.md)
    subject: str = ""
    sender: str = ""


def to_bytes(text: str, charset: str = "utf-8") -> bytes:
    b = text.encode(charset)
    assert b"\r" not in b, "seed messages are stored with LF line ends only"
    if not b.endswith(b"\n"):
        b += b"\n"
    return b


def write_file(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    finally:
        os.close(fd)


def write_mailbox(maildir: str, name: str, msgs: list[Msg], uidvalidity: int, box_index: int,
                  user: str) -> dict:
    """Write MSGS as Maildir files of mailbox NAME; return its summary."""
    d = folder_dir(maildir, name)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    if name != "INBOX":
        with open(os.path.join(d, "maildirfolder"), "wb"):
            pass
    keywords = [k for k in KEYWORD_ORDER if any(k in m.flags for m in msgs)]
    for m in msgs:
        for f in m.flags:
            if not f.startswith("\\") and f not in KEYWORD_ORDER:
                raise ValueError(f"unknown keyword {f}")
    kw_letter = {k: chr(ord("a") + i) for i, k in enumerate(keywords)}
    lines = []
    counts = {"messages": len(msgs), "unseen": 0, "flagged": 0, "answered": 0, "deleted": 0,
              "draft": 0, "keywords": {k: 0 for k in keywords}, "vsize": 0, "size": 0}
    cur = os.path.join(d, "cur")
    for i, m in enumerate(msgs):
        uid = i + 1
        size = len(m.data)
        vsize = size + m.data.count(b"\n")
        base = f"{m.internal}.M{uid}P{box_index}.imapkit,S={size},W={vsize}"
        letters = "".join(sorted(FLAG_LETTERS[f] if f.startswith("\\") else kw_letter[f]
                                 for f in set(m.flags)))
        path = os.path.join(cur, f"{base}:2,{letters}")
        write_file(path, m.data)
        os.utime(path, (m.internal, m.internal))
        lines.append(f"{uid} :{base}\n")
        if "\\Seen" not in m.flags:
            counts["unseen"] += 1
        for f, key in (("\\Flagged", "flagged"), ("\\Answered", "answered"),
                       ("\\Deleted", "deleted"), ("\\Draft", "draft")):
            if f in m.flags:
                counts[key] += 1
        for k in keywords:
            if k in m.flags:
                counts["keywords"][k] += 1
        counts["vsize"] += vsize
        counts["size"] += size
    guid = hashlib.md5(f"imapkit/{user}/{name}".encode()).hexdigest()
    with open(os.path.join(d, "dovecot-uidlist"), "w", encoding="ascii") as f:
        f.write(f"3 V{uidvalidity} N{len(msgs) + 1} G{guid}\n")
        f.writelines(lines)
    if keywords:
        with open(os.path.join(d, "dovecot-keywords"), "w", encoding="utf-8") as f:
            for i, k in enumerate(keywords):
                f.write(f"{i} {k}\n")
    counts["uidvalidity"] = uidvalidity
    counts["uidnext"] = len(msgs) + 1
    return counts


# ---------------------------------------------------------------------------
# Text generation
# ---------------------------------------------------------------------------

WORDS = """
the of and to a in that is was for on are with as be at by this have from or
had not but what all were when we there can an your which their said if do
will each about how up out them then she many some so these would other into
has more her two like him see time could no make than first been its who now
people my made over did down only way find use may water long little very after
words called just where most know get through back much go good new write our
me man too any day same right look think also around another came come work
three word must because does part even place well such here take why things
help put years different away again off went old number great tell men say
small every found still between name should home big give air line set own
under read last never us left end along while might next sound below saw
something thought both few those always looked show large often together asked
house world going want school important until form food keep children feet
land side without boy once animals life enough took sometimes four head above
kind began almost live page got earth need far hand high year mother light
parts country father let night following picture being study second eyes soon
times story boys since white days ever paper hard near sentence better best
across during today others however sure means knew its try told young miles
sun ways thing whole hear example heard several change answer room sea against
top turned learn point city play toward five using himself usually project
meeting budget schedule review release server client deadline report customer
contract proposal draft feedback update quarter team office
""".split()

FIRST = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
         "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter",
         "Yolanda", "Zoe", "Oscar", "Quentin", "Uma", "Xavier"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker",
        "Wright", "Hall", "Green", "Baker", "Clarke", "Turner", "Hill", "Moore", "Cooper"]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "corp.example.org"]

TOPICS = ["budget", "roadmap", "release", "offsite", "hiring", "migration", "database upgrade",
          "security review", "customer feedback", "launch plan", "design review", "Q3 targets",
          "on-call rotation", "API changes", "vendor contract", "travel booking", "team lunch",
          "performance review", "backup policy", "conference talk"]
SUBJECT_FORMS = ["{t}", "Re: {t}", "Update on the {t}", "Question about the {t}",
                 "Notes from the {t} meeting", "Fwd: {t}", "[team] {t}", "Reminder: {t}",
                 "Draft: {t} proposal", "Action needed: {t}"]


def sentence(rng: random.Random) -> str:
    n = rng.randint(6, 18)
    words = [rng.choice(WORDS) for _ in range(n)]
    s = " ".join(words)
    return s[0].upper() + s[1:] + rng.choice([".", ".", ".", "?", "!"])


def paragraph(rng: random.Random) -> str:
    text = " ".join(sentence(rng) for _ in range(rng.randint(2, 7)))
    return textwrap.fill(text, width=72)


def body_text(rng: random.Random, target: int, greeting: str = "Hi Alice,",
              signature: str = "") -> str:
    parts = [greeting, ""]
    size = len(greeting)
    while size < target:
        p = paragraph(rng)
        parts += [p, ""]
        size += len(p) + 2
    parts += ["Best regards,", signature or "-- ", ""]
    return "\n".join(parts)


def b64_lines(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")  # 76-char lines, trailing \n


def fake_pdf(rng: random.Random, n: int) -> bytes:
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    return head + rng.randbytes(max(0, n - len(head) - 6)) + b"%%EOF\n"


def fake_png(rng: random.Random, n: int) -> bytes:
    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x00\xc0\x08\x02\x00\x00\x00"
    return head + rng.randbytes(max(0, n - len(head)))


def html_of(text: str) -> str:
    paras = [p for p in text.split("\n\n") if p.strip()]
    body = "\n".join("<p>" + p.replace("&", "&amp;").replace("<", "&lt;").replace("\n", " ") + "</p>"
                     for p in paras)
    wrapped = "\n".join(textwrap.wrap(body, width=76, break_long_words=False,
                                      break_on_hyphens=False))
    return ("<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"></head>\n<body>\n"
            + wrapped + "\n</body>\n</html>\n")


def fmt_date(ts: int, offset_minutes: int) -> str:
    tz = dt.timezone(dt.timedelta(minutes=offset_minutes))
    d = dt.datetime.fromtimestamp(ts, tz)
    sign = "+" if offset_minutes >= 0 else "-"
    off = abs(offset_minutes)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return (f"{days[d.weekday()]}, {d.day} {months[d.month - 1]} {d.year} "
            f"{d.hour:02d}:{d.minute:02d}:{d.second:02d} {sign}{off // 60:02d}{off % 60:02d}")


def ts_of(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> int:
    return int(dt.datetime(y, mo, d, h, mi, s, tzinfo=UTC).timestamp())


TZ_CYCLE = [0, -300, 60, 120, 540, -480, 330, 0, -240, 600]


class Builder:
    """Builds one user's messages with common headers."""

    def __init__(self, user_addr: str, user_name: str, domain_tag: str):
        self.user_addr = user_addr
        self.user_name = user_name
        self.tag = domain_tag
        self.n = 0

    def headers(self, *, ts: int, tz: int, frm: str, to: str | None = None, subject: str | None,
                msgid: str | None = None, extra: list[str] | None = None,
                received_from: str = "mx.example.net") -> list[str]:
        self.n += 1
        to = to or f"{self.user_name} <{self.user_addr}>"
        msgid = msgid or f"<{self.tag}.{self.n:05d}@seed.imapkit.test>"
        h = [
            f"Return-Path: <{addr_of(frm)}>",
            f"Delivered-To: {self.user_addr}",
            f"Received: from {received_from} ({received_from} [192.0.2.{10 + self.n % 200}])",
            f"\tby imap.imapkit.test (Postfix) with ESMTPS id {self.tag.upper()}{self.n:06X}",
            f"\tfor <{self.user_addr}>; {fmt_date(ts + 5, 0)}",
            f"Message-ID: {msgid}",
            f"Date: {fmt_date(ts, tz)}",
            f"From: {frm}",
            f"To: {to}",
        ]
        if subject is not None:
            h.append(f"Subject: {subject}")
        h += extra or []
        h.append("MIME-Version: 1.0")
        return h


def addr_of(mailbox: str) -> str:
    if "<" in mailbox:
        return mailbox[mailbox.index("<") + 1:mailbox.index(">")]
    return mailbox


def plain(h: list[str], body: str, charset: str = "us-ascii", cte: str = "7bit") -> str:
    return "\n".join(h + [f"Content-Type: text/plain; charset={charset}",
                          f"Content-Transfer-Encoding: {cte}", "", body])


def alternative(h: list[str], text: str, boundary: str) -> str:
    return "\n".join(h + [
        f'Content-Type: multipart/alternative; boundary="{boundary}"', "",
        "This is a multi-part message in MIME format.", "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 7bit", "", text,
        f"--{boundary}",
        "Content-Type: text/html; charset=utf-8",
        "Content-Transfer-Encoding: 7bit", "", html_of(text),
        f"--{boundary}--", ""])


def mixed(h: list[str], text: str, boundary: str,
          attachments: list[tuple[str, str, bytes]]) -> str:
    parts = h + [f'Content-Type: multipart/mixed; boundary="{boundary}"', "",
                 "This is a multi-part message in MIME format.", "",
                 f"--{boundary}",
                 "Content-Type: text/plain; charset=us-ascii",
                 "Content-Transfer-Encoding: 7bit", "", text]
    for ctype, filename, data in attachments:
        parts += [f"--{boundary}",
                  f'Content-Type: {ctype}; name="{filename}"',
                  f'Content-Disposition: attachment; filename="{filename}"',
                  "Content-Transfer-Encoding: base64", "", b64_lines(data).rstrip("\n")]
    parts += [f"--{boundary}--", ""]
    return "\n".join(parts)


def person(rng: random.Random) -> str:
    f, l = rng.choice(FIRST), rng.choice(LAST)
    return f"{f} {l} <{f.lower()}.{l.lower()}@{rng.choice(DOMAINS)}>"


# ---------------------------------------------------------------------------
# alice, bob, carol
# ---------------------------------------------------------------------------

ALICE = "Alice Anderson <alice@example.com>"
BOB = "Bob Brown <bob@example.com>"
CAROL = "Carol Clark <carol@example.com>"
BILLING = "Example Billing <billing@example.com>"

INBOX_START = ts_of(2024, 1, 1, 8, 0, 0)
INBOX_STEP = 36 * 3600  # message n has Date = INBOX_START + (n-1)*36h


def q_encode_word(text: str, charset: str) -> str:
    out = []
    for b in text.encode(charset):
        c = chr(b)
        if c == " ":
            out.append("_")
        elif c.isalnum() and b < 128:
            out.append(c)
        else:
            out.append(f"={b:02X}")
    return f"=?{charset.upper()}?Q?{''.join(out)}?="


def b_encode_word(text: str, charset: str = "UTF-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def qp_encode(text: str, charset: str) -> str:
    import quopri
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def alice_inbox() -> list[Msg]:
    rng = random.Random(20240101)
    b = Builder("alice@example.com", "Alice Anderson", "a")
    msgs: list[Msg] = []

    def date_of(seq: int) -> tuple[int, int]:
        return INBOX_START + (seq - 1) * INBOX_STEP, TZ_CYCLE[seq % len(TZ_CYCLE)]

    def add(seq: int, raw: str | bytes, flags: list[str], tag: str, subject: str, frm: str):
        assert len(msgs) + 1 == seq, (seq, len(msgs))
        ts, _ = date_of(seq)
        data = raw if isinstance(raw, bytes) else to_bytes(raw)
        # INTERNALDATE: delivered 37 s + (seq % 7) minutes after the Date header
        msgs.append(Msg(data, ts + 37 + 60 * (seq % 7), flags, tag, subject, addr_of(frm)))

    S, F, A = "\\Seen", "\\Flagged", "\\Answered"

    # 1 plain text
    seq = 1
    ts, tz = date_of(seq)
    subj = "Welcome to imapkit"
    frm = "Imapkit Team <team@imapkit.test>"
    add(seq, plain(b.headers(ts=ts, tz=tz, frm=frm, subject=subj),
                   "Hi Alice,\n\nWelcome to your seeded test mailbox. This first message is\n"
                   "plain US-ASCII text with a few lines.\n\nLine three.\n\n-- \nThe imapkit team\n"),
        [S], "plain", subj, frm)

    # 2 multipart/alternative
    seq = 2
    ts, tz = date_of(seq)
    subj = "Your weekly digest"
    frm = "Example News <news@example.org>"
    add(seq, alternative(b.headers(ts=ts, tz=tz, frm=frm, subject=subj,
                                   extra=["List-Id: <weekly.example.org>",
                                          "List-Unsubscribe: <mailto:unsubscribe@example.org>"]),
                         body_text(rng, 1800, "Hello Alice,", "Example News"), "=_alt_0002"),
        [S], "alternative", subj, frm)

    # 3 multipart/mixed with PDF
    seq = 3
    ts, tz = date_of(seq)
    subj = "Quarterly report Q1"
    add(seq, mixed(b.headers(ts=ts, tz=tz, frm=BOB, subject=subj),
                   body_text(rng, 600, "Hi Alice,", "Bob"), "=_mixed_0003",
                   [("application/pdf", "report-q1.pdf", fake_pdf(rng, 48_000))]),
        [S, F], "attachment-pdf", subj, BOB)

    # 4 multipart/mixed with PNG
    seq = 4
    ts, tz = date_of(seq)
    subj = "Photo from the trip"
    frm = "Carol Clark <carol@example.com>"
    add(seq, mixed(b.headers(ts=ts, tz=tz, frm=frm, subject=subj),
                   "Hi Alice,\n\nHere is the photo from the lake.\n\nCarol\n", "=_mixed_0004",
                   [("image/png", "lake.png", fake_png(rng, 30_000))]),
        [S, A], "attachment-png", subj, frm)

    # 5 forwarded message/rfc822 inside multipart/mixed
    seq = 5
    ts, tz = date_of(seq)
    subj = "Fwd: Meeting notes"
    inner = "\n".join([
        "Message-ID: <inner.0005@seed.imapkit.test>",
        f"Date: {fmt_date(ts - 86400, 120)}",
        "From: Dave Jones <dave.jones@example.net>",
        "To: Bob Brown <bob@example.com>",
        "Subject: Meeting notes",
        "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="=_inner_alt"',
        "",
        "--=_inner_alt",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "Notes from today's meeting:\n\n1. Budget approved.\n2. Release moves to May.\n",
        "--=_inner_alt",
        "Content-Type: text/html; charset=us-ascii",
        "",
        "<p>Notes from today's meeting:</p><ol><li>Budget approved.</li>"
        "<li>Release moves to May.</li></ol>",
        "--=_inner_alt--",
        ""])
    h = b.headers(ts=ts, tz=tz, frm=BOB, subject=subj)
    raw = "\n".join(h + ['Content-Type: multipart/mixed; boundary="=_fwd_0005"', "",
                         "--=_fwd_0005", "Content-Type: text/plain; charset=us-ascii", "",
                         "Alice, see the notes below.\n\nBob\n",
                         "--=_fwd_0005", "Content-Type: message/rfc822",
                         'Content-Disposition: inline; filename="Meeting notes.eml"', "",
                         inner, "--=_fwd_0005--", ""])
    add(seq, raw, [S, "$Forwarded"], "message-rfc822", subj, BOB)

    # 6 RFC 2047 UTF-8 B subject and From name
    seq = 6
    ts, tz = date_of(seq)
    subj_u = "Grüße aus München ☕"
    frm = f"{b_encode_word('Jürgen Müller')} <juergen.mueller@example.de>"
    add(seq, plain(b.headers(ts=ts, tz=tz, frm=frm, subject=b_encode_word(subj_u)),
                   qp_encode("Hallo Alice,\n\nviele Grüße aus München! Der Kaffee ☕ ist gut.\n\n"
                             "Jürgen\n", "utf-8"), "utf-8", "quoted-printable"),
        [], "rfc2047-utf8-b", subj_u, frm)

    # 7 RFC 2047 UTF-8 Q subject and From name
    seq = 7
    ts, tz = date_of(seq)
    subj_u = "Café crème brûlée"
    frm = f"{q_encode_word('Zoë Åberg', 'utf-8')} <zoe.aberg@example.se>"
    add(seq, plain(b.headers(ts=ts, tz=tz, frm=frm, subject=q_encode_word(subj_u, "utf-8")),
                   "Hi Alice,\n\nThe recipe is attached in my head only.\n\nZoe\n"),
        [S], "rfc2047-utf8-q", subj_u, frm)

    # 8 ISO-8859-1 Q subject and From name, Latin-1 quoted-printable body
    seq = 8
    ts, tz = date_of(seq)
    subj_u = "Résumé de la réunion"
    frm = f"{q_encode_word('François Legère', 'iso-8859-1')} <francois.legere@example.fr>"
    add(seq, plain(b.headers(ts=ts, tz=tz, frm=frm, subject=q_encode_word(subj_u, "iso-8859-1")),
                   qp_encode("Bonjour Alice,\n\nVoici le résumé de la réunion: tout est réglé.\n\n"
                             "François\n", "iso-8859-1"), "ISO-8859-1", "quoted-printable"),
        [S], "rfc2047-latin1-q", subj_u, frm)

    # 9 8-bit UTF-8 body
    seq = 9
    ts, tz = date_of(seq)
    subj_u = "会議の議事録"
    frm = "Hiro Tanaka <hiro.tanaka@example.jp>"
    body = ("アリスさん、\n\n会議の議事録を送ります。日本語のテキストです。\n"
            "Ελληνικά: Καλημέρα κόσμε.\nРусский: Привет, мир.\nEmoji: 🎉 ✓ €\n\n田中\n")
    add(seq, plain(b.headers(ts=ts, tz=tz, frm=frm, subject=b_encode_word(subj_u)), body,
                   "utf-8", "8bit"),
        [], "8bit-utf8", subj_u, frm)

    # 10 very long header lines: a folded References (> 2000 chars) and an
    # unfolded 2500-char X-Long-Unfolded header
    seq = 10
    ts, tz = date_of(seq)
    subj = "Long headers"
    refs = [f"<ref.{i:03d}.long-thread-reference@seed.imapkit.test>" for i in range(50)]
    folded = "References: " + "\n\t".join(refs)
    unfolded = "X-Long-Unfolded: " + "".join(f"token{i:04d}-" for i in range(250))[:2500]
    frm = "Long Header Sender <long@example.com>"
    add(seq, plain(b.headers(ts=ts, tz=tz, frm=frm, subject=subj, extra=[folded, unfolded]),
                   "This message has a folded References header of more than 2000\n"
                   "characters and an unfolded header line of 2500 characters.\n"),
        [S], "long-headers", subj, frm)

    # 11 keyword Work + flagged
    seq = 11
    ts, tz = date_of(seq)
    subj = "Project Apollo kickoff"
    frm = "Grace Hall <grace.hall@example.com>"
    add(seq, plain(b.headers(ts=ts, tz=tz, frm=frm, subject=subj),
                   body_text(rng, 900, "Hi Alice,", "Grace")),
        [S, F, "Work"], "keyword-work", subj, frm)

    # 12 attachment with an RFC 2231 encoded non-ASCII file name
    seq = 12
    ts, tz = date_of(seq)
    subj = "Vertrag mit Änderungen"
    subj_h = b_encode_word(subj)
    frm = "Frank Wilson <frank.wilson@example.com>"
    h = b.headers(ts=ts, tz=tz, frm=frm, subject=subj_h)
    raw = "\n".join(h + ['Content-Type: multipart/mixed; boundary="=_mixed_0012"', "",
                         "--=_mixed_0012", "Content-Type: text/plain; charset=us-ascii", "",
                         "Please find the contract attached.\n",
                         "--=_mixed_0012",
                         "Content-Type: application/pdf; name*=UTF-8''Vertrag%20%C3%84nderungen.pdf",
                         "Content-Disposition: attachment;",
                         " filename*=UTF-8''Vertrag%20%C3%84nderungen.pdf",
                         "Content-Transfer-Encoding: base64", "",
                         b64_lines(fake_pdf(rng, 12_000)).rstrip("\n"),
                         "--=_mixed_0012--", ""])
    add(seq, raw, [S], "rfc2231-filename", subj, frm)

    # 13 no Subject header at all
    seq = 13
    ts, tz = date_of(seq)
    frm = "Ivan Moore <ivan.moore@example.net>"
    add(seq, plain(b.headers(ts=ts, tz=tz, frm=frm, subject=None),
                   "This message has no Subject header.\n"),
        [S], "no-subject", "", frm)

    # 14 HTML only
    seq = 14
    ts, tz = date_of(seq)
    subj = "HTML only newsletter"
    frm = "Shop <shop@example.net>"
    h = b.headers(ts=ts, tz=tz, frm=frm, subject=subj)
    add(seq, "\n".join(h + ["Content-Type: text/html; charset=utf-8",
                            "Content-Transfer-Encoding: 7bit", "",
                            html_of(body_text(rng, 1200, "Dear customer,", "The Shop"))]),
        [], "html-only", subj, frm)

    # 15 address forms for ENVELOPE: group syntax, Cc, Bcc, Reply-To, Sender
    seq = 15
    ts, tz = date_of(seq)
    subj = "Envelope address forms"
    frm = "Heidi Green <heidi.green@example.com>"
    add(seq, plain(b.headers(
        ts=ts, tz=tz, frm=frm, subject=subj,
        to="Team: alice@example.com, \"Bob Brown\" <bob@example.com>;, undisclosed-recipients:;",
        extra=["Cc: Carol Clark <carol@example.com>, dave.jones@example.net",
               "Bcc: audit@example.com",
               "Reply-To: Heidi Replies <replies@example.com>",
               "Sender: Assistant <assistant@example.com>",
               "In-Reply-To: <not-in-this-mailbox@example.com>"]),
        "This message exercises every ENVELOPE address field.\n"),
        [S], "envelope-addresses", subj, frm)

    # 16-18 a thread
    for k, seq in enumerate((16, 17, 18)):
        ts, tz = date_of(seq)
        subj = ("Re: " if k else "") + "Planning the offsite"
        frm = [BOB, ALICE, BOB][k]
        extra = []
        ids = [f"<thread.{i}@seed.imapkit.test>" for i in range(3)]
        if k:
            extra = [f"In-Reply-To: {ids[k - 1]}", "References: " + " ".join(ids[:k])]
        add(seq, plain(b.headers(ts=ts, tz=tz, frm=frm, subject=subj, msgid=ids[k], extra=extra),
                       body_text(rng, 500, "Hi,", frm.split()[0])),
            [[S], [S, A], []][k], f"thread-{k + 1}", subj, frm)

    # 19 raw (unencoded) UTF-8 in header fields
    seq = 19
    ts, tz = date_of(seq)
    subj = "Überraschung – raw UTF-8 header"
    frm = "Åsa Lindström <asa.lindstrom@example.se>"
    add(seq, plain(b.headers(ts=ts, tz=tz, frm=frm, subject=subj),
                   "The Subject and From of this message are raw 8-bit UTF-8.\n", "utf-8", "8bit"),
        [], "raw-utf8-header", subj, frm)

    # 20 multipart/related with an inline image referenced by Content-ID
    seq = 20
    ts, tz = date_of(seq)
    subj = "Invitation with inline logo"
    frm = "Events <events@example.org>"
    h = b.headers(ts=ts, tz=tz, frm=frm, subject=subj)
    raw = "\n".join(h + [
        'Content-Type: multipart/related; boundary="=_rel_0020"; type="text/html"', "",
        "--=_rel_0020", "Content-Type: text/html; charset=us-ascii", "",
        '<html><body><img src="cid:logo.0020@seed.imapkit.test"><p>You are invited.</p></body></html>',
        "--=_rel_0020", "Content-Type: image/png", "Content-ID: <logo.0020@seed.imapkit.test>",
        "Content-Disposition: inline", "Content-Transfer-Encoding: base64", "",
        b64_lines(fake_png(rng, 2_000)).rstrip("\n"), "--=_rel_0020--", ""])
    add(seq, raw, [S], "multipart-related", subj, frm)

    # 21 billing reminder
    seq = 21
    ts, tz = date_of(seq)
    subj = "Payment reminder: invoice INV-0007 is overdue"
    add(seq, plain(b.headers(ts=ts, tz=tz, frm=BILLING, subject=subj),
                   "Dear Alice,\n\nOur records show that invoice INV-0007 is overdue.\n\n"
                   "Example Billing\n"),
        [S, F], "invoice-reminder", subj, BILLING)

    # 22-300 ordinary mail; every 25th (25, 50, ..., 300) is an invoice from
    # billing@example.com; 160 has a 1 MB attachment.
    inv = 0
    for seq in range(22, 301):
        ts, tz = date_of(seq)
        flags = []
        if seq <= 260:
            flags.append(S)
        if seq % 17 == 0:
            flags.append(F)
        if seq % 11 == 0:
            flags.append(A)
        if seq % 23 == 0:
            flags.append("Work")
        if seq % 29 == 0:
            flags.append("$Forwarded")
        if seq % 25 == 0:
            inv += 1
            month = dt.datetime.fromtimestamp(ts, UTC).strftime("%B %Y")
            subj = f"Invoice INV-{inv:04d} for {month}"
            h = b.headers(ts=ts, tz=tz, frm=BILLING, subject=subj)
            add(seq, mixed(h, f"Dear Alice,\n\nplease find invoice INV-{inv:04d} attached.\n"
                              f"Amount due: {100 + inv * 7}.00 EUR\n\nExample Billing\n",
                           f"=_inv_{seq:04d}",
                           [("application/pdf", f"INV-{inv:04d}.pdf", fake_pdf(rng, 9_000))]),
                flags, "invoice", subj, BILLING)
            continue
        frm = person(rng)
        subj = rng.choice(SUBJECT_FORMS).format(t=rng.choice(TOPICS))
        h = b.headers(ts=ts, tz=tz, frm=frm, subject=subj)
        first = frm.split()[0]
        if seq == 160:
            subj = "Large attachment (1 MB)"
            h = b.headers(ts=ts, tz=tz, frm=frm, subject=subj)
            raw = mixed(h, "The full data set is attached.\n", "=_big_0160",
                        [("application/octet-stream", "dataset.bin", rng.randbytes(1_000_000))])
            add(seq, raw, flags, "large-1mb", subj, frm)
            continue
        kind = rng.random()
        text = body_text(rng, rng.randint(1500, 18000), "Hi Alice,", first)
        if kind < 0.65:
            raw = plain(h, text)
        elif kind < 0.85:
            raw = alternative(h, text[: max(1500, len(text) // 2)], f"=_alt_{seq:04d}")
        elif kind < 0.95:
            att = (("application/pdf", f"document-{seq}.pdf", fake_pdf(rng, rng.randint(5_000, 60_000)))
                   if rng.random() < 0.5 else
                   ("image/jpeg", f"IMG_{seq:04d}.jpg",
                    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(rng.randint(5_000, 60_000))))
            raw = mixed(h, text[:3000], f"=_mixed_{seq:04d}", [att])
        else:
            raw = plain(h, text[:4000] + "\nP.S. Ünïcödé sign-off — ¡hasta luego! ✓\n",
                        "utf-8", "8bit")
        add(seq, raw, flags, "", subj, frm)
    return msgs


def simple_msgs(b: Builder, rng: random.Random, start: int, count: int, step: int,
                frm_fn, subj_fn, flags_fn, to: str | None = None, greeting: str = "Hi,") -> list[Msg]:
    out = []
    for i in range(count):
        ts = start + i * step
        tz = TZ_CYCLE[i % len(TZ_CYCLE)]
        frm = frm_fn(i)
        subj = subj_fn(i)
        h = b.headers(ts=ts, tz=tz, frm=frm, subject=subj, to=to)
        raw = plain(h, body_text(rng, rng.randint(400, 3000), greeting, frm.split()[0]))
        out.append(Msg(to_bytes(raw), ts + 30, flags_fn(i), "", subj, addr_of(frm)))
    return out


def seed_small(mail_root: str, summary_path: str) -> None:
    summary: dict = {"version": SMALL_VERSION, "users": {}, "special": []}

    def put(user: str, boxes: list[tuple[str, list[Msg]]], subscribe: list[str]) -> None:
        maildir = os.path.join(mail_root, user, "Maildir")
        os.makedirs(maildir, exist_ok=True)
        info: dict = {"mailboxes": {}, "subscribe": subscribe}
        for idx, (name, msgs) in enumerate(boxes):
            uidvalidity = 1_700_000_000 + idx  # fixed and distinct per folder
            info["mailboxes"][name] = write_mailbox(maildir, name, msgs, uidvalidity, idx, user)
            for seq, m in enumerate(msgs, 1):
                if m.tag:
                    summary["special"].append({"user": user, "mailbox": name, "seq": seq, "uid": seq,
                                               "tag": m.tag, "subject": m.subject, "from": m.sender,
                                               "flags": sorted(m.flags),
                                               "rfc822_size": len(m.data) + m.data.count(b"\n"),
                                               "internaldate": m.internal})
        summary["users"][user] = info

    S = "\\Seen"
    # ---- alice
    b = Builder("alice@example.com", "Alice Anderson", "a")
    b.n = 1000
    rng = random.Random(7)
    inbox = alice_inbox()
    sent = simple_msgs(b, rng, ts_of(2024, 3, 1, 9), 5, 7 * 86400, lambda i: ALICE,
                       lambda i: ["Re: Planning the offsite", "Lunch on Friday?",
                                  "Re: Quarterly report Q1", "Slides for Monday",
                                  "Re: Invoice INV-0002 for March 2024"][i],
                       lambda i: [S], to=BOB, greeting="Hi Bob,")
    drafts = simple_msgs(b, rng, ts_of(2025, 5, 1, 18), 2, 86400, lambda i: ALICE,
                         lambda i: ["Unfinished thoughts", "Draft: vacation request"][i],
                         lambda i: ["\\Draft"], to=CAROL, greeting="Hi Carol,")
    trash = simple_msgs(b, rng, ts_of(2024, 6, 1, 12), 1, 86400, person_fn(rng),
                        lambda i: "Old newsletter", lambda i: [S, "\\Deleted"])
    junk = simple_msgs(b, rng, ts_of(2025, 2, 2, 3), 2, 86400,
                       lambda i: ["Prize Dept <winner@lottery.example.net>",
                                  "Pharmacy <deals@pills.example.net>"][i],
                       lambda i: ["You have WON!!!", "Cheap pills"][i], lambda i: ["$Junk"])
    arch24 = simple_msgs(b, rng, ts_of(2024, 1, 15, 10), 10, 30 * 86400, person_fn(rng),
                         lambda i: f"2024 archive item {i + 1}", lambda i: [S])
    arch25 = simple_msgs(b, rng, ts_of(2025, 1, 15, 10), 5, 30 * 86400, person_fn(rng),
                         lambda i: f"2025 archive item {i + 1}", lambda i: [S])
    aerger = simple_msgs(b, rng, ts_of(2025, 3, 3, 8), 3, 86400,
                         lambda i: f"{b_encode_word('Jürgen Müller')} <juergen.mueller@example.de>",
                         lambda i: [b_encode_word("Ärger mit dem Server"),
                                    b_encode_word("Re: Ärger mit dem Server"),
                                    "Server wieder OK"][i],
                         lambda i: [S] if i < 2 else [], greeting="Hallo Alice,")
    nihongo = []
    for i in range(2):
        ts = ts_of(2025, 4, 4, 9) + i * 86400
        subj_u = ["日本語のフォルダー", "Re: 日本語のフォルダー"][i]
        h = b.headers(ts=ts, tz=540, frm="Hiro Tanaka <hiro.tanaka@example.jp>",
                      subject=b_encode_word(subj_u))
        raw = plain(h, f"アリスさん、\n\nテストメッセージ {i + 1} です。\n\n田中\n", "utf-8", "8bit")
        nihongo.append(Msg(to_bytes(raw), ts + 30, [S] if i == 0 else [], "", subj_u,
                           "hiro.tanaka@example.jp"))
    notes = simple_msgs(b, rng, ts_of(2024, 9, 9, 9), 1, 86400, lambda i: ALICE,
                        lambda i: "Note to self", lambda i: [S], to=ALICE, greeting="Alice,")
    put("alice", [
        ("INBOX", inbox), ("Drafts", drafts), ("Sent", sent), ("Trash", trash), ("Junk", junk),
        ("Archive", []), ("Archive/2024", arch24), ("Archive/2025", arch25),
        ("Projects", []), ("Projects/Ärger", aerger), ("Projects/日本語", nihongo),
        ("Notes", notes),
    ], ["Archive/2024", "Archive/2025", "Projects", "Projects/Ärger", "Projects/日本語"])

    # ---- bob
    b = Builder("bob@example.com", "Bob Brown", "b")
    rng = random.Random(8)
    bob_inbox = simple_msgs(b, rng, ts_of(2024, 2, 1, 9), 5, 86400, person_fn(rng),
                            lambda i: f"Hello Bob #{i + 1}", lambda i: [S] if i < 3 else [],
                            greeting="Hi Bob,")
    shared = simple_msgs(b, rng, ts_of(2024, 5, 5, 10), 3, 86400, lambda i: BOB,
                         lambda i: f"Shared document {i + 1}", lambda i: [S] if i == 0 else [],
                         to=BOB, greeting="Team,")
    put("bob", [("INBOX", bob_inbox), ("Drafts", []), ("Sent", []), ("Trash", []), ("Junk", []),
                ("Archive", []), ("Shared-with-alice", shared)], ["Shared-with-alice"])

    # ---- carol
    b = Builder("carol@example.com", "Carol Clark", "c")
    rng = random.Random(9)
    carol_inbox = simple_msgs(b, rng, ts_of(2024, 4, 1, 9), 20, 3600, person_fn(rng),
                              lambda i: f"Load test message {i + 1}",
                              lambda i: [S] if i % 2 == 0 else [], greeting="Hi Carol,")
    put("carol", [("INBOX", carol_inbox), ("Drafts", []), ("Sent", []), ("Trash", []),
                  ("Junk", []), ("Archive", [])], [])

    # the expected ACL (set with doveadm acl set by test-server.sh)
    summary["acl"] = [{"user": "bob", "mailbox": "Shared-with-alice", "id": "user=alice",
                       "rights": "lr"}]
    write_summary(summary_path, summary)


def write_summary(path: str, summary: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.chmod(path, 0o644)


def person_fn(rng: random.Random):
    return lambda i: person(rng)


# ---------------------------------------------------------------------------
# bench (large)
# ---------------------------------------------------------------------------


def make_corpus(rng: random.Random, nbytes: int) -> tuple[str, list[int]]:
    """Deterministic text and the offsets of its line starts."""
    lines: list[str] = []
    total = 0
    while total < nbytes:
        p = paragraph(rng)
        lines.extend(p.split("\n"))
        lines.append("")
        total += len(p) + 2
    text = "\n".join(lines) + "\n"
    starts = [0]
    for i, c in enumerate(text):
        if c == "\n":
            starts.append(i + 1)
    return text, starts


def seed_large(mail_root: str, count: int, summary_path: str) -> None:
    rng = random.Random(424242)
    corpus, starts = make_corpus(rng, 3_000_000)
    corpus_len = len(corpus)
    nlines = len(starts) - 1
    # base64 pool for attachments: 6 MB of base64 text (76-char lines)
    pool = b64_lines(rng.randbytes(4_500_000))
    pool_lines = len(pool) // 77

    def text_slice(nbytes: int) -> str:
        i = rng.randrange(0, nlines - 1)
        j = i
        size = 0
        while size < nbytes and j < nlines:
            size += starts[j + 1] - starts[j]
            j += 1
        if size < nbytes:  # wrapped around the end: start from the top again
            return corpus[starts[i]:] + text_slice(nbytes - size)
        return corpus[starts[i]:starts[j]]

    def b64_slice(nbytes: int) -> str:
        nl = max(1, nbytes // 77)
        if nl >= pool_lines:
            nl = pool_lines - 1
        i = rng.randrange(0, pool_lines - nl)
        return pool[i * 77:(i + nl) * 77]

    senders = [f"{f} {l} <{f.lower()}.{l.lower()}@{d}>"
               for f in FIRST[:20] for l in LAST[:10] for d in DOMAINS[:2]]
    start = ts_of(2015, 1, 1, 6)
    end = ts_of(2025, 1, 1, 6)
    step = max(1, (end - start) // max(1, count))
    user_addr = "Bench User <bench@example.com>"
    S, F, A = "\\Seen", "\\Flagged", "\\Answered"

    def gen(i: int, ts: int, box: str) -> Msg:
        frm = senders[rng.randrange(len(senders))]
        subj = (rng.choice(SUBJECT_FORMS).format(t=rng.choice(TOPICS))
                + f" #{i + 1}")
        tz = TZ_CYCLE[i % len(TZ_CYCLE)]
        head = "\n".join([
            f"Return-Path: <{addr_of(frm)}>",
            f"Received: from mx.example.net (mx.example.net [192.0.2.{i % 250 + 1}])",
            f"\tby imap.imapkit.test with ESMTPS id B{i:08X}; {fmt_date(ts + 5, 0)}",
            f"Message-ID: <bench.{box}.{i + 1}@seed.imapkit.test>",
            f"Date: {fmt_date(ts, tz)}",
            f"From: {frm}",
            f"To: {user_addr}",
            f"Subject: {subj}",
            "MIME-Version: 1.0",
        ])
        r = rng.random()
        if box == "INBOX" and i % 5000 == 2500:
            n = 1_000_000 + (i // 5000) * 200_000  # 1.0 .. 4.8 MB
            att = b64_lines(random.Random(i).randbytes(n * 3 // 4))
            body = (f'{head}\nContent-Type: multipart/mixed; boundary="=_b{i}"\n\n'
                    f"--=_b{i}\nContent-Type: text/plain; charset=us-ascii\n\n"
                    f"{text_slice(1500)}\n--=_b{i}\n"
                    f'Content-Type: application/octet-stream; name="archive-{i}.bin"\n'
                    f'Content-Disposition: attachment; filename="archive-{i}.bin"\n'
                    f"Content-Transfer-Encoding: base64\n\n{att}--=_b{i}--\n")
        elif r < 0.75:
            body = (f"{head}\nContent-Type: text/plain; charset=us-ascii\n"
                    f"Content-Transfer-Encoding: 7bit\n\n{text_slice(rng.randint(1500, 18000))}")
        elif r < 0.88:
            t = text_slice(rng.randint(800, 8000))
            body = (f'{head}\nContent-Type: multipart/alternative; boundary="=_a{i}"\n\n'
                    f"--=_a{i}\nContent-Type: text/plain; charset=us-ascii\n\n{t}\n"
                    f"--=_a{i}\nContent-Type: text/html; charset=us-ascii\n\n"
                    f"<html><body><pre>\n{t}</pre></body></html>\n--=_a{i}--\n")
        else:
            t = text_slice(rng.randint(500, 4000))
            ext, ctype = rng.choice([("pdf", "application/pdf"), ("jpg", "image/jpeg"),
                                     ("zip", "application/zip")])
            body = (f'{head}\nContent-Type: multipart/mixed; boundary="=_m{i}"\n\n'
                    f"--=_m{i}\nContent-Type: text/plain; charset=us-ascii\n\n{t}\n"
                    f'--=_m{i}\nContent-Type: {ctype}; name="file-{i}.{ext}"\n'
                    f'Content-Disposition: attachment; filename="file-{i}.{ext}"\n'
                    f"Content-Transfer-Encoding: base64\n\n"
                    f"{b64_slice(rng.randint(3000, 15000))}--=_m{i}--\n")
        flags = []
        r2 = rng.random()
        if r2 < 0.9:
            flags.append(S)
        if r2 < 0.03:
            flags.append(F)
        elif r2 < 0.08:
            flags.append(A)
        return Msg(body.encode("ascii"), ts + 60, flags, "", subj, addr_of(frm))

    maildir = os.path.join(mail_root, "bench", "Maildir")
    os.makedirs(maildir, exist_ok=True)
    info: dict = {"mailboxes": {}, "subscribe": ["Big", "Überweisungen"]}

    inbox = (gen(i, start + i * step, "INBOX") for i in range(count))
    info["mailboxes"]["INBOX"] = write_mailbox_stream(maildir, "INBOX", inbox, 1_800_000_000, 0,
                                                      "bench")
    big = []
    for i in range(20):
        size = 10_000_000 + i * 40_000_000 // 19  # 10 MB .. 50 MB
        ts = ts_of(2024, 6, 1, 12) + i * 3600
        att = b64_lines(random.Random(1000 + i).randbytes(size * 3 // 4))
        head = "\n".join([
            f"Message-ID: <bench.big.{i + 1}@seed.imapkit.test>",
            f"Date: {fmt_date(ts, 0)}",
            "From: Storage Robot <robot@example.com>",
            f"To: {user_addr}",
            f"Subject: Big message {i + 1} ({size // 1_000_000} MB)",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/mixed; boundary="=_big{i}"',
        ])
        data = (f"{head}\n\n--=_big{i}\nContent-Type: text/plain; charset=us-ascii\n\n"
                f"Big message {i + 1}.\n--=_big{i}\n"
                f'Content-Type: application/octet-stream; name="big-{i + 1}.bin"\n'
                f'Content-Disposition: attachment; filename="big-{i + 1}.bin"\n'
                f"Content-Transfer-Encoding: base64\n\n{att}--=_big{i}--\n").encode("ascii")
        big.append(Msg(data, ts + 60, [S], "", f"Big message {i + 1}", "robot@example.com"))
    info["mailboxes"]["Big"] = write_mailbox(maildir, "Big", big, 1_800_000_001, 1, "bench")
    del big
    ueb_start = ts_of(2024, 1, 1, 9)
    ueb = (gen(i, ueb_start + i * 3600, "ueberweisungen") for i in range(500))
    info["mailboxes"]["Überweisungen"] = write_mailbox_stream(maildir, "Überweisungen", ueb,
                                                              1_800_000_002, 2, "bench")
    summary = {"version": LARGE_VERSION, "count": count, "users": {"bench": info}}
    write_summary(summary_path, summary)


def write_mailbox_stream(maildir: str, name: str, msgs, uidvalidity: int, box_index: int,
                         user: str) -> dict:
    """Like write_mailbox, for a generator of messages (constant memory)."""
    d = folder_dir(maildir, name)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    if name != "INBOX":
        with open(os.path.join(d, "maildirfolder"), "wb"):
            pass
    cur = os.path.join(d, "cur")
    counts = {"messages": 0, "unseen": 0, "flagged": 0, "answered": 0, "deleted": 0, "draft": 0,
              "keywords": {}, "vsize": 0, "size": 0}
    lines = []
    uid = 0
    for m in msgs:
        uid += 1
        size = len(m.data)
        vsize = size + m.data.count(b"\n")
        base = f"{m.internal}.M{uid}P{box_index}.imapkit,S={size},W={vsize}"
        letters = "".join(sorted(FLAG_LETTERS[f] for f in m.flags))
        path = os.path.join(cur, f"{base}:2,{letters}")
        write_file(path, m.data)
        os.utime(path, (m.internal, m.internal))
        lines.append(f"{uid} :{base}\n")
        counts["messages"] += 1
        counts["unseen"] += "\\Seen" not in m.flags
        counts["flagged"] += "\\Flagged" in m.flags
        counts["answered"] += "\\Answered" in m.flags
        counts["vsize"] += vsize
        counts["size"] += size
    guid = hashlib.md5(f"imapkit/{user}/{name}".encode()).hexdigest()
    with open(os.path.join(d, "dovecot-uidlist"), "w", encoding="ascii") as ul:
        ul.write(f"3 V{uidvalidity} N{uid + 1} G{guid}\n")
        ul.writelines(lines)
    counts["uidvalidity"] = uidvalidity
    counts["uidnext"] = counts["messages"] + 1
    return counts


# ---------------------------------------------------------------------------
# verification through doveadm
# ---------------------------------------------------------------------------


def verify(summary_path: str, doveadm: str) -> int:
    with open(summary_path, encoding="utf-8") as f:
        summary = json.load(f)
    base = shlex.split(doveadm)
    errors = []
    for user, info in summary["users"].items():
        out = subprocess.run(base + ["mailbox", "list", "-u", user], check=True,
                             capture_output=True, text=True).stdout.split("\n")
        listed = {x for x in out if x}
        for name, exp in info["mailboxes"].items():
            if name not in listed:
                errors.append(f"{user}: mailbox {name!r} not listed by Dovecot ({sorted(listed)})")
                continue
            res = subprocess.run(base + ["-f", "tab", "mailbox", "status", "-u", user,
                                         "messages unseen uidvalidity uidnext", name],
                                 check=True, capture_output=True, text=True).stdout
            rows = [r.split("\t") for r in res.strip().split("\n")]
            got = dict(zip(rows[0], rows[1]))
            for key in ("messages", "unseen", "uidvalidity", "uidnext"):
                if int(got[key]) != int(exp[key]):
                    errors.append(f"{user}/{name}: {key} is {got[key]}, expected {exp[key]}")
            for flag, key in (("FLAGGED", "flagged"), ("ANSWERED", "answered"),
                              ("DELETED", "deleted"), ("DRAFT", "draft")):
                if exp[key] or name == "INBOX":
                    n = count_search(base, user, name, [flag])
                    if n != exp[key]:
                        errors.append(f"{user}/{name}: {flag} count {n}, expected {exp[key]}")
            for kw, cnt in exp["keywords"].items():
                n = count_search(base, user, name, ["KEYWORD", kw])
                if n != cnt:
                    errors.append(f"{user}/{name}: KEYWORD {kw} count {n}, expected {cnt}")
    for a in summary.get("acl", []):
        out = subprocess.run(base + ["acl", "get", "-u", a["user"], a["mailbox"]], check=True,
                             capture_output=True, text=True).stdout
        if a["id"] not in out:
            errors.append(f"acl for {a['id']} missing on {a['user']}/{a['mailbox']}: {out!r}")
    for e in errors:
        print("verify:", e, file=sys.stderr)
    return 1 if errors else 0


def count_search(base: list[str], user: str, mailbox: str, query: list[str]) -> int:
    out = subprocess.run(base + ["search", "-u", user, "mailbox", mailbox] + query, check=True,
                         capture_output=True, text=True).stdout
    return len([x for x in out.split("\n") if x.strip()])


def doc(summary_path: str) -> None:
    """Print the Markdown tables of SEED.md from a summary file."""
    with open(summary_path, encoding="utf-8") as f:
        summary = json.load(f)
    print("| user | mailbox | messages | unseen | \\Flagged | \\Answered | \\Deleted | \\Draft "
          "| keywords | UIDVALIDITY | UIDNEXT | RFC822 size sum |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for user, info in summary["users"].items():
        for name, c in info["mailboxes"].items():
            kws = ", ".join(f"{k}: {v}" for k, v in c["keywords"].items()) or "-"
            print(f"| {user} | {name} | {c['messages']} | {c['unseen']} | {c['flagged']} | "
                  f"{c['answered']} | {c['deleted']} | {c['draft']} | {kws} | {c['uidvalidity']} | "
                  f"{c['uidnext']} | {c['vsize']} |")
    if summary.get("special"):
        print()
        print("| seq = UID | tag | subject (decoded) | from | flags | RFC822.SIZE | INTERNALDATE (UTC) |")
        print("| ---: | --- | --- | --- | --- | ---: | --- |")
        for sp in summary["special"]:
            if sp["user"] != "alice" or sp["mailbox"] != "INBOX":
                continue
            when = dt.datetime.fromtimestamp(sp["internaldate"], UTC).strftime("%Y-%m-%d %H:%M:%S")
            flags = " ".join(sp["flags"]) or "-"
            print(f"| {sp['seq']} | {sp['tag']} | {sp['subject'] or '(no Subject header)'} | "
                  f"{sp['from']} | {flags} | {sp['rfc822_size']} | {when} |")


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("small")
    p.add_argument("--mail-root", required=True)
    p.add_argument("--summary", required=True)
    p = sub.add_parser("large")
    p.add_argument("--mail-root", required=True)
    p.add_argument("--count", type=int, default=100_000)
    p.add_argument("--summary", required=True)
    sub.add_parser("large-version")
    sub.add_parser("small-version")
    p = sub.add_parser("subscriptions")
    p.add_argument("--summary", required=True)
    p = sub.add_parser("verify")
    p.add_argument("--summary", required=True)
    p.add_argument("--doveadm", required=True)
    p = sub.add_parser("doc")
    p.add_argument("--summary", required=True)
    p = sub.add_parser("mutf7")
    p.add_argument("name")
    args = ap.parse_args()
    os.umask(0o077)
    if args.cmd == "small":
        seed_small(args.mail_root, args.summary)
    elif args.cmd == "large":
        seed_large(args.mail_root, args.count, args.summary)
    elif args.cmd == "large-version":
        print(LARGE_VERSION)
    elif args.cmd == "small-version":
        print(SMALL_VERSION)
    elif args.cmd == "subscriptions":
        with open(args.summary, encoding="utf-8") as f:
            summary = json.load(f)
        for user, info in summary["users"].items():
            for box in info.get("subscribe", []):
                print(f"{user}\t{box}")
    elif args.cmd == "verify":
        return verify(args.summary, args.doveadm)
    elif args.cmd == "doc":
        doc(args.summary)
    elif args.cmd == "mutf7":
        print(mutf7_encode(args.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
