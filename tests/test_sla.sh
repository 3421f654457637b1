#!/usr/bin/env bash
# The SLA breach timer: tickets past sla_due_at are marked once (field
# sla_breached, one sla_breach event, a log entry) by the master only, and
# the marks reach the replica as effects.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

# A standalone server (in the replica's slots) loading a copy of an RDB, with
# a 10 ms SLA timer given as a module argument.
start_from_rdb() {
    REPLICA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/helpdesk-restart.XXXXXX")
    cp "$1" "$REPLICA_DIR/dump.rdb"
    if HD_FROM_PORT=$((PORT + 2)) hd_start "$REPLICA_DIR" \
            --loadmodule "$HELPDESK_SO" sla-timer-ms 10; then
        REPLICA_PORT=$HD_PORT REPLICA_PID=$HD_PID
        return 0
    fi
    echo "FATAL: restarted server did not answer; log tail:" >&2
    tail -n 20 "$REPLICA_DIR/server.log" >&2
    exit 1
}

start_server
trap 'stop_replica; stop_server' EXIT
start_replica

breaches() { info_field_of "$1" helpdesk helpdesk_sla_breaches; }
# Number of sla_breach events for one ticket (redis-cli -n db as extra args).
breach_events() {
    local d=$1 tid=$2; shift 2
    r "$@" XRANGE "$d:events" - + | awk -v id="$tid" '
        prev == "type" { type = $0 } prev == "ticket" { tk = $0 }
        /^[0-9]+-[0-9]+$/ { if (type == "sla_breach" && tk == id) n++; type = ""; tk = "" }
        { prev = $0 }
        END { if (type == "sla_breach" && tk == id) n++; print n + 0 }'
}
# wait_marked CLI... KEY: poll (bounded) until KEY has sla_breached.
wait_marked() {
    local key=${*: -1}
    wait_for 1 "${@:1:$#-1}" HEXISTS "$key" sla_breached
}

assert_ok "sla-timer-ms can be set" CONFIG SET helpdesk.sla-timer-ms 10
assert_eq "sla-timer-ms reads back" "helpdesk.sla-timer-ms 10" \
    "$(r CONFIG GET helpdesk.sla-timer-ms | tr '\n' ' ' | sed 's/ $//')"
assert_err "sla-timer-ms below 10 is refused" ERR CONFIG SET helpdesk.sla-timer-ms 5
r -p "$REPLICA_PORT" CONFIG SET helpdesk.sla-timer-ms 10 >/dev/null

D=s1
r AGENT.CREATE $D A1 Ann SKILLS general billing technical account >/dev/null
t1=$(r TICKET.CREATE $D "printer on floor 3 is broken")
t2=$(r TICKET.CREATE $D "new laptop for the intern")
t3=$(r TICKET.CREATE $D "update my billing address")
t4=$(r TICKET.CREATE $D "close me before my due time")
r TICKET.ASSIGN $D "$t2" A1 FORCE >/dev/null
past=$(( $(date +%s) * 1000 - 60000 ))
r TICKET.UPDATE $D "$t1" sla_due_at "$past" >/dev/null
r TICKET.UPDATE $D "$t2" sla_due_at 1000 >/dev/null
# updated and closed in one transaction: the timer never sees it overdue and
# open, but it was resolved late, so the close itself marks the breach (once)
printf 'MULTI\nTICKET.UPDATE %s %s sla_due_at 1000\nTICKET.CLOSE %s %s\nEXEC\n' \
    $D "$t4" $D "$t4" | r >/dev/null

wait_marked r "$D:ticket:$t1" && wait_marked r "$D:ticket:$t2"
assert_eq "overdue tickets get sla_breached" "1 1" \
    "$(r HEXISTS $D:ticket:"$t1" sla_breached) $(r HEXISTS $D:ticket:"$t2" sla_breached)"
assert_eq "sla_breached names the metric" resolution "$(r HGET $D:ticket:"$t1" sla_breached)"
assert_eq "TICKET.GET shows sla_breached" 1 \
    "$(r TICKET.GET $D "$t1" | grep -c '^sla_breached$')"
