#!/usr/bin/env python3
"""Seeded fuzzer for the helpdesk module (run by tests/test_fuzz.sh).

    tests/fuzz.py --port P [--seed S] [--per-command N] [--user U --password P]

Speaks RESP over a plain socket (no client library). For every command that
`COMMAND LIST FILTERBY MODULE helpdesk` reports it sends N argument lists:
valid-looking ones built from a template of the command, the same with
tokens replaced by garbage (empty strings, huge / negative / NaN / inf
numbers, binary bytes, invalid UTF-8, 1 MiB strings, keywords out of place),
shuffled / truncated / duplicated, and lists of pure garbage. Desks fz0..fz5
hold keys of the wrong type planted first; desk fc has none; desk fg holds
hand-edited hashes with garbage values. The argument lists depend only on
the seed, never on replies, so a run is reproducible.

It checks that every reply parses, that every error is "CODE sentence" with
a known code word, that no command hangs, and that the server answers PING
after every batch. At the end it removes the planted keys that are still of
the planted type and prints DESK.CHECK of every desk. Output (one fact per
line, read by test_fuzz.sh):
    commands <n> / plan <sha1 of the argument lists> / untemplated <names> / calls <n> / ok <n> / errors <n>
    batches <n> / alive <n> / bad <n> / hangs <n> / unblocked <n>
    multi <n> / eval <n>   (calls sent inside MULTI/EXEC, from EVAL)
    codes CODE=n,...   / check <desk> <reply as JSON>
    BAD <command> <args> -> <reply>     (at most 20 of them)
"""
import argparse
import hashlib
import json
import random
import re
import select
import socket
import sys
from collections import Counter

MIB = 1 << 20
CODES = (b"ERR", b"NOTFOUND", b"EXISTS", b"INVALID", b"STATE", b"CAPACITY",
         b"UNAVAILABLE", b"CONFLICT", b"DENIED", b"CROSSSLOT", b"WRONGTYPE", b"NOPERM")
ERROR_RE = re.compile(rb"^(" + b"|".join(CODES) + rb") .+$")


# ---- a small RESP2/RESP3 client -------------------------------------------

class Err(bytes):
    """An error reply."""


