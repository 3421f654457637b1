#!/usr/bin/env python3
"""Helper of tests/test_text_pin.sh (no Redis client library needed).

  text_pin.py commands TSV TEXTS   print the redis-cli command lines
  text_pin.py results  TSV TEXTS   read redis-cli's replies on stdin, print
                                   the pinned lines (one per text or pair)

Classifier: TICKET.CLASSIFY on "subject\\nbody" of every tickets.tsv row
and on every line of TEXTS (category, urgency, label, priority). Flood: every pair of TEXTS on a fresh
desk with flood-threshold 2; "alike" when the second create merged both."""
import sys


def quote(s):
    # redis-cli's own argument syntax: "..." with \xHH for anything unusual.
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        out.append(c if 0x20 <= b < 0x7f and c not in '"\\' else "\\x%02x" % b)
    return '"' + "".join(out) + '"'


def tickets(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 5:
                rows.append(cols[3] + "\n" + cols[4])
    return rows


def texts(path):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]


def pairs(ts):
    return [(i, j) for i in range(len(ts)) for j in range(i + 1, len(ts))]


def commands(rows, ts):
    for r in rows:
        print("TICKET.CLASSIFY pin " + quote(r))
    for n, (i, j) in enumerate(pairs(ts)):
        d = "pin%d" % n
        print("DESK.CONFIG SET %s flood-threshold 2" % d)
        print("TICKET.CREATE %s %s" % (d, quote(ts[i])))
        print("TICKET.CREATE %s %s" % (d, quote(ts[j])))
        print("HGET %s:stats status:merged" % d)


def results(rows, ts):
    lines = sys.stdin.read().split("\n")
    pos = 0
    for r in rows:
        rep = lines[pos:pos + 8]
        pos += 8
        m = dict(zip(rep[0::2], rep[1::2]))
        print("classify\t%s\t%s %s %s %s" % (r.split("\n")[0], m.get("category"),
              m.get("urgency"), m.get("label"), m.get("priority")))
    for i, j in pairs(ts):
        merged = lines[pos + 3]
        pos += 4
        print("flood\t%s | %s\t%s" % (ts[i], ts[j], "alike" if merged == "2" else "apart"))


if __name__ == "__main__":
    mode, tsv, tx = sys.argv[1:4]
    ts = texts(tx)
    # The flood texts go through the classifier too: they probe the stemmer.
    (commands if mode == "commands" else results)(tickets(tsv) + ts, ts)
