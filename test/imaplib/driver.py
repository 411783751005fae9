"""Runs an imaplib scenario with CPython's imaplib and prints the results as JSON.

Input (stdin): {"connect": {"class": "IMAP4"|"IMAP4_SSL", "host", "port", "cafile"},
                "steps": [{"method": name, "args": [...]}]}
An argument {"bytes": "latin1 text"} is passed as bytes; {"date": epoch} as a number.
Output: one entry per step: {"ok": [typ, data]} or {"raised": "error"|"abort"|"readonly", "message": str}.
Bytes are encoded as {"b": latin1 text}, tuples as lists, None as null.
"""
import imaplib
import json
import ssl
import sys


def enc(value):
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return {"b": bytes(value).decode("latin1")}
    if isinstance(value, (list, tuple)):
        return [enc(v) for v in value]
    if isinstance(value, str):
        return {"s": value}
    if isinstance(value, bool):
        return {"n": int(value)}
    if isinstance(value, (int, float)):
        return {"n": value}
    if isinstance(value, dict):
        return {"d": {k: enc(v) for k, v in value.items()}}
    return {"repr": repr(value)}


def dec(value):
    if isinstance(value, dict):
        if "bytes" in value:
            return value["bytes"].encode("latin1")
        if "date" in value:
            return value["date"]
    return value


def main():
    spec = json.load(sys.stdin)
    c = spec["connect"]
    if c["class"] == "IMAP4_SSL":
        ctx = ssl.create_default_context(cafile=c["cafile"])
        M = imaplib.IMAP4_SSL(c["host"], c["port"], ssl_context=ctx)
    else:
        M = imaplib.IMAP4(c["host"], c["port"])
    out = []
    for step in spec["steps"]:
        method = step["method"]
        args = [dec(a) for a in step.get("args", [])]
        try:
            if method == "_set":
                setattr(M, args[0], args[1])
                out.append({"ok": None})
                continue
            if method == "_starttls":
                ctx = ssl.create_default_context(cafile=c["cafile"])
                out.append({"ok": enc(M.starttls(ssl_context=ctx))})
                continue
            if method == "_attr":
                out.append({"ok": enc(getattr(M, args[0]))})
                continue
            if method == "_helper":
                fn = getattr(imaplib, args[0])
                res = fn(*args[1:])
                if hasattr(res, "tm_year"):
                    res = [res.tm_year, res.tm_mon, res.tm_mday, res.tm_hour, res.tm_min,
                           res.tm_sec, res.tm_wday, res.tm_yday, res.tm_isdst]
                out.append({"ok": enc(res)})
                continue
            res = getattr(M, method)(*args)
            out.append({"ok": enc(res)})
        except imaplib.IMAP4.readonly as e:
            out.append({"raised": "readonly", "message": str(e)})
        except imaplib.IMAP4.abort as e:
            out.append({"raised": "abort", "message": str(e)})
        except imaplib.IMAP4.error as e:
            out.append({"raised": "error", "message": str(e)})
    try:
        M.shutdown()
    except Exception:
        pass
    json.dump(out, sys.stdout)


main()
