#!/usr/bin/env python3
"""Check that the test Dovecot answers on both ports with an IMAP greeting.

Exit 0 when the plain port greets with "* OK" and the implicit-TLS port
completes a handshake verified against the test CA (host name "localhost")
and greets with "* OK"; otherwise print the reason and exit 1.
Python standard library only.
"""

import argparse
import socket
import ssl
import sys


def read_line(sock: socket.socket, limit: int = 4096) -> bytes:
    buf = b""
    while not buf.endswith(b"\r\n") and len(buf) < limit:
        chunk = sock.recv(1)
        if not chunk:
            break
        buf += chunk
    return buf


def greet_plain(host: str, port: int, timeout: float) -> bytes:
    with socket.create_connection((host, port), timeout=timeout) as s:
        return read_line(s)


def greet_tls(host: str, port: int, ca: str, timeout: float) -> bytes:
    ctx = ssl.create_default_context(cafile=ca)
    with socket.create_connection((host, port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            return read_line(s)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tls-port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--timeout", type=float, default=3.0)
    args = ap.parse_args()
    try:
        g1 = greet_plain(args.host, args.port, args.timeout)
        if not g1.startswith(b"* OK"):
            print(f"port {args.port}: unexpected greeting {g1!r}")
            return 1
        g2 = greet_tls(args.host, args.tls_port, args.ca, args.timeout)
        if not g2.startswith(b"* OK"):
            print(f"port {args.tls_port}: unexpected greeting {g2!r}")
            return 1
    except (OSError, ssl.SSLError) as e:
        print(f"{type(e).__name__}: {e}")
        return 1
    print(g1.decode("utf-8", "replace").strip())
    print(g2.decode("utf-8", "replace").strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