assert_match "the ticket's log says so" "*sla breached: resolution (due $past)*" "$(r TICKET.LOG $D "$t1")"

# A later overdue ticket is marked by later ticks: proof that more ticks ran
# after the first marks, which must not have been repeated.
r TICKET.UPDATE $D "$t3" sla_due_at 2000 >/dev/null
wait_marked r "$D:ticket:$t3"
assert_eq "a ticket overdue later is marked by a later tick" 1 "$(r HEXISTS $D:ticket:"$t3" sla_breached)"
assert_eq "exactly one sla_breach event per ticket" "1 1 1" \
    "$(breach_events $D "$t1") $(breach_events $D "$t2") $(breach_events $D "$t3")"
assert_match "the event names the agent of an assigned ticket" "*agent*A1*" \
    "$(r XRANGE $D:events - + | tr '\n' ' ' | grep -o "type sla_breach ticket $t2 [^-]*")"
assert_eq "a ticket closed late is marked by the close, once" "resolution 1" \
    "$(r HGET $D:ticket:"$t4" sla_breached) $(breach_events $D "$t4")"
t5=$(r TICKET.CREATE $D "due tomorrow")
assert_eq "a ticket not yet due is not marked" 0 "$(r HEXISTS $D:ticket:"$t5" sla_breached)"
assert_eq "INFO helpdesk sla_breaches" 4 "$(breaches r)"
assert_eq "DESK.CHECK finds nothing" "" "$(r DESK.CHECK $D)"

# A desk in another db is watched too.
t=$(r -n 3 TICKET.CREATE s2 "database three ticket")
r -n 3 TICKET.UPDATE s2 "$t" sla_due_at 5000 >/dev/null
wait_marked r -n 3 "s2:ticket:$t"
assert_eq "a desk in db 3 is marked in db 3" "1 1" \
    "$(r -n 3 HEXISTS s2:ticket:"$t" sla_breached) $(breach_events s2 "$t" -n 3)"
assert_eq "nothing written to db 0 for it" 0 "$(r EXISTS s2:ticket:"$t")"

# The replica got the marks as effects and marked nothing itself.
# WAIT alone is not enough on a loaded machine: a replica still in its first
# sync acknowledges nothing, so wait (bounded) for the digests to agree.
r WAIT 1 5000 >/dev/null
wait_until -t 60 eval '[ "$(dbdigest)" = "$(rr DEBUG DIGEST)" ]'
assert_eq "replica digest equals the master's" "$(dbdigest)" "$(rr DEBUG DIGEST)"
assert_eq "the replica has the mark" "$(r HGET $D:ticket:"$t1" sla_breached)" \
    "$(rr HGET $D:ticket:"$t1" sla_breached)"
assert_eq "the replica's timer marked nothing" 0 "$(breaches rr)"

# A promoted replica watches the desks it learned from the replication
# stream. The master's timer is slowed so only the replica can mark.
r CONFIG SET helpdesk.sla-timer-ms 3600000 >/dev/null
r TICKET.CREATE s3 "replicated ticket due in a second" SLA 1 >/dev/null
r WAIT 1 5000 >/dev/null
rr REPLICAOF NO ONE >/dev/null
if wait_marked rr "s3:ticket:1"; then pass "the promoted replica marks a desk it only replicated"
else fail "the promoted replica marks a desk it only replicated" "no sla_breached"; fi
assert_eq "its own counter counts it" 1 "$(breaches rr)"
assert_eq "the old master did not mark it" 0 "$(r HEXISTS s3:ticket:1 sla_breached)"

stop_replica

# A server restarted from an RDB watches the desks it loaded.
r TICKET.CREATE s4 "saved ticket due in a second" SLA 1 >/dev/null
r SAVE >/dev/null
start_from_rdb "$SERVER_DIR/dump.rdb"
if wait_marked rr "s4:ticket:1"; then pass "after a restart from the RDB the loaded desk is watched"
else fail "after a restart from the RDB the loaded desk is watched" "no sla_breached"; fi
assert_eq "the saving server did not mark it" 0 "$(r HEXISTS s4:ticket:1 sla_breached)"
stop_replica
finish
