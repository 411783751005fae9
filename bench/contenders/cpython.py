"""CPython's imaplib as a benchmark contender (mirrors bench/contenders/common.ts).

imaplib hands back raw FETCH bytes, so W1 parses them with the small IMAP
parser below, as a script ported from imaplib would have to; the imapkit
facade contender (imapkit-imaplib.ts) uses a line-by-line port of it.
"""

import encodings.idna  # noqa: F401 - imported by socket.create_connection; load it before the window
import imaplib
import json
import re
import resource
import ssl
import sys
import time


def main() -> int:
    job = json.loads(sys.argv[1])
    fn = WORKLOADS.get(job["workload"])
    if job["workload"] == "probe":
        return write(job, {"probe": True})
    if fn is None:
        reason = "imaplib waits for each command's reply" if job["workload"] == "W4p" else None
        return write(job, {"wallMs": 0, "cpuMs": 0, "maxRssKb": 0,
                           "skip": reason or "not offered by this API"})
    try:
        messages = read_messages(job["messagesFile"]) if job["workload"] == "W5" else []
        ctx = ssl.create_default_context(cafile=job["caFile"])
        io0 = io_bytes()
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        out = fn(job, ctx, messages)
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        write(job, {"wallMs": 0, "cpuMs": 0, "maxRssKb": 0, "error": f"{type(e).__name__}: {e}"})
        return 1
    wall = (time.perf_counter() - t0) * 1000
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    io1 = io_bytes()
    cpu = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000
    return write(job, {"wallMs": wall, "cpuMs": cpu, "maxRssKb": r1.ru_maxrss,
                       "wireBytes": io1 - io0, **out})


def io_bytes() -> int:
    """rchar + wchar of /proc/self/io: the TLS socket's bytes (OpenSSL uses read/write)."""
    with open("/proc/self/io", encoding="ascii") as f:
        fields = dict(line.split(": ") for line in f.read().splitlines())
    return int(fields["rchar"]) + int(fields["wchar"])


def write(job: dict, result: dict) -> int:
    with open(job["resultFile"], "w", encoding="utf-8") as f:
        json.dump(result, f)
    return 0


def read_messages(path: str) -> list[bytes]:
    with open(path, "rb") as f:
        data = f.read()
    nl = data.index(b"\n")
    sizes = json.loads(data[:nl])["sizes"]
    out, pos = [], nl + 1
    for size in sizes:
        out.append(data[pos:pos + size])
        pos += size
    return out


def session(job: dict, ctx: ssl.SSLContext, select: bool = True) -> imaplib.IMAP4_SSL:
    m = imaplib.IMAP4_SSL(job["host"], job["port"], ssl_context=ctx)
    m.login(job["user"], job["password"])
    if select:
        typ, data = m.select(job["mailbox"])
        if typ != "OK":
            raise RuntimeError(f"SELECT failed: {data}")
    return m


def ok(result: tuple) -> list:
    typ, data = result
    if typ != "OK":
        raise RuntimeError(f"{typ} {data}")
    return data


def fnv1a(s: str) -> int:
    h = 0x811C9DC5
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


# --------------------------------------------------------------------------
# A small IMAP response parser: enough to turn imaplib's FETCH data into
# nested lists (atoms and strings as bytes, NIL as None).
# --------------------------------------------------------------------------

TOKEN = re.compile(rb'[ ]*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|\{(\d+)\}\r\n|([^ ()"{]+))')
ESCAPE = re.compile(rb"\\(.)")


def parse(buf: bytes) -> list:
    """Parses `buf` (one response, literals inline as `{n}\\r\\n...`) into a list."""
    root: list = []
    stack = [root]
    pos, end = 0, len(buf)
    while pos < end:
        m = TOKEN.match(buf, pos)
        if m is None:
            raise ValueError(f"cannot parse at {pos}: {buf[pos:pos + 40]!r}")
        pos = m.end()
        if m.group(1):
            child: list = []
            stack[-1].append(child)
            stack.append(child)
        elif m.group(2):
            stack.pop()
        elif m.group(3) is not None:
            q = m.group(3)
            stack[-1].append(ESCAPE.sub(rb"\1", q) if b"\\" in q else q)
        elif m.group(4):
            n = int(m.group(4))
            stack[-1].append(buf[pos:pos + n])
            pos += n
        else:
            atom = m.group(5)
            stack[-1].append(None if atom == b"NIL" else atom)
    return root


def fetch_responses(data: list):
    """Groups imaplib's FETCH data (tuples for literals, then the rest) into whole responses."""
    parts: list[bytes] = []
    for item in data:
        if isinstance(item, tuple):
            parts.append(item[0])
            parts.append(b"\r\n")
            parts.append(item[1])
        else:
            parts.append(item)
            yield b"".join(parts)
            parts = []


def attrs_of(response: bytes) -> dict:
    """`seq (NAME value ...)` -> {NAME: value}."""
    _seq, items = parse(response)[:2]
    return {items[i].upper(): items[i + 1] for i in range(0, len(items), 2)}


# --------------------------------------------------------------------------

def w1(job, ctx, _messages):
    m = session(job, ctx)
    data = ok(m.fetch(job["range"],
                      "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)"))
    n = uids = subjects = 0
    for response in fetch_responses(data):
        a = attrs_of(response)
        subject = a[b"ENVELOPE"][1]
        n += 1
        uids += int(a[b"UID"])
        subjects = (subjects + fnv1a(subject.decode("utf-8") if subject else "")) & 0xFFFFFFFF
    m.logout()
    return {"check": f"n={n} uids={uids} subj={subjects:x}", "note": "hand-written parser"}


def w2(job, ctx, _messages):
    m = session(job, ctx)
    data = ok(m.fetch(job["range"], "(BODY.PEEK[])"))
    n = total = 0
    for item in data:
        if isinstance(item, tuple):
            n += 1
            total += len(item[1])
    m.logout()
    return {"check": f"n={n} bytes={total}", "bytes": total, "note": "buffered"}


def w3(job, ctx, _messages):
    m = session(job, ctx)
    data = ok(m.uid("FETCH", str(job["uid"]), "(BODY.PEEK[])"))
    total = sum(len(item[1]) for item in data if isinstance(item, tuple))
    m.logout()
    return {"check": f"bytes={total}", "bytes": total, "note": "buffered"}


def w4(job, ctx, _messages):
    m = session(job, ctx)
    for uid in range(job["uid"], job["uid"] + job["count"]):
        ok(m.uid("STORE", str(uid), "+FLAGS", "(\\Flagged)"))
    m.logout()
    return {"check": f"n={job['count']}"}


def w5(job, ctx, messages):
    m = session(job, ctx, select=False)
    total = 0
    for msg in messages:
        ok(m.append(job["mailbox"], None, None, msg))
        total += len(msg)
    m.logout()
    return {"check": f"n={len(messages)} bytes={total}", "bytes": total,
            "note": "synchronizing literals"}


WORKLOADS = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5}

if __name__ == "__main__":
    sys.exit(main())