class Conn:
    def __init__(self, port, resp=2, user=None, password=None):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""
        if user:
            assert self.call("AUTH", user, password) == b"OK"
        if resp == 3:
            self.call("HELLO", "3")
        self.id = self.call("CLIENT", "ID")

    def send(self, args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += [b"$%d\r\n" % len(a), a, b"\r\n"]
        self.s.sendall(b"".join(out))

    def ready(self, timeout):
        return bool(self.buf) or bool(select.select([self.s], [], [], timeout)[0])

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _fill(self):
        chunk = self.s.recv(1 << 16)
        if not chunk:
            raise ConnectionError("connection closed by the server")
        self.buf += chunk

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+",):
            return rest
        if t in (b"-", b"!"):
            if t == b"!":
                rest = self._bulk(int(rest))
            return Err(rest)
        if t in (b":", b"("):
            return int(rest)
        if t == b",":
            return float(rest)
        if t == b"#":
            return rest == b"t"
        if t == b"_":
            return None
        if t in (b"$", b"="):
            n = int(rest)
            return None if n < 0 else self._bulk(n)
        if t in (b"*", b"~", b">"):
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        if t == b"%":
            return {_hashable(self.read()): self.read() for _ in range(int(rest))}
        if t == b"|":                       # attribute, then the real reply
            for _ in range(2 * int(rest)):
                self.read()
            return self.read()
        raise ValueError("unparsable reply line %r" % line[:80])

    def _bulk(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def call(self, *args):
        self.send(args)
        return self.read()


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


# ---- values ---------------------------------------------------------------

TEXTS = ["Charged twice for order 1043", "cannot log in", "Server outage!!! URGENT",
         "Where is my parcel?", "Ünïcödé ✓ текст 日本語", "refund please", "x",
         "line one\nline two", "lawsuit and data breach, losing money"]
CATS = ["billing", "technical", "legal", "returns", "shipping", "account", "general",
        "warranty", "Billing", "bad cat!"]
STATUSES = ["open", "in_progress", "on_hold", "closed", "merged", "OPEN", "nope"]
JSONS = ['{"facts":{"a":1}}', '{"a":{"b":null},"c":[1,2]}', "[1,2]", '"s"', "42", "null",
         '{"history":[1,{"x":2}],"last_decision":"refund"}', '{"last_decision":0.1}',
         '{"facts":{},"version":7,"created_at":1}', '{"bogus":1}', "{}", "1e400",
         '{"a":"\\u0000"}', '{"a":1,"a":2}', "18446744073709551616", "-0", "true"]
CONFIG = [("alert-threshold", ["0", "1", "0.5", "2", "-1", "nan"]),
          ("flood-window", ["1", "86400", "0", "86401"]),
          ("flood-threshold", ["0", "2", "10", "-1"]),
          ("default-capacity", ["0", "1", "15", "1000000"]),
          ("auto-route", ["yes", "no", "maybe"]),
          ("sla.20", ["1", "3600", "0", "-5"]), ("sla.7", ["60"]), ("sla.x", ["1"]),
          ("events-maxlen", ["0", "5", "100000"]), ("chat-maxlen", ["1", "3", "10000"]),
          ("state-ttl", ["1", "1800", "0"]), ("state-history-max", ["0", "2", "200"]),
          ("categories", ["billing,general", "a,b,c", "", ",,,", "UPPER"]),
          ("sla.first_reply.5", ["60", "0", "-1"]), ("sla.next_reply.10", ["1", "3600"]),
          ("sla.resolution.5", ["0", "600"]),
          ("hours", ["mon-fri 09:00-17:00", "mon 09:00-12:00,13:00-17:00; sat 10:00-14:00",
                     "mon 25:00-26:00", ""]),
          ("timezone", ["Europe/Berlin", "UTC", "Mars/Olympus", "../etc/passwd"]),
          ("holidays", ["2026-12-25 2026-12-26", "2026-02-30", ""]),
          ("sla-hours", ["business", "calendar", "sometimes"]),
          ("sla-pause-on-hold", ["yes", "no"]), ("sla-warn-percent", ["0", "80", "100"]),
          ("skill-timeout", ["0", "1", "-1"]), ("reassign-after", ["0", "1", "x"]),
          ("unknown", ["1"])]
KEYWORDS = ["COUNT", "BLOCK", "FORCE", "IFVERSION", "ROUTE", "REPAIR", "GET", "SET", "ADD",
            "REMOVE", "LIST", "INTO", "RELEASE", "SKILLS", "EMAIL", "CAPACITY", "PHONE",
            "ID", "BODY", "CUSTOMER", "PRIORITY", "CATEGORY", "SLA", "AFTER", "ORDER",
            "CREATED", "UNASSIGNED", "NOTE", "RESOLUTION", "SKILL", "count", "Block",
            "AT", "FROM", "TO", "BY"]
NUMBERS = ["0", "-1", "1", "2", "-0", "00", "+1", "1.5", "1e3", "0x10", " 1", "1 ",
           "9223372036854775807", "9223372036854775808", "-9223372036854775808",
           "-9223372036854775809", "99999999999999999999999999", "4294967296",
           "31536000000", "31536000001", "1000", "1001", "10000", "10001", "nan", "NaN",
           "-nan", "inf", "-inf", "Infinity", "1e308", "1e-320", "0.1", "1,5", "٣"]
INVALID_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1",
                b"\xf0\x28\x8c\xbc", b"\xed\xa0\x80", b"\xc0\xaf", b"abc\x80def",
                b"\xf4\x90\x80\x80", b"ok\xc3"]


class Gen:
    def __init__(self, rng, big):
        self.r = rng
        self.big = big      # the 1 MiB strings, made once

    def pick(self, xs):
        return self.r.choice(xs)

    def tid(self):
        return str(self.r.choice([self.r.randint(1, 12), self.r.randint(1, 40)]))

    def aid(self):
        return self.pick(["A1", "A2", "A3", "A4", "A5"])

    def uid(self):
        return str(self.r.randint(1, 6))

    def email(self):
        return "u%d@example.com" % self.r.randint(1, 6)

    def text(self):
        return self.pick(TEXTS)

    def count(self):
        return str(self.pick([1, 2, 3, 5, 10, 100]))

    def json(self):
        return self.pick(JSONS)

    def garbage(self):
        r = self.r
        k = r.random()
        if k < 0.12:
            return ""
        if k < 0.40:
            return self.pick(NUMBERS)
        if k < 0.52:
            return bytes(r.getrandbits(8) for _ in range(r.randint(1, 40)))
        if k < 0.64:
            return self.pick(INVALID_UTF8)
        if k < 0.74:
            return self.pick(KEYWORDS)
        if k < 0.79:
            return self.pick(self.big)
        if k < 0.84:
            n = self.pick([1025, 65537, 200000])
            return self.pick(["s", "\u00e9", "{"]) * n
        if k < 0.89:
            d = self.pick([100, 3000, 20000])
            return self.pick(["[" * d + "]" * d, '{"a":' * d + "1" + "}" * d, "[" * d])
        if k < 0.94:
            return self.pick([":", "x:y", "{", "}", "{t}", "a b", "\r\n", "\x00", "*", "%s%n"])
        return self.pick(JSONS + STATUSES + CATS)


def templates(g):
    """Valid-looking arguments after the desk, per command."""
    r, p = g.r, g.pick

    def opt(prob, *toks):
        return list(toks) if r.random() < prob else []

    def ticket_update_fields():
        out = []
        for _ in range(r.randint(1, 3)):
            f = p(["subject", "body", "priority", "category", "sla_due_at", "status", "id"])
            v = {"subject": g.text(), "body": g.text(), "priority": p(["1", "5", "10", "20"]),
                 "category": p(CATS), "sla_due_at": str(p([0, 1, 1795600000000, 4102444800000]))}
            out += [f, v.get(f, g.garbage())]
        return out

    def cfg_get():
        return p([[], [p(CONFIG)[0]]])

    def cfg_set():
        name, vals = p(CONFIG)
        return [name, p(vals)] + opt(.1, "FORCE")

    return {
        "customer.create": lambda: ["Cust %d" % r.randint(1, 9), g.email()]
        + opt(.3, "PHONE", p(["+15550001", "555", "x" * 40, ""])) + opt(.3, "ID", g.uid()),
        "customer.get": lambda: [g.uid()],
        "customer.find": lambda: [p([g.email(), g.email().upper()])],
        "customer.update": lambda: [g.uid()] + sum(
            ([p(["name", "email", "phone", "joined_at"]), p([g.email(), "New Name", ""])]
             for _ in range(r.randint(1, 2))), []),
        "customer.del": lambda: [g.uid()],
        "customer.tickets": lambda: [g.uid()],
        "agent.create": lambda: [g.aid(), "Agent"] + opt(.3, "EMAIL", "a@example.com")
        + (["SKILLS"] + r.sample(CATS, r.randint(1, 3)) if r.random() < .7 else [])
        + opt(.5, "CAPACITY", p(["1", "3", "15", "100"])),
        "agent.get": lambda: [g.aid()],
        "agent.skills": lambda: [g.aid(), p(["ADD", "REMOVE"])] + r.sample(CATS, r.randint(1, 3)),
        "agent.availability": lambda: [g.aid(), p(["online", "online", "away", "offline"])]
        + opt(.3, "RELEASE"),
        "agent.tickets": lambda: [g.aid()],
        "agent.list": lambda: opt(.4, "SKILL", p(CATS)),
        "agent.del": lambda: [g.aid()],
        "ticket.create": lambda: [g.text()] + opt(.3, "BODY", g.text())
        + opt(.3, "CUSTOMER", g.uid()) + opt(.7, "PRIORITY", p(["1", "5", "10", "20"]))
        + opt(.7, "CATEGORY", p(CATS[:7])) + opt(.1, "SLA", p(["60", "3600"]))
        + opt(.3, "ROUTE") + opt(.1, "AT", p(["0", "1767367800000", "99999999999999"])),
        "ticket.get": lambda: [g.tid()],
        "ticket.update": lambda: [g.tid()] + ticket_update_fields()
        + opt(.2, "IFVERSION", str(r.randint(0, 6))),
        "ticket.status": lambda: [g.tid(), p(STATUSES)] + opt(.3, "NOTE", g.text())
        + opt(.2, "IFVERSION", str(r.randint(0, 6))),
        "ticket.assign": lambda: [g.tid(), g.aid()] + opt(.3, "FORCE"),
        "ticket.unassign": lambda: [g.tid()],
        "ticket.close": lambda: [g.tid()] + opt(.4, "RESOLUTION", g.text())
        + opt(.1, "AT", p(["1000", "1767367800000"])),
        "ticket.reopen": lambda: [g.tid()],
        "ticket.del": lambda: [g.tid()],
        "ticket.log": lambda: [g.tid()] + opt(.4, "COUNT", g.count()),
        "ticket.note": lambda: [g.tid(), g.text()],
        "ticket.peek": lambda: opt(.4, "COUNT", g.count()) + opt(.3, "CATEGORY", p(CATS))
        + opt(.3, "UNASSIGNED"),
        # BLOCK mostly short: a waiter with nothing to take is unblocked by
        # the fuzzer after a moment, which costs time.
        "ticket.next": lambda: [g.aid()] + opt(.5, "BLOCK", p(["1", "2", "1", "0", "100000"]
                                                                if r.random() < .1 else ["1", "2"])),
        "ticket.claim": lambda: [g.aid()] + opt(.4, "COUNT", g.count())
        + opt(.3, "ORDER", p(["PRIORITY", "CREATED", "created"])),
        "ticket.counts": lambda: [],
        "ticket.overdue": lambda: opt(.5, "COUNT", g.count()),
        "ticket.classify": lambda: [g.text()],
        "ticket.train": lambda: [p(CATS), g.text()],
        "ticket.merge": lambda: [g.tid(), "INTO", g.tid()],
        "ticket.msg": lambda: [g.tid(), p(["customer:1", "agent:A1", "bot", g.aid()]), g.text()]
        + opt(.1, "AT", p(["1000", "1767367800000", "99999999999999"])),
        "ticket.sla": lambda: [g.tid()],
        "desk.report": lambda: opt(.5, "FROM", p(["0", "1767225600000", "-1"]))
        + opt(.5, "TO", p(["1767830399999", "999999999999999", "x"]))
        + opt(.5, "BY", p(["category", "agent", "priority", "weather"])),
        "ticket.msgs": lambda: [g.tid()] + opt(.4, "AFTER", p(["0", "1-0", "$", "+", "-",
                                                              "x-y", "1795600000000"]))
        + opt(.4, "COUNT", g.count()),
        "ticket.state.get": lambda: [g.tid()],
        "ticket.state.set": lambda: [g.tid(), g.json()] + opt(.3, "IFVERSION", str(r.randint(0, 4))),
        "ticket.state.merge": lambda: [g.tid(), g.json()] + opt(.3, "IFVERSION", str(r.randint(0, 4))),
        "ticket.state.append": lambda: [g.tid(), p([g.json(), g.text()])],
        "ticket.state.decide": lambda: [g.tid(), p([g.json(), g.text()])],
        "ticket.state.del": lambda: [g.tid()],
        "desk.check": lambda: opt(.1, "REPAIR"),
        "desk.repair": lambda: [],
        "desk.stats": lambda: [],
        "desk.config|get": cfg_get,
        "desk.config|set": cfg_set,
        "desk.purge": lambda: [],
        "desk.admin": lambda: p([["LIST"], [p(["ADD", "REMOVE"]), p(["boss", "A1", ""])]]),
    }


def mutate(g, args):
    """Garbage in place of tokens, or the list reshaped."""
    r = g.r
    args = list(args)
    k = r.random()
    if k < 0.5:
        for i in range(len(args)):
            if r.random() < 0.25:
                args[i] = g.garbage()
        if args and r.random() < 0.3:
            args[r.randrange(len(args))] = g.garbage()
    elif k < 0.65 and args:
        del args[r.randrange(len(args)):]                   # truncated
    elif k < 0.8:
        args.insert(r.randint(0, len(args)), g.pick(KEYWORDS))  # keyword out of place
        if r.random() < 0.5:
            args.append(g.garbage())
    elif k < 0.9 and args:
        args += args[r.randrange(len(args)):]               # repeated options
    else:
        r.shuffle(args)
    return args


# ---- desks ------------------------------------------------------------------

CLEAN = "fc"
GARBAGE_VALUES = "fg"
PLANTED = ["fz%d" % i for i in range(6)]

# (key suffix, type to plant): every kind of key of the schema, wrong type.
PLANTS = [("queue:priority", "string"), ("queue:sla", "list"),
          ("queue:unassigned:billing", "hash"), ("queue:unassigned:general", "string"),
          ("queue:created:technical", "hash"), ("queue:created:general", "string"),
          ("seq:tickets", "hash"), ("seq:users", "set"), ("seq:agents", "list"),
          ("ticket:3", "string"), ("ticket:4", "zset"), ("ticket:5:log", "string"),
          ("ticket:6:chat", "string"), ("ticket:7:state", "list"), ("ticket:8:log", "set"),
          ("agent:A1", "list"), ("agent:A2:skills", "string"), ("agent:A3:open_tickets", "hash"),
          ("agent:A4:open_tickets", "string"), ("agents", "zset"), ("skill:billing", "string"),
          ("skill:technical", "hash"), ("user:2", "set"), ("user:3:tickets", "string"),
          ("idx:user_email:u4@example.com", "hash"), ("stats", "string"), ("events", "string"),
          ("config", "list"), ("admins", "string"), ("flood:recent", "string"),
          ("flood:masters", "set"), ("model:words", "list"), ("model:meta", "string"),
          ("ticket:1:state", "string"), ("user:5", "string")]
PLANT_CMD = {"string": ["SET", "x"], "list": ["RPUSH", "x"], "hash": ["HSET", "f", "v"],
             "set": ["SADD", "x"], "zset": ["ZADD", "1", "x"]}


def plant(c, rng):
    """Each planted desk gets a different share of the plants, so writes
    reach type checks deep inside commands as well as the first ones."""
    planted = []
    for i, d in enumerate(PLANTED):
        share = PLANTS if i == 0 else [p for p in PLANTS if rng.random() < 0.25]
        for suffix, typ in share:
            key = "%s:%s" % (d, suffix)
            if c.call("EXISTS", key):       # a second run: keep real data
                continue
            cmd = PLANT_CMD[typ]
            c.call(cmd[0], key, *cmd[1:])
            planted.append((key, typ))
    return planted


def garbage_values(c):
    """Hashes of the right type holding nonsense, as a hand edit could."""
    d = GARBAGE_VALUES
    c.call("HSET", d + ":ticket:1", "status", "weird", "priority", "nan", "category",
           b"\xff", "assigned_agent", "A1", "version", "-9223372036854775808",
           "sla_due_at", "1e400", "created_at", "x", "master", "1")
    c.call("HSET", d + ":ticket:2", "status", "merged", "master", "99", "priority", "5000")
    c.call("HSET", d + ":ticket:3", "status", "closed")
    c.call("HSET", d + ":agent:A1", "load", "-5", "capacity", "abc", "availability", "x")
    c.call("HSET", d + ":agent:A2", "load", "9223372036854775807", "capacity", "1")
    c.call("SADD", d + ":agent:A2:open_tickets", "ticket:1", "ticket:x", "nonsense")
    c.call("SADD", d + ":agents", "A1", "A2", "A9", "")
    c.call("ZADD", d + ":queue:priority", "inf", "ticket:1", "-inf", "ticket:abc", "5", "x")
    c.call("ZADD", d + ":queue:unassigned:billing", "0", "ticket:2")
    c.call("SET", d + ":seq:tickets", "9223372036854775807")
    c.call("SET", d + ":seq:users", "-3")
    c.call("HSET", d + ":config", "sla.20", "x", "default-capacity", "-1", "categories", ",,")
    c.call("HSET", d + ":ticket:4:state", "facts", "[", "history", "{}", "version", "z")
    c.call("HSET", d + ":user:1", "email", b"\xff@x")
    c.call("SET", d + ":idx:user_email:a@b.c", "77")
    c.call("HSET", d + ":stats", "status:open", "NaN")
    c.call("HSET", d + ":flood:masters", "1", "x")
    c.call("HSET", d + ":model:words", "refund", "billing=abc,=3,x")
    c.call("HSET", d + ":model:meta", "docs", "-1")


def desk(g):
    r = g.r
    k = r.random()
    if k < 0.45:
        return CLEAN
    if k < 0.80:
        return g.pick(PLANTED)
    if k < 0.88:
        return GARBAGE_VALUES
    return g.pick(["", "a:b", "x" * 65, "x" * 64, "{t}", b"\xff", b"\x00d", "d e", "*",
                   g.garbage()])


def setup_calls():
    """Valid commands run first on every desk, so later calls find data."""
    calls = []
    for d in [CLEAN] + PLANTED + [GARBAGE_VALUES]:
        calls += [["desk.config", "SET", d, "flood-threshold", "3"],
                  ["desk.config", "SET", d, "alert-threshold", "0.9"]]
        for i in range(1, 6):
            calls.append(["agent.create", d, "A%d" % i, "Agent %d" % i, "SKILLS",
                          CATS[i % 7], "general", "CAPACITY", "4"])
            calls.append(["customer.create", d, "C%d" % i, "u%d@example.com" % i])
        for i in range(12):
            calls.append(["ticket.create", d, TEXTS[i % len(TEXTS)], "PRIORITY",
                          str([1, 5, 10, 20][i % 4]), "CATEGORY", CATS[i % 7],
                          "CUSTOMER", str(1 + i % 5)])
    return calls


# Calls per command relative to --per-command: more creating, little
# deleting, so that most calls find tickets, agents and customers to act on.
WEIGHT = {"ticket.create": 3, "agent.create": 1.5, "customer.create": 1.5,
          "ticket.assign": 1.5, "ticket.next": 1.5, "ticket.claim": 1.5,
          "desk.purge": 0.05, "ticket.del": 0.3, "agent.del": 0.2, "customer.del": 0.3,
          "ticket.merge": 0.5}


# ---- run --------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-command", type=int, default=100)
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--user", help="send the fuzzed commands as this ACL user")
    ap.add_argument("--password", default="")
    ap.add_argument("--verbose", action="store_true",
                    help="per command: ok / error counts by code, on stderr")
    o = ap.parse_args()

    rng = random.Random(o.seed)
    big = [b"a" * MIB, bytes(rng.getrandbits(8) for _ in range(4096)) * (MIB // 4096),
           b'{"facts":{"k":"' + b"v" * (MIB - 18) + b'"}}', "\u00e9".encode() * (MIB // 2)]
    g = Gen(rng, big)
    tmpl = templates(g)

    ctl = Conn(o.port)
    conns = [Conn(o.port, 2, o.user, o.password), Conn(o.port, 3, o.user, o.password)]
    names = sorted(n.decode() if isinstance(n, bytes) else n
                   for n in ctl.call("COMMAND", "LIST", "FILTERBY", "MODULE", "helpdesk"))
    untemplated = [n for n in names if n not in tmpl]

    planted = plant(ctl, rng)
    garbage_values(ctl)

    # The whole list of calls, from the seed alone.
    calls = setup_calls()
    for name in names:
        for _ in range(max(1, int(o.per_command * WEIGHT.get(name, 1)))):
            base = tmpl[name]() if name in tmpl else []
            k = rng.random()
            if name not in tmpl or k < 0.12:
                rest = [g.garbage() for _ in range(rng.randint(0, 6))]
            elif k < 0.55:
                rest = base
            else:
                rest = mutate(g, base)
            # "desk.config|get" is sent as DESK.CONFIG GET desk ...
            calls.append(name.split("|") + [desk(g)] + rest)
    setup_n = len(setup_calls())
    tail = calls[setup_n:]
    rng.shuffle(tail)
    calls[setup_n:] = tail

    plan = hashlib.sha1()
    for args in calls:
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            plan.update(b"%d:" % len(a) + a)
        plan.update(b";")

    stats = Counter()
    codes = Counter()
    bad = []
    per = {name: Counter() for name in names}

    def record_bad(args, reply):
        stats["bad"] += 1
        if len(bad) < 20:
            shown = [a if isinstance(a, str) else repr(a) for a in args]
            shown = [s if len(s) <= 60 else s[:40] + "...(%d bytes)" % len(s) for s in shown]
            bad.append("BAD %s -> %r" % (" ".join(shown), reply if not isinstance(reply, bytes)
                                         else bytes(reply[:200])))

    def check(args, reply, extra=()):
        """Counts a reply; an error must be CODE sentence."""
        if isinstance(reply, Err):
            stats["errors"] += 1
            m = ERROR_RE.match(reply)
            code = m.group(1).decode() if m else None
            if not m and any(reply.startswith(x + b" ") for x in extra):
                code = reply.split(b" ")[0].decode()
            if code:
                codes[code] += 1
                per[args[0]][code] += 1
                if o.verbose and code == "WRONGTYPE":
                    print("WRONGTYPE from %r" % (args[:3],), file=sys.stderr)
            else:
                record_bad(args, reply)
        else:
            stats["ok"] += 1
            per[args[0]]["ok"] += 1

    for n, args in enumerate(calls):
        c = conns[rng.randrange(2)]
        wrap = rng.random()
        try:
            if wrap < 0.03:
                # Inside MULTI/EXEC: TICKET.NEXT answers at once, never blocks.
                c.send(["MULTI"])
                c.send(args)
                c.send(["EXEC"])
                if not c.ready(20):
                    raise TimeoutError("no reply to MULTI within 20 s")
                c.read()
                queued = c.read()
                reply = c.read()
                stats["calls"] += 1
                stats["multi"] += 1
                if isinstance(queued, Err):          # refused when queued
                    check(args, queued)
                    if not (isinstance(reply, Err) and reply.startswith(b"EXECABORT ")):
                        record_bad(args, reply)
                elif isinstance(reply, list) and len(reply) == 1:
                    check(args, reply[0])
                else:
                    record_bad(args, reply)
            elif wrap < 0.06:
                # From a Lua script: errors keep their code word.
                c.send(["EVAL", "return redis.call(unpack(ARGV))", "0"] + args)
                if not c.ready(20):
                    raise TimeoutError("no reply to EVAL within 20 s")
                stats["calls"] += 1
                stats["eval"] += 1
                check(args, c.read())
            else:
                c.send(args)
                if args[0] == "ticket.next" and not c.ready(0.25):
                    # Blocked waiting for a ticket: release it (it answers nil).
                    ctl.call("CLIENT", "UNBLOCK", c.id)
                    stats["unblocked"] += 1
                if not c.ready(20):
                    stats["hangs"] += 1
                    record_bad(args, "no reply within 20 s")
                    ctl.call("CLIENT", "UNBLOCK", c.id, "ERROR")
                stats["calls"] += 1
                check(args, c.read())
        except TimeoutError as e:
            stats["hangs"] += 1
            record_bad(args, str(e))
            break
        except (ConnectionError, OSError, ValueError) as e:
            record_bad(args, "%s: %s" % (type(e).__name__, e))
            break
        if (n + 1) % o.batch == 0 or n + 1 == len(calls):
            stats["batches"] += 1
            try:
                probe = Conn(o.port)
                if probe.call("PING") == b"PONG":
                    stats["alive"] += 1
                probe.s.close()
            except OSError:
                break

    if o.verbose:
        for name in names:
            print("%-22s %s" % (name, " ".join("%s=%d" % kv for kv in sorted(per[name].items()))),
                  file=sys.stderr)
    print("commands %d" % len(names))
    print("plan %s" % plan.hexdigest())
    print("untemplated %s" % (",".join(untemplated) or "-"))
    for k in ("calls", "ok", "errors", "batches", "alive", "bad", "hangs", "unblocked",
              "multi", "eval"):
        print("%s %d" % (k, stats[k]))
    print("codes %s" % ",".join("%s=%d" % kv for kv in sorted(codes.items())))
    for line in bad:
        print(line)

    # Consistency: the planted keys out of the way, every desk checks clean.
    try:
        ctl = Conn(o.port)
        typeof = {"string": b"string", "list": b"list", "hash": b"hash", "set": b"set",
                  "zset": b"zset"}
        for key, typ in planted:
            if ctl.call("TYPE", key) == typeof[typ]:
                ctl.call("DEL", key)
        for d in [CLEAN] + PLANTED:
            rep = ctl.call("DESK.CHECK", d)
            shown = rep.decode(errors="replace") if isinstance(rep, bytes) else \
                [x.decode(errors="replace") for x in rep]
            print("check %s %s" % (d, json.dumps(shown)))
    except (ConnectionError, OSError) as e:
        print("check failed: %s" % e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
