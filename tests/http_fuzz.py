#!/usr/bin/env python3
"""Seeded HTTP fuzzer for the gateway (run by tests/test_http_fuzz.sh).

    tests/http_fuzz.py --port P [--seed S] [--count N] [--seconds T]

Takes every operation of /openapi.json and sends N requests built from them
over plain sockets (no client library): valid-looking bodies, the same with
fields of the wrong type, unknown fields, huge / negative numbers, invalid
UTF-8, deep nesting, truncated JSON; paths with garbage, percent-encoding,
`..`, NUL and overlong segments; random methods, content types, If-Match,
Last-Event-ID and Authorization headers; and raw garbage that is not HTTP
at all. Requests depend only on the seed, never on replies.

Checked per response: it parses as HTTP; no 500 (an unmapped error); every
4xx/5xx from a route has the {"error":{"code","message"}} body; no request
takes longer than the bound (no hang). Prints one fact per line:
    requests <n> / responses <n> / closed <n> / bad <n> / slow <n>
    codes STATUS=n,...
    BAD <method> <path> -> <status> <body>   (at most 20)
"""
import argparse
import json
import random
import socket
import sys
import time


def http_request(port, raw, timeout, eof=False):
    """Sends raw bytes, returns (status, headers, body) or None if closed.
    eof: half-close after sending (for garbage that is not a whole request)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(raw)
        if eof:
            s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                length = None
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v.strip() or 0)
                if length is not None and len(body) >= length:
                    break
                if b"text/event-stream" in head:
                    break
    finally:
        s.close()
    if not data:
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    line = head.split(b"\r\n")[0].split(b" ")
    try:
        status = int(line[1])
    except (IndexError, ValueError):
        return (-1, head, body)
    return (status, head, body)


GARBAGE_VALUES = [
    "", " ", "0", "-1", "999999999999999999999999", "1e308", "NaN", "null", "\u00e9",
    "x" * 5000, "../../etc/passwd", "%00", "{desk}", "ticket:1", "help:queue:priority",
    "\ud7ff", "A" * 70, "BLOCK", "FORCE", "IFVERSION", "\n\r", "\"", "\\",
]


def garbage_json(rng, depth=0):
    k = rng.randrange(9)
    if k == 0: return rng.choice(GARBAGE_VALUES)
    if k == 1: return rng.choice([0, -1, 1, 2**53, -2**63, 10**30, 3.5, 1e300])
    if k == 2: return rng.choice([True, False, None])
    if k == 3 and depth < 6: return [garbage_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    if k == 4 and depth < 6:
        return {rng.choice(["subject", "body", "x", "", "agent", "status", "into", "text"]):
                garbage_json(rng, depth + 1) for _ in range(rng.randrange(4))}
    return "fz" + str(rng.randrange(100))


def body_for(rng, op):
    schema = (op.get("requestBody", {}).get("content", {}).get("application/json", {})
              .get("schema", {}))
    props = schema.get("properties", {})
    body = {}
    for name, ps in props.items():
        if rng.random() < 0.6:
            t = ps.get("type")
            if t == "string": body[name] = rng.choice(["fuzz subject", "billing", "A1", "open", "1"])
            elif t == "integer": body[name] = rng.choice([1, 5, 20, 0, -3, 100000])
            elif t == "boolean": body[name] = rng.random() < 0.5
            elif t == "array": body[name] = ["billing", "technical"][: rng.randrange(3)]
            elif t == "object": body[name] = {"k": 1}
            else: body[name] = rng.choice([1, "1"])
    mode = rng.randrange(10)
    if mode == 0 and body: body[rng.choice(list(body))] = garbage_json(rng)
    if mode == 1: body["unknown_" + str(rng.randrange(9))] = 1
    raw = json.dumps(body).encode()
    if mode == 2: raw = raw[: rng.randrange(len(raw) + 1)]
    if mode == 3: raw = raw.replace(b"fuzz", b"fu\xff\xfez")
    if mode == 4: raw = b"[" * 2000 + b"]" * 2000
    if mode == 5: raw = json.dumps(garbage_json(rng)).encode()
    if mode == 6: raw = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    return raw


def path_for(rng, template):
    subs = {"{desk}": rng.choice(["fz", "fz", "{fz}", "bad:desk", "x" * 80, "%ff", "fz%00"]),
            "{id}": rng.choice(["1", "2", "3", "999", "0", "-1", "abc", "1e3", "%2e%2e"]),
            "{aid}": rng.choice(["A1", "A2", "NOPE", "%ff", "a" * 70]),
            "{uid}": rng.choice(["1", "2", "x"])}
    path = template
    for k, v in subs.items():
        path = path.replace(k, v)
    r = rng.random()
    if r < 0.05: path += "/" + rng.choice(["..", "%2e%2e", "x" * 3000, "a/b/c/d/e/f/g/h/i/j/k/l/m"])
    elif r < 0.1: path = "/" + "/".join(rng.choice(["..", "v1", "desks", "%ff", "%00", "."])
                                        for _ in range(rng.randrange(1, 8)))
    if rng.random() < 0.3:
        path += "?" + "&".join(f"{rng.choice(['count', 'after', 'block', 'email', 'category', 'unassigned', 'x'])}="
                               f"{rng.choice(['1', '-1', 'abc', '%ff', '99999999999', '', '0-1'])}"
                               for _ in range(rng.randrange(1, 4)))
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--timeout", type=float, default=5)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    st, _, body = http_request(a.port, b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 10)
    doc = json.loads(body)
    ops = [(m.upper(), p, op) for p, item in doc["paths"].items() for m, op in item.items()]
    # Streams would hold the connection open: the fuzzer does not wait on them.
    ops = [o for o in ops if not o[1].endswith("/stream") and not o[1].endswith("/events")]
    counts, bad, slow, closed, responses = {}, [], 0, 0, 0
    deadline = time.time() + a.seconds
    n = 0
    for n in range(1, a.count + 1):
        if time.time() > deadline:
            break
        method, template, op = rng.choice(ops)
        if rng.random() < 0.05:
            method = rng.choice(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "BREW"])
        path = path_for(rng, template)
        raw_body = body_for(rng, op) if method in ("POST", "PUT", "PATCH") or rng.random() < 0.05 else b""
        hdrs = ["Host: x", "Connection: close"]
        if raw_body or rng.random() < 0.1:
            hdrs.append("Content-Type: " + rng.choice(["application/json"] * 6 + ["text/plain", "application/json; charset=utf-8", "", "application/jsonx"]))
        if rng.random() < 0.1: hdrs.append("If-Match: " + rng.choice(["1", "\"2\"", "abc", "", "99999999999999999999"]))
        if rng.random() < 0.1: hdrs.append("Authorization: " + rng.choice(["Basic " + "QTE6cHcx", "Basic !!", "Basic ", "Bearer x", "Basic " + "ZGVmYXVsdDo="]))
        if rng.random() < 0.05: hdrs.append("Cookie: hd_session=" + rng.choice(["x", "", "a" * 64]))
        if rng.random() < 0.05: hdrs.append("X-CSRF-Token: x")
        hdrs.append(f"Content-Length: {len(raw_body)}")
        raw = f"{method} {path} HTTP/1.1\r\n".encode("utf-8", "surrogateescape") + \
            "\r\n".join(hdrs).encode() + b"\r\n\r\n" + raw_body
        garbage = rng.random() < 0.03
        if garbage:      # not HTTP at all
            raw = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        t0 = time.time()
        try:
            res = http_request(a.port, raw, a.timeout, eof=garbage)
        except OSError as e:
            bad.append(f"BAD {method} {path[:80]} -> connect/send error {e}")
            continue
        if time.time() - t0 > a.timeout * 0.9:
            slow += 1
            bad.append(f"SLOW {method} {path[:80]} {raw[:200]!r}")
        if res is None:
            closed += 1
            continue
        responses += 1
        status, head, body = res
        counts[status] = counts.get(status, 0) + 1
        problem = None
        if status == 501 and method not in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
            pass        # libevent's answer to a method it does not know
        elif status == -1 or status >= 500 and status != 503:
            problem = "unparsable or 5xx"
        elif status >= 400 and b"application/json" in head:
            try:
                e = json.loads(body)["error"]
                if not isinstance(e["code"], str) or not isinstance(e["message"], str):
                    problem = "bad error body"
            except Exception:
                problem = "bad error body"
        elif b"application/json" in head and method != "HEAD" and status != 204:
            try:
                json.loads(body)
            except Exception:
                problem = "invalid JSON"
        if problem and len(bad) < 1000:
            bad.append(f"BAD {method} {path[:80]} -> {status} {problem} {body[:160]!r}")
    print(f"requests {n}")
    print(f"responses {responses}")
    print(f"closed {closed}")
    print(f"bad {len([b for b in bad if b.startswith('BAD')])}")
    print(f"slow {slow}")
    print("codes " + ",".join(f"{k}={v}" for k, v in sorted(counts.items())))
    for b in bad[:20]:
        print(b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
