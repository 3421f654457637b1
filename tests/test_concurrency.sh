#!/usr/bin/env bash
# Many clients at once (SPEC.md section 8): 24 background redis-cli loops
# claim, take (NEXT, some blocking briefly), give back and close tickets for 8
# agents with overlapping skills while 2 more clients create routed tickets.
# Afterwards the desk must be consistent: no ticket handed out twice, loads
# equal the open_tickets sets, nobody above capacity, DESK.CHECK empty. Only
# outcomes are asserted, never timings; every client runs a fixed number of
# iterations.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server

D=cc
TICKETS=300
CLIENTS=24
ITER=30
CAP=3
CATS=(billing technical legal shipping general)
PRIOS=(1 5 10 20)
declare -A SKILLS=(
    [G1]="billing" [G2]="billing technical" [G3]="technical"
    [G4]="technical legal" [G5]="legal shipping" [G6]="shipping billing"
    [G7]="" [G8]="billing technical legal shipping"
)
AGENTS=(G1 G2 G3 G4 G5 G6 G7 G8)

r DESK.CONFIG SET $D flood-threshold 0 >/dev/null
r DESK.CONFIG SET $D alert-threshold 1 >/dev/null
for a in "${AGENTS[@]}"; do
    # shellcheck disable=SC2086   # the skills are separate words on purpose
    if [ -n "${SKILLS[$a]}" ]; then r AGENT.CREATE $D $a "agent $a" SKILLS ${SKILLS[$a]} CAPACITY $CAP >/dev/null
    else r AGENT.CREATE $D $a "agent $a" CAPACITY $CAP >/dev/null; fi
done
assert_eq "agents created" ${#AGENTS[@]} "$(r SCARD $D:agents)"

# The tickets, in one pipelined connection.
for i in $(seq $TICKETS); do
    echo "TICKET.CREATE $D \"ticket $i\" CATEGORY ${CATS[i % 5]} PRIORITY ${PRIOS[i % 4]}"
done | r >/dev/null
assert_eq "tickets created up-front" $TICKETS "$(r GET $D:seq:tickets)"

# One worker: a fixed number of rounds of take / give back / close for its agent.
give_back() {    # closes (or, one time in three, unassigns) one of the agent's tickets
    local agent=$1 tid
    tid=$(r SMEMBERS "$D:agent:$agent:open_tickets" | shuf -n 1); tid=${tid#ticket:}
    [ -n "$tid" ] || return 0
    if [ $((RANDOM % 3)) = 0 ]; then r TICKET.UNASSIGN $D "$tid" >/dev/null
    else r TICKET.CLOSE $D "$tid" RESOLUTION "done by $agent" >/dev/null; fi
}
worker() {
    local agent=$1 n
    for n in $(seq $ITER); do
        case $((n % 5)) in
            0) r TICKET.CLAIM $D "$agent" COUNT 2 ORDER CREATED >/dev/null ;;
            1|3) give_back "$agent" ;;
            2) if [ $((RANDOM % 2)) = 0 ]; then r TICKET.NEXT $D "$agent" >/dev/null
               else r TICKET.NEXT $D "$agent" BLOCK 20 >/dev/null; fi ;;
            4) r TICKET.CLAIM $D "$agent" >/dev/null ;;
        esac
    done
}
creator() {
    local n
    for n in $(seq 25); do
        r TICKET.CREATE $D "late ticket $1.$n" CATEGORY "${CATS[n % 5]}" PRIORITY 10 ROUTE >/dev/null
    done
}

pids=()
for c in $(seq 0 $((CLIENTS - 1))); do
    worker "${AGENTS[c % ${#AGENTS[@]}]}" & pids+=($!)
done
creator 1 & pids+=($!)
creator 2 & pids+=($!)
for p in "${pids[@]}"; do wait "$p"; done

assert_eq "server still answers" PONG "$(r PING)"
TOTAL=$(r GET $D:seq:tickets)
assert_eq "every create got its own id" $((TICKETS + 50)) "$TOTAL"
assert_eq "no blocked client left" 0 "$(r INFO clients | tr -d '\r' | awk -F: '$1 == "blocked_clients" { print $2 }')"
assert_eq "no NEXT waiter left" 0 "$(r INFO helpdesk | tr -d '\r' | awk -F: '$1 == "helpdesk_blocked_next_waiters" { print $2 }')"

# ---- the event stream: nobody got a ticket somebody else held -------------

