#!/usr/bin/env python3
"""Reply types of every helpdesk command, in RESP2 and RESP3 (SPEC section 4).

Run by tests/test_types.sh against a server that already holds the data it
builds (see that script). For every map reply, every field must be one the
table below knows, with an allowed type: ticket ids, priorities, versions,
loads, capacities, counts and every *_at are integers; urgency (and the
alert-threshold setting) a double in RESP3 and a decimal string in RESP2;
customer and agent ids, names and texts are strings; nil where a field may be
absent. An unknown field fails too, so a new field must be typed here.

RESP3 goes through a tiny raw parser (types tagged by the wire); RESP2 goes
through Debian's redis-py (4.3.4, RESP2 only) with the README's as_dict
helper, read from README.md, so the documented helper is tested as written.

Usage: reply_types.py --port N --desk D --ticket T --merged M --master X --closed C
Prints "ok - ..." / "FAIL - ...: ..." lines.
"""
import argparse
import json
import re
import socket
import sys
import os

import redis

INT, STR, DBL, NIL, ARR_INT, ARR_STR, MAP_INT = (
    "int", "str", "double", "nil", "array of int", "array of str", "map of int")

# field -> allowed types (besides the command-specific ids below)
FIELDS = {
    "priority": {INT}, "version": {INT}, "load": {INT}, "capacity": {INT},
    "assigned_total": {INT}, "overdue_ms": {INT},
    # when the timer marked the breach (ms), or the breached metrics' names
    "sla_breached": {INT, STR, NIL},
    "created_at": {INT}, "updated_at": {INT}, "sla_due_at": {INT, NIL},
    "closed_at": {INT, NIL}, "joined_at": {INT, NIL}, "at": {INT},
    "master": {INT, STR, NIL},          # a ticket id, or "self" for an incident
    "urgency": {DBL, NIL}, "label": {STR},
    "user_id": {STR, NIL}, "assigned_agent": {STR, NIL},
    "subject": {STR}, "body": {STR, NIL}, "status": {STR}, "category": {STR},
    "resolution": {STR}, "name": {STR, NIL}, "email": {STR, NIL}, "phone": {STR, NIL},
    "availability": {STR}, "skills": {ARR_STR}, "open_tickets": {ARR_INT},
    "sender": {STR}, "text": {STR},
}
# "id" is a ticket id (int) in ticket maps, a string elsewhere.
ID_TYPE = {"ticket": INT, "agent": STR, "customer": STR, "message": STR}


