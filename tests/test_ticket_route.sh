#!/usr/bin/env bash
# TICKET.ROUTE D [tid] (SPEC section 4): routes a ticket, or the most urgent
# unassigned one, to the best agent as TICKET.CREATE ... ROUTE does.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
start_server
D=rt

ev_last() {
    r XREVRANGE "$D:events" + - COUNT 1 | tail -n +2 | paste -d= - - |
        grep -v '^at=' | tr '\n' ' ' | sed 's/ $//'
}

# Nobody to route to yet: nil, and nothing changes.
t1=$(r TICKET.CREATE $D "Refund please" CATEGORY billing PRIORITY 5)
t2=$(r TICKET.CREATE $D "Server down" CATEGORY technical PRIORITY 20)
t3=$(r TICKET.CREATE $D "Invoice wrong" CATEGORY billing PRIORITY 10)
before=$(dbdigest)
assert_eq "no agent: nil" null "$(rj TICKET.ROUTE $D $t1)"
assert_eq "no agent, no tid: nil" null "$(rj TICKET.ROUTE $D)"
assert_eq "nil changed nothing" "$before" "$(dbdigest)"

r AGENT.CREATE $D B1 "Bea" SKILLS billing >/dev/null
r AGENT.CREATE $D B2 "Bob" SKILLS billing >/dev/null
r AGENT.CREATE $D T1 "Tom" SKILLS technical >/dev/null

# With a tid: that ticket, to the least loaded fitting agent (ties by id).
assert_eq "route t1 -> B1" B1 "$(r TICKET.ROUTE $D $t1)"
assert_eq "t1 assigned" B1 "$(r HGET $D:ticket:$t1 assigned_agent)"
assert_eq "B1 load 1" 1 "$(r HGET $D:agent:B1 load)"
assert_eq "event assigned, reason routed" "type=assigned ticket=$t1 agent=B1 from= reason=routed" "$(ev_last)"
assert_eq "out of its routing queue" "" "$(r ZSCORE $D:queue:unassigned:billing ticket:$t1)"

# Without a tid: the most urgent unassigned ticket over every category.
assert_eq "no tid: the priority-20 technical ticket -> T1" T1 "$(r TICKET.ROUTE $D)"
assert_eq "t2 assigned to T1" T1 "$(r HGET $D:ticket:$t2 assigned_agent)"
assert_eq "no tid again: t3 -> B2 (least loaded)" B2 "$(r TICKET.ROUTE $D)"
assert_eq "nothing unassigned left: nil" null "$(rj TICKET.ROUTE $D)"

# Busy or offline agents are skipped; a ticket nobody can take stays queued.
t4=$(r TICKET.CREATE $D "Another outage" CATEGORY technical)
r AGENT.AVAILABILITY $D T1 away >/dev/null
before=$(dbdigest)
assert_eq "only agent away: nil" null "$(rj TICKET.ROUTE $D $t4)"
assert_eq "t4 still queued" 1 "$(r EXISTS $D:queue:unassigned:technical)"
assert_eq "nil changed nothing" "$before" "$(dbdigest)"
r AGENT.AVAILABILITY $D T1 online >/dev/null

# Errors, each changing nothing.
assert_nochange "already assigned: STATE" -c STATE TICKET.ROUTE $D $t1
t5=$(r TICKET.CREATE $D "Closed one" CATEGORY billing)
r TICKET.CLOSE $D $t5 >/dev/null
assert_nochange "closed ticket: STATE" -c STATE TICKET.ROUTE $D $t5
assert_nochange "unknown ticket: NOTFOUND" -c NOTFOUND TICKET.ROUTE $D 999
assert_nochange "bad id: INVALID" -c INVALID TICKET.ROUTE $D abc
assert_nochange "extra argument: ERR" -c ERR TICKET.ROUTE $D $t4 x
assert_nochange "bad desk: INVALID" -c INVALID TICKET.ROUTE "bad:desk"
r TICKET.CREATE rtbad "x" CATEGORY billing >/dev/null
r SET rtbad:queue:unassigned:technical notazset >/dev/null
assert_nochange "wrong key type: INVALID" -c INVALID TICKET.ROUTE rtbad

# Registered like every command: write flag, key spec, docs.
assert_match "COMMAND INFO flags write" "*write*" "$(r COMMAND INFO ticket.route)"
assert_match "COMMAND DOCS summary" "*best online agent*" "$(r COMMAND DOCS ticket.route)"
assert_eq "key is the desk" $D "$(r COMMAND GETKEYS TICKET.ROUTE $D 5)"

# Identity: routing assigns to others, so an agent may not (admins only).
r ACL SETUSER T1 on '>pw' '~rt*' +@all >/dev/null
r CONFIG SET helpdesk.enforce-identity yes >/dev/null
out=$(redis-cli -p "$PORT" --user T1 --pass pw --no-auth-warning TICKET.ROUTE $D 2>&1)
assert_match "agent: DENIED" "DENIED*" "$out"
r CONFIG SET helpdesk.enforce-identity no >/dev/null

# Replicas get the effect, not a re-decision.
start_replica
r TICKET.ROUTE $D >/dev/null
# bounded poll: the replica applies asynchronously
replica_caught_up() { [ "$(dbdigest)" = "$(rr DEBUG DIGEST)" ]; }
wait_until replica_caught_up
assert_eq "replica digest = master digest" "$(dbdigest)" "$(rr DEBUG DIGEST)"
assert_eq "replica has the routed assignment" T1 "$(rr HGET $D:ticket:$t4 assigned_agent)"
stop_replica

assert_eq "DESK.CHECK clean" "" "$(r DESK.CHECK $D)"
finish
