#!/usr/bin/python3
"""peer_client.py -- ticket creation the way the lab does it from Python with
redis-py (Debian's python3-redis), against the module called from the same
client, so only the server side differs.

usage: peer_client.py PORT DESK MODE N [CUSTOMER]    (--help: this text)

MODE
  multi   INCR D:seq:tickets, then one MULTI/EXEC pipeline with the writes of
          TICKET.CREATE: the ticket hash, the log entry, the priority, SLA and
          routing queues, the customer's ticket set, two D:stats counters and
          the `created` event (two round trips per ticket; the clock is the
          client's, as in the lab)
  module  TICKET.CREATE D subject BODY ... CUSTOMER ... PRIORITY ... CATEGORY ...
  lua     EVALSHA of scripts/bench/create.lua (SHA in $CREATE_SHA)

Creates N tickets one after the other on one connection and prints
    MODE N SECONDS RATE
"""
import os
import sys
import time

if __name__ == "__main__" and sys.argv[1:2] in (["-h"], ["--help"]):
    print(__doc__.strip())      # before importing redis: help needs no client
    sys.exit(0)

import redis  # noqa: E402  (after the --help answer above)

SUBJECT = "Charged twice for order %d"
BODY = "My card was billed two times"
PRIORITY = 10
CATEGORY = "billing"
SLA_SECONDS = 14400          # the desk default for priority 10
ROUTING_BAND = 1 << 40       # queue.c: priority band above the id bits


def create_multi(r, desk, uid, i):
    tid = r.incr(desk + ":seq:tickets")
    now = int(time.time() * 1000)
    member = "ticket:%d" % tid
    key = "%s:ticket:%d" % (desk, tid)
    p = r.pipeline(transaction=True)
    p.hset(key, mapping={
        "user_id": uid, "subject": SUBJECT % i, "body": BODY, "status": "open",
        "priority": PRIORITY, "category": CATEGORY, "urgency": "0.000",
        "created_at": now, "updated_at": now,
        "sla_due_at": now + SLA_SECONDS * 1000, "version": 1})
    p.rpush(key + ":log", "%d: created (priority %d, category %s)"
            % (now, PRIORITY, CATEGORY))
    p.zadd(desk + ":queue:priority", {member: PRIORITY})
    p.zadd(desk + ":queue:sla", {member: now + SLA_SECONDS * 1000})
    p.zadd("%s:queue:unassigned:%s" % (desk, CATEGORY),
           {member: (1000 - PRIORITY) * ROUTING_BAND + tid})
    p.zadd("%s:queue:created:%s" % (desk, CATEGORY), {member: tid})
    p.sadd("%s:user:%s:tickets" % (desk, uid), member)
    p.hincrby(desk + ":stats", "status:open", 1)
    p.hincrby(desk + ":stats", "category:" + CATEGORY, 1)
    p.xadd(desk + ":events", {"type": "created", "ticket": tid, "at": now,
                              "priority": PRIORITY, "category": CATEGORY},
           maxlen=100000, approximate=True)
    p.execute()
    return tid


def create_module(r, desk, uid, i):
    return r.execute_command("TICKET.CREATE", desk, SUBJECT % i, "BODY", BODY,
                             "CUSTOMER", uid, "PRIORITY", PRIORITY,
                             "CATEGORY", CATEGORY)


def create_lua(r, desk, uid, i, sha=os.environ.get("CREATE_SHA", "")):
    return r.evalsha(sha, 0, desk, SUBJECT % i, BODY, uid, PRIORITY, CATEGORY, "0.000")


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    port, desk, mode, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    uid = sys.argv[5] if len(sys.argv) > 5 else "1"
    fn = {"multi": create_multi, "module": create_module, "lua": create_lua}[mode]
    r = redis.Redis(host="127.0.0.1", port=port)
    r.ping()
    start = time.perf_counter()
    for i in range(n):
        fn(r, desk, uid, i)
    secs = time.perf_counter() - start
    print("%s %d %.3f %.1f" % (mode, n, secs, n / secs))


if __name__ == "__main__":
    main()