class Resp3:
    """Just enough RESP3 to see the wire type of every element."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")
        self.call("HELLO", "3")

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(out))
        return self.read()

    def read(self):
        line = self.f.readline()[:-2]
        t, rest = line[:1], line[1:]
        if t == b":":
            return ("int", int(rest))
        if t == b",":
            return ("double", float(rest))
        if t in (b"+",):
            return ("str", rest.decode())
        if t in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return ("nil", None)
            data = self.f.read(n + 2)[:-2]
            return ("str", data.decode(errors="replace"))
        if t == b"_":
            return ("nil", None)
        if t == b"-":
            return ("error", rest.decode())
        if t in (b"*", b"~"):
            n = int(rest)
            return ("array", [self.read() for _ in range(n)]) if n >= 0 else ("nil", None)
        if t == b"%":
            n = int(rest)
            return ("map", [(self.read(), self.read()) for _ in range(n)])
        if t == b"#":
            return ("bool", rest == b"t")
        raise ValueError("unexpected RESP3 type %r" % line)


passed = failed = 0


def ok(name):
    global passed
    passed += 1
    print("ok - %s" % name)


def fail(name, why):
    global failed
    failed += 1
    print("FAIL - %s: %s" % (name, why))


def resp3_type(v):
    t, x = v
    if t == "array":
        kinds = {e[0] for e in x}
        if kinds <= {"int"}:
            return ARR_INT if x else "empty array"
        if kinds <= {"str"}:
            return ARR_STR
        return "mixed array"
    if t == "map":
        return MAP_INT if all(e[1][0] == "int" for e in x) else "map"
    return t


def resp2_type(v, field):
    if v is None:
        return NIL
    if isinstance(v, int):
        return INT
    if isinstance(v, bytes):
        # RESP2 has no double: urgency is its decimal string
        if field in ("urgency", "alert-threshold"):
            try:
                float(v)
                return DBL
            except ValueError:
                return STR
        return STR
    if isinstance(v, list):
        # a nested map under RESP2: field, integer, field, integer, ...
        if v and len(v) % 2 == 0 and all(isinstance(e, bytes) for e in v[::2]) and \
                all(isinstance(e, int) for e in v[1::2]):
            return MAP_INT
        if all(isinstance(e, int) for e in v):
            return ARR_INT if v else "empty array"
        if all(isinstance(e, bytes) for e in v):
            return ARR_STR
    return type(v).__name__


def allowed(field, id_kind, extra):
    if field in extra:
        return extra[field]
    if field == "id":
        return {ID_TYPE[id_kind]}
    if field in FIELDS:
        return FIELDS[field]
    # every time, present or to come (first_reply_at, next_reply_due_at, ...)
    if field.endswith("_at") or field.endswith("_ms"):
        return {INT, NIL}
    return None


def judge(label, fields, id_kind, extra):
    """fields: [(name, wire type)]; one ok/FAIL line for the whole map."""
    bad = []
    for k, got in fields:
        want = allowed(k, id_kind, extra or {})
        if want is None:
            bad.append("%s: unknown field (type it in tests/reply_types.py)" % k)
        elif got not in want and not (got == "empty array" and want & {ARR_INT, ARR_STR}):
            bad.append("%s is %s, want %s" % (k, got, "/".join(sorted(want))))
    if bad:
        fail(label, "; ".join(bad))
    else:
        ok("%s: %d fields typed" % (label, len(fields)))


def check_map3(label, reply, id_kind, extra=None):
    """RESP3: reply must be a map; every field typed."""
    if reply[0] != "map":
        fail(label + " (RESP3)", "not a map: %r" % (reply,))
        return
    judge(label + " (RESP3)", [(k, resp3_type(v)) for (_, k), v in reply[1]], id_kind, extra)


def check_map2(label, reply, id_kind, as_dict, extra=None):
    """RESP2 through redis-py and the README helper."""
    if not isinstance(reply, list) or len(reply) % 2:
        fail(label + " (RESP2)", "not a flat field/value array: %r" % (reply,))
        return
    fields = []
    for k, v in as_dict(reply).items():
        k = k.decode() if isinstance(k, bytes) else k
        fields.append((k, resp2_type(v, k)))
    judge(label + " (RESP2)", fields, id_kind, extra)


def readme_helper(root):
    """The as_dict helper exactly as README.md shows it."""
    text = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    m = re.search(r"```python\n(def as_dict\(reply\):\n(?:.*\n)*?)```", text)
    if not m:
        raise SystemExit("README.md has no ```python block starting with def as_dict(reply):")
    ns = {}
    exec(m.group(1), ns)
    return ns["as_dict"], m.group(1).count("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--desk", required=True)
    ap.add_argument("--ticket", required=True, help="an assigned open ticket")
    ap.add_argument("--merged", required=True, help="a merged ticket")
    ap.add_argument("--master", required=True, help="a master incident")
    ap.add_argument("--closed", required=True, help="a closed ticket with a resolution")
    ap.add_argument("--agent", required=True)
    ap.add_argument("--customer", required=True)
    ap.add_argument("--email", required=True)
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    o = ap.parse_args()
    D = o.desk

    as_dict, nlines = readme_helper(o.root)
    if nlines <= 3:
        ok("README's redis-py helper is %d lines" % nlines)
    else:
        fail("README's redis-py helper", "%d lines, not three" % nlines)

    r3 = Resp3(o.port)
    r2 = redis.Redis(port=o.port)

    # Commands whose reply is one map, and the kind of their "id".
    single = [
        ("TICKET.GET assigned", ["TICKET.GET", D, o.ticket], "ticket", None),
        ("TICKET.GET merged", ["TICKET.GET", D, o.merged], "ticket", None),
        ("TICKET.GET master incident", ["TICKET.GET", D, o.master], "ticket", None),
        ("TICKET.GET closed", ["TICKET.GET", D, o.closed], "ticket", None),
        ("AGENT.GET", ["AGENT.GET", D, o.agent], "agent", None),
        ("CUSTOMER.GET", ["CUSTOMER.GET", D, o.customer], "customer", None),
        ("CUSTOMER.FIND", ["CUSTOMER.FIND", D, o.email], "customer", None),
        ("TICKET.CLASSIFY", ["TICKET.CLASSIFY", D, "refund my invoice now, urgent"],
         "ticket", None),
        ("TICKET.COUNTS", ["TICKET.COUNTS", D], "ticket",
         {s: {INT} for s in ("open", "in_progress", "on_hold", "closed", "merged")}),
        ("DESK.STATS", ["DESK.STATS", D], "ticket",
         {"status": {MAP_INT}, "category": {MAP_INT}, "unassigned": {INT},
          "overdue": {INT}, "agents": {INT}, "agents_online": {INT},
          "total_load": {INT}, "total_capacity": {INT}}),
    ]
    cfg_types = {n: {INT} for n in ("flood-window", "flood-threshold", "default-capacity",
                                    "events-maxlen", "chat-maxlen", "state-ttl",
                                    "state-history-max")}
    cfg_types.update({"alert-threshold": {DBL}, "auto-route": {STR}, "categories": {STR},
                      "learn-from-corrections": {STR}, "hours": {STR}, "timezone": {STR},
                      "holidays": {STR}, "sla-hours": {STR}, "sla-pause-on-hold": {STR},
                      "sla-warn-percent": {INT}, "skill-timeout": {INT},
                      "reassign-after": {INT}})
    cfg3 = r3.call("DESK.CONFIG", "GET", D)
    for (_, k), _v in (cfg3[1] if cfg3[0] == "map" else []):
        if k.startswith("sla."):
            cfg_types[k] = {INT}
    single.append(("DESK.CONFIG GET", ["DESK.CONFIG", "GET", D], "ticket", cfg_types))

    for label, cmd, kind, extra in single:
        check_map3(label, r3.call(*cmd), kind, extra)
        check_map2(label, r2.execute_command(*cmd), kind, as_dict, extra)

    # Maps of maps (SPEC section 11): TICKET.SLA per metric, DESK.REPORT per
    # group, each inner map judged like the others.
    sla_types = {"target": {INT}, "due_at": {INT, NIL}, "achieved_at": {INT, NIL},
                 "breached": {INT}, "paused": {INT}, "elapsed": {INT}}
    report_types = {n: {INT} for n in ("created", "closed", "reopened")}
    # a percentile of no measurement is nil
    report_types.update({n: {INT, NIL} for n in ("first_reply_p50", "first_reply_p90",
                                                  "resolution_p50", "resolution_p90")})
    report_types["breaches"] = {MAP_INT}
    nested = [
        ("TICKET.SLA", ["TICKET.SLA", D, o.closed], ("first_reply", "next_reply", "resolution"),
         sla_types),
        ("DESK.REPORT BY category", ["DESK.REPORT", D, "BY", "category"], None, report_types),
    ]
    for label, cmd, want_keys, types in nested:
        rep3 = r3.call(*cmd)
        rep2 = as_dict(r2.execute_command(*cmd))
        if rep3[0] != "map" or not rep3[1]:
            fail(label, "expected a non-empty map of maps, got %r" % (rep3,))
            continue
        keys3 = [k for (_, k), _v in rep3[1]]
        if want_keys and tuple(keys3) != want_keys:
            fail(label, "keys %r, want %r" % (keys3, want_keys))
        for (_, k), v in rep3[1]:
            check_map3("%s %s" % (label, k), v, "ticket", types)
        for k, v in rep2.items():
            k = k.decode() if isinstance(k, bytes) else k
            check_map2("%s %s" % (label, k), v, "ticket", as_dict, types)

    # TICKET.NEXT assigns and replies the ticket as TICKET.GET does (A2 serves
    # general, where two tickets wait); TICKET.STATE.GET is one JSON text.
    check_map3("TICKET.NEXT", r3.call("TICKET.NEXT", D, "A2"), "ticket")
    check_map2("TICKET.NEXT", r2.execute_command("TICKET.NEXT", D, "A2"), "ticket", as_dict)

    # Commands whose reply is an array of maps.
    lists = [
        ("TICKET.PEEK", ["TICKET.PEEK", D, "COUNT", "50"], "ticket"),
        ("TICKET.PEEK UNASSIGNED", ["TICKET.PEEK", D, "UNASSIGNED"], "ticket"),
        ("TICKET.OVERDUE", ["TICKET.OVERDUE", D], "ticket"),
        ("AGENT.LIST", ["AGENT.LIST", D], "agent"),
        ("AGENT.TICKETS", ["AGENT.TICKETS", D, o.agent], "ticket"),
        ("TICKET.MSGS", ["TICKET.MSGS", D, o.ticket], "message"),
    ]
    for label, cmd, kind in lists:
        rep3 = r3.call(*cmd)
        rep2 = r2.execute_command(*cmd)
        if rep3[0] != "array" or not rep3[1]:
            fail(label, "expected a non-empty array of maps, got %r" % (rep3,))
            continue
        for i, m in enumerate(rep3[1]):
            check_map3("%s[%d]" % (label, i), m, kind)
        for i, m in enumerate(rep2):
            check_map2("%s[%d]" % (label, i), m, kind, as_dict)

    # Scalar and array replies.
    def scalar(label, cmd, want3, want2=None, cmd2=None):
        rep3 = r3.call(*cmd)
        got3 = resp3_type(rep3)
        if got3 == want3:
            ok("%s (RESP3) is %s" % (label, want3))
        else:
            fail("%s (RESP3)" % label, "is %s (%r), want %s" % (got3, rep3, want3))
        rep2 = r2.execute_command(*(cmd2 or cmd))
        got2 = resp2_type(rep2, "")
        want2 = want2 or want3
        if got2 == want2:
            ok("%s (RESP2) is %s" % (label, want2))
        else:
            fail("%s (RESP2)" % label, "is %s (%r), want %s" % (got2, rep2, want2))

    scalar("TICKET.CREATE id", ["TICKET.CREATE", D, "typed reply probe", "PRIORITY", "5",
                                "CATEGORY", "general"], INT)
    scalar("TICKET.UPDATE version", ["TICKET.UPDATE", D, o.ticket, "subject", "renamed"], INT)
    scalar("TICKET.CLAIM ids", ["TICKET.CLAIM", D, o.agent, "COUNT", "2"], ARR_INT)
    scalar("CUSTOMER.TICKETS ids", ["CUSTOMER.TICKETS", D, o.customer], ARR_INT)
    scalar("TICKET.STATE.SET version", ["TICKET.STATE.SET", D, o.ticket, '{"facts":{}}'], INT)
    scalar("TICKET.STATE.APPEND version", ["TICKET.STATE.APPEND", D, o.ticket, '"hi"'], INT)
    scalar("TICKET.MSG stream id", ["TICKET.MSG", D, o.ticket, o.agent, "hello"], STR)
    scalar("CUSTOMER.CREATE uid (a string)", ["CUSTOMER.CREATE", D, "Typed", "typed3@example.com"],
           STR, cmd2=["CUSTOMER.CREATE", D, "Typed", "typed2@example.com"])
    scalar("AGENT.SKILLS list", ["AGENT.SKILLS", D, o.agent, "ADD", "billing"], ARR_STR)
    scalar("TICKET.LOG entries", ["TICKET.LOG", D, o.ticket], ARR_STR)
    scalar("DESK.CHECK (clean)", ["DESK.CHECK", D], "empty array")
    doc = json.loads(r2.execute_command("TICKET.STATE.GET", D, o.ticket))
    bad = [k for k in ("created_at", "updated_at", "version") if type(doc.get(k)) is not int]
    if bad:
        fail("TICKET.STATE.GET document", "not JSON integers: %s" % ", ".join(bad))
    else:
        ok("TICKET.STATE.GET document: created_at, updated_at, version are JSON integers")
    scalar("DESK.CONFIG GET flood-window", ["DESK.CONFIG", "GET", D, "flood-window"], INT)

    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