# "type ticket agent from" per event, oldest first.
r XRANGE $D:events - + | awk '
    /^[0-9]+-[0-9]+$/ { if (t != "") print t, tk, ag, fr; t = tk = ag = fr = ""; k = ""; next }
    k == "" { k = $0; next }
    { if (k == "type") t = $0; else if (k == "ticket") tk = $0;
      else if (k == "agent") ag = $0; else if (k == "from") fr = $0; k = "" }
    END { if (t != "") print t, tk, ag, fr }' >"$SERVER_DIR/events"
assert_eq "one created event per ticket" "$TOTAL" "$(grep -c '^created ' "$SERVER_DIR/events")"
assigned=$(grep -c '^assigned ' "$SERVER_DIR/events")
closed=$(grep -c '^closed ' "$SERVER_DIR/events")
assert_match "tickets were handed out ($assigned)" '[1-9][0-9]*' "$assigned"
assert_match "tickets were closed ($closed)" '[1-9]*' "$closed"
# Replay: an assignment must find the ticket free (or, for a reassignment,
# held by the agent in `from`); unassigned/closed must come from the holder.
awk '
    $1 == "assigned" { if (($2 in h) && h[$2] != "" && h[$2] != $4) { print "ticket", $2, "given to", $3, "while", h[$2], "held it"; bad++ }
                       if ($4 != "" && h[$2] != $4) { print "ticket", $2, "reassigned from", $4, "who did not hold it"; bad++ }
                       h[$2] = $3 }
    $1 == "unassigned" { if (h[$2] != $3) { print "ticket", $2, "unassigned from", $3, "but held by", h[$2]; bad++ } h[$2] = "" }
    $1 == "closed" || $1 == "deleted" || $1 == "merged" { h[$2] = "" }
    END { for (t in h) if (h[t] != "") print "holder", t, h[t] > "/dev/stderr"; exit bad > 0 }
' "$SERVER_DIR/events" 2>"$SERVER_DIR/holders" >"$SERVER_DIR/violations"
assert_eq "no ticket assigned twice without unassign/close" "" "$(head -n 5 "$SERVER_DIR/violations")"
# Holders after replaying the events = the assigned_agent fields now.
sort "$SERVER_DIR/holders" >"$SERVER_DIR/holders.sorted"
for t in $(seq "$TOTAL"); do echo "HGET $D:ticket:$t assigned_agent"; done | r |
    awk '$0 != "" { print "holder", NR, $0 }' | sort >"$SERVER_DIR/fields.sorted"
assert_eq "event replay matches the tickets' assigned_agent" "" \
    "$(diff "$SERVER_DIR/holders.sorted" "$SERVER_DIR/fields.sorted" | head -n 5)"

# ---- agents: load = |open_tickets| <= capacity, sets agree with tickets ----

held=0
for a in "${AGENTS[@]}"; do
    load=$(r HGET $D:agent:$a load); n=$(r SCARD $D:agent:$a:open_tickets)
    assert_eq "$a: load equals SCARD open_tickets" "$n" "$load"
    assert_eq "$a: not above capacity" 1 "$((load <= CAP))"
    held=$((held + n))
    wrong=$(r SMEMBERS $D:agent:$a:open_tickets | while read -r m; do
                [ "$(r HGET "$D:$m" assigned_agent)" = "$a" ] || echo "$m"; done)
    assert_eq "$a: every ticket in its set names it" "" "$wrong"
done
assert_eq "sum of the sets = assigned tickets (no ticket in two sets)" \
    "$(wc -l <"$SERVER_DIR/fields.sorted")" "$held"

# ---- counters and the routing queues ---------------------------------------

for t in $(seq "$TOTAL"); do echo "HGET $D:ticket:$t status"; done | r | sort | uniq -c |
    awk '{ print $2, $1 }' >"$SERVER_DIR/statuses"
closed_now=$(awk '$1 == "closed" { print $2 }' "$SERVER_DIR/statuses")
assert_eq "closed tickets = closed events" "$closed" "${closed_now:-0}"
assert_eq "TICKET.COUNTS closed" "${closed_now:-0}" "$(r -3 TICKET.COUNTS $D | awk '$1 == "closed" { print $2 }')"
active=$((TOTAL - ${closed_now:-0}))
assert_eq "queue:priority holds every active ticket" "$active" "$(r ZCARD $D:queue:priority)"
queued=0
for c in "${CATS[@]}"; do queued=$((queued + $(r ZCARD $D:queue:unassigned:$c))); done
assert_eq "routing queues hold exactly the unassigned active tickets" $((active - held)) "$queued"

assert_eq "DESK.CHECK $D is empty" "[]" "$(rj DESK.CHECK $D)"
finish
