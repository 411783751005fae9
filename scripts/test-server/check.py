#!/usr/bin/env python3
"""Smoke test of the running test Dovecot, with Python's imaplib only.

Usage: check.py ENV_JSON [--connections N] [--show-capabilities]

Checks: greetings on both ports, STARTTLS and implicit TLS verified against
the test CA, LOGIN and AUTHENTICATE with PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1
and SCRAM-SHA-256 (a small SCRAM client below), the capabilities imapkit's
tests rely on, the seeded INBOX, non-ASCII folders, quota, ACL on bob's
shared folder, METADATA, COMPRESS=DEFLATE, and N concurrent logins.
Exits 1 with a list of failures, 0 when all pass.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import imaplib
import json
import os
import re
import ssl
import sys
import threading
import zlib

EXPECTED_PRELOGIN = ["IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID", "ENABLE", "IDLE",
                     "LITERAL+", "STARTTLS", "AUTH=PLAIN", "AUTH=LOGIN", "AUTH=CRAM-MD5",
                     "AUTH=SCRAM-SHA-1", "AUTH=SCRAM-SHA-256"]
EXPECTED_POSTLOGIN = ["IMAP4rev1", "IDLE", "CONDSTORE", "QRESYNC", "MOVE", "UIDPLUS", "ESEARCH",
                      "SORT", "THREAD=REFERENCES", "SPECIAL-USE", "LIST-STATUS", "BINARY",
                      "LITERAL+", "NAMESPACE", "ID", "ENABLE",
                      "COMPRESS=DEFLATE", "QUOTA", "ACL", "METADATA", "LIST-EXTENDED",
                      "CHILDREN", "UNSELECT", "ESORT", "WITHIN", "SEARCHRES", "CONTEXT=SEARCH",
                      "NOTIFY", "I18NLEVEL=1", "MULTIAPPEND", "CATENATE", "SNIPPET=FUZZY",
                      "SAVEDATE", "STATUS=SIZE"]
# Not offered by Dovecot 2.3.19 (Debian 12): UTF8=ACCEPT (Dovecot 2.4), URLAUTH (needs
# imap_urlauth_host), APPENDLIMIT, IMAP4rev2, OBJECTID, QUOTA=RES-*.

failures: list[str] = []


def check(cond: bool, what: str) -> None:
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def caps_of(conn: imaplib.IMAP4) -> list[str]:
    typ, data = conn.capability()
    return data[0].decode().split()


def scram(mech: str, user: str, password: str):
    """Return an imaplib authobject doing SCRAM-SHA-1/-256 (RFC 5802)."""
    hname = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}[mech]
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={user},r={nonce}"
    state: dict = {"step": 0}

    def step(challenge: bytes) -> bytes:
        if state["step"] == 0:
            state["step"] = 1
            return ("n,," + first_bare).encode()
        if state["step"] == 1:
            state["step"] = 2
            server_first = challenge.decode()
            attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
            assert attrs["r"].startswith(nonce)
            salt = base64.b64decode(attrs["s"])
            salted = hashlib.pbkdf2_hmac(hname, password.encode(), salt, int(attrs["i"]))
            client_key = hmac.new(salted, b"Client Key", hname).digest()
            stored = hashlib.new(hname, client_key).digest()
            without_proof = f"c=biws,r={attrs['r']}"
            auth_msg = f"{first_bare},{server_first},{without_proof}".encode()
            sig = hmac.new(stored, auth_msg, hname).digest()
            proof = bytes(a ^ b for a, b in zip(client_key, sig))
            server_key = hmac.new(salted, b"Server Key", hname).digest()
            state["server_sig"] = base64.b64encode(
                hmac.new(server_key, auth_msg, hname).digest()).decode()
            return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()
        # server-final: verify the server signature
        final = challenge.decode()
        state["verified"] = final == "v=" + state["server_sig"]
        return b""

    return step, state


def login_mechanism(env: dict, mech: str, user: str, pw: str) -> tuple[bool, str]:
    conn = imaplib.IMAP4_SSL(env["host"], env["tlsPort"], ssl_context=tls_ctx(env))
    try:
        if mech == "LOGIN-CMD":
            typ, _ = conn.login(user, pw)
        elif mech == "CRAM-MD5":
            typ, _ = conn.login_cram_md5(user, pw)
        elif mech == "PLAIN":
            typ, _ = conn.authenticate("PLAIN", lambda _c: f"\0{user}\0{pw}".encode())
        elif mech == "LOGIN":
            answers = iter([user.encode(), pw.encode()])
            typ, _ = conn.authenticate("LOGIN", lambda _c: next(answers))
        else:
            step, state = scram(mech, user, pw)
            typ, _ = conn.authenticate(mech, step)
            if not state.get("verified"):
                return False, "server signature not verified"
        return typ == "OK", conn.state
    except imaplib.IMAP4.error as e:
        return False, str(e)
    finally:
        try:
            conn.logout()
        except Exception:
            pass


def tls_ctx(env: dict) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=env["caFile"])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("env")
    ap.add_argument("--connections", type=int, default=200)
    ap.add_argument("--show-capabilities", action="store_true")
    args = ap.parse_args()
    with open(args.env, encoding="utf-8") as f:
        env = json.load(f)
    host, users = env["host"], env["users"]
    alice = ("alice", users["alice"])

    # plain port, then STARTTLS
    c = imaplib.IMAP4(host, env["port"])
    pre_plain = caps_of(c)
    check(all(x in pre_plain for x in EXPECTED_PRELOGIN), "pre-login capabilities on plain port")
    check("LOGINDISABLED" not in pre_plain, "plaintext LOGIN allowed on plain port")
    c.starttls(ssl_context=tls_ctx(env))
    pre_tls_after_starttls = caps_of(c)
    check("STARTTLS" not in pre_tls_after_starttls, "STARTTLS done (capabilities re-read)")
    c.login(*alice)
    post = caps_of(c)
    missing = [x for x in EXPECTED_POSTLOGIN if x not in post]
    check(not missing, f"post-login capabilities (missing: {missing})")
    typ, data = c.select("INBOX")
    check(typ == "OK" and data[0] == b"300", f"SELECT INBOX -> {data[0]!r} messages")
    typ, data = c.list()
    listed = {}
    for d in data:
        m = re.match(rb'\(([^)]*)\) "/" "?(.*?)"?$', d)
        listed[m.group(2).decode()] = m.group(1).decode().split()
    check("Projects/&AMQ-rger" in listed, "LIST shows Projects/Ärger (mUTF-7)")
    check("Projects/&ZeVnLIqe-" in listed, "LIST shows Projects/日本語 (mUTF-7)")
    check("\\Sent" in listed.get("Sent", []), "LIST shows \\Sent special-use")
    check("shared/bob/Shared-with-alice" in listed, "LIST shows shared/bob/Shared-with-alice")
    typ, data = c.getquotaroot("INBOX")
    check(typ == "OK" and b"STORAGE" in data[1][0], f"GETQUOTAROOT INBOX -> {data}")
    typ, data = c.myrights("shared/bob/Shared-with-alice")
    check(typ == "OK" and data[0].split()[-1] == b"lr", f"MYRIGHTS shared folder -> {data}")
    typ, data = c.select("shared/bob/Shared-with-alice", readonly=True)
    check(typ == "OK" and data[0] == b"3", f"EXAMINE shared/bob/Shared-with-alice -> {data}")
    typ, data = c.xatom("SETMETADATA", 'INBOX (/private/comment "imapkit check")')
    check(typ == "OK", f"SETMETADATA -> {typ} {data}")
    typ, data = c.xatom("GETMETADATA", "INBOX /private/comment")
    check(typ == "OK", f"GETMETADATA -> {typ}")
    c.xatom("SETMETADATA", "INBOX (/private/comment NIL)")
    check("COMPRESS=DEFLATE" in post, "COMPRESS=DEFLATE announced")
    imaplib.Commands.setdefault("COMPRESS", ("AUTH", "SELECTED"))
    typ, data = c._simple_command("COMPRESS", "DEFLATE")
    check(typ == "OK", f"COMPRESS DEFLATE -> {typ}")
    # after COMPRESS the stream is deflated: send NOOP compressed and read the reply
    comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    decomp = zlib.decompressobj(-15)
    c.sock.sendall(comp.compress(b"Z1 NOOP\r\n") + comp.flush(zlib.Z_SYNC_FLUSH))
    out = b""
    while b"Z1 OK" not in out:
        chunk = c.sock.recv(4096)
        if not chunk:
            break
        out += decomp.decompress(chunk)
    check(b"Z1 OK" in out, "NOOP over COMPRESS=DEFLATE")
    c.sock.sendall(comp.compress(b"Z2 LOGOUT\r\n") + comp.flush(zlib.Z_SYNC_FLUSH))
    c.sock.close()

    # implicit TLS port
    t = imaplib.IMAP4_SSL(host, env["tlsPort"], ssl_context=tls_ctx(env))
    pre_tls = caps_of(t)
    check("STARTTLS" not in pre_tls and "AUTH=PLAIN" in pre_tls, "pre-login capabilities on TLS port")
    t.login(*alice)
    typ, data = t.select("INBOX")
    check(data[0] == b"300", "implicit TLS: SELECT INBOX")
    t.logout()

    # every mechanism, every user
    for user in ("alice", "bob", "carol"):
        for mech in ("LOGIN-CMD", "PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"):
            ok, info = login_mechanism(env, mech, user, users[user])
            check(ok, f"{user}: {mech} ({info})")
    ok, info = login_mechanism(env, "SCRAM-SHA-256", "alice", "wrong")
    check(not ok, "wrong password refused")

    # plaintext LOGIN on the plain port without TLS
    p = imaplib.IMAP4(host, env["port"])
    typ, _ = p.login(*alice)
    check(typ == "OK", "plaintext LOGIN on plain port")
    p.logout()

    # bob is at 10M quota: a 10.5 MB APPEND must fail with OVERQUOTA
    b = imaplib.IMAP4_SSL(host, env["tlsPort"], ssl_context=tls_ctx(env))
    b.login("bob", users["bob"])
    big = b"Subject: too big\r\n\r\n" + (b"x" * 76 + b"\r\n") * 140_000
    typ, data = b.append("INBOX", None, None, big)
    check(typ == "NO" and b"[OVERQUOTA]" in data[0], f"bob over-quota APPEND refused: {data}")
    b.logout()

    # concurrent connections
    n = args.connections
    if n:
        conns: list = []
        errors: list = []
        lock = threading.Lock()

        def one() -> None:
            try:
                x = imaplib.IMAP4(host, env["port"])
                x.login("carol", users["carol"])
                x.select("INBOX", readonly=True)
                with lock:
                    conns.append(x)
            except Exception as e:  # noqa: BLE001
                with lock:
                    errors.append(repr(e))

        threads = [threading.Thread(target=one) for _ in range(n)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        check(len(conns) == n, f"{n} concurrent logged-in connections ({len(errors)} errors: "
              f"{errors[:2]})")
        for x in conns:
            try:
                x.logout()
            except Exception:
                pass

    if args.show_capabilities:
        print("\npre-login (plain port):", " ".join(pre_plain))
        print("pre-login (TLS port):  ", " ".join(pre_tls))
        print("after STARTTLS:        ", " ".join(pre_tls_after_starttls))
        print("post-login:            ", " ".join(post))
    print(f"\n{len(failures)} failed" if failures else "\nall checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
