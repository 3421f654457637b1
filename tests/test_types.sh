#!/usr/bin/env bash
# Reply types (SPEC section 4, issue 12): every field of every map reply,
# and the scalar/array replies, in RESP2 (Debian's redis-py 4.3.4 with the
# README's as_dict helper) and RESP3 (a raw parser that sees wire types):
# ids, priorities, versions, loads, capacities, counts and every *_at are
# integers; urgency a double (RESP3) or decimal string (RESP2); customer and
# agent ids strings. tests/reply_types.py holds the field table and the checks.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
D=types

# Data with every kind of field: a customer, agents, an assigned ticket with
# a message, a closed one with a resolution, a merged ticket and its master
# incident, an overdue one.
r CONFIG SET helpdesk.sla-timer-ms 10 >/dev/null
uid=$(r CUSTOMER.CREATE $D Ann ann@example.com PHONE +15550001)
r AGENT.CREATE $D A1 Alice EMAIL alice@example.com SKILLS general billing CAPACITY 10 >/dev/null
r AGENT.CREATE $D A2 Bob >/dev/null
t1=$(r TICKET.CREATE $D "Printer on fire, urgent" BODY "it burns" CUSTOMER "$uid" CATEGORY billing)
r TICKET.ASSIGN $D "$t1" A1 >/dev/null
r TICKET.MSG $D "$t1" "customer:$uid" "help please" >/dev/null
t2=$(r TICKET.CREATE $D "Refund invoice" CATEGORY billing PRIORITY 5)
r TICKET.CLOSE $D "$t2" RESOLUTION "refunded" >/dev/null
master=$(r TICKET.CREATE $D "Site down" PRIORITY 20 CATEGORY general)
child=$(r TICKET.CREATE $D "Site down too" PRIORITY 5 CATEGORY general)
assert_ok "merge a ticket into another" TICKET.MERGE $D "$child" INTO "$master"
late=$(r TICKET.CREATE $D "Late one" PRIORITY 1 CATEGORY general)
r TICKET.UPDATE $D "$late" sla_due_at 1 >/dev/null
r TICKET.CREATE $D "Queued one" PRIORITY 10 CATEGORY billing >/dev/null
# The SLA timer marks the overdue ticket (sla_breached); poll, no sleep-then-expect.
wait_for 1 r HEXISTS $D:ticket:$late sla_breached
assert_eq "the overdue ticket got marked sla_breached" 1 "$(r HEXISTS $D:ticket:$late sla_breached)"

# Debian's python3 (the one python3-redis is installed for), not a pyenv shim.
out=$(/usr/bin/python3 "$ROOT/tests/reply_types.py" --port "$PORT" --desk $D --ticket "$t1" \
      --merged "$child" --master "$master" --closed "$t2" --agent A1 \
      --customer "$uid" --email ann@example.com 2>&1)
rc=$?
echo "$out" | grep -E '^(ok|FAIL) - '
while read -r line; do
    case $line in
        "ok - "*) PASS=$((PASS + 1)) ;;
        "FAIL - "*) FAIL=$((FAIL + 1)) ;;
    esac
done <<<"$out"
assert_eq "reply_types.py finished cleanly" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | grep -vE "^(ok|FAIL) - " | tail -n 8
n=$(grep -c '^ok - ' <<<"$out")
if [ "$n" -ge 60 ]; then pass "reply_types.py checked $n replies"; else fail "reply_types.py coverage" "only $n checks passed"; fi

# The late ticket's breach mark names the metric breached (SPEC section 11).
assert_match "TICKET.GET of the overdue ticket: sla_breached names the metric (RESP3)" \
    '*"sla_breached":"resolution"*' "$(rj TICKET.GET $D "$late")"
assert_eq "DESK.CHECK is clean at the end" "" "$(r DESK.CHECK $D)"
finish
