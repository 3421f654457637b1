#!/usr/bin/env bash
# Nothing is written or propagated while clients are paused (CLIENT PAUSE
# WRITE; FAILOVER pauses the same way, see tcl-tests/chaos.tcl): with AOF on
# or a replica attached, Redis aborts the server if a module propagates then
# ("ASSERTION FAILED ... areClientsPaused()"). The SLA timer holds off while
# paused and marks the breach after the pause; a blocked TICKET.NEXT woken by
# a MULTI that also paused clients is served after the pause.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
trap 'stop_replica; stop_server' EXIT

paused_ticks() { info_field helpdesk helpdesk_sla_paused_ticks; }
alive() { [ "$(r PING 2>/dev/null)" = PONG ]; }
ticks_at_least() { local t; t=$(paused_ticks); [ -n "$t" ] && [ "$t" -ge "$1" ]; }
marked() { [ "$(r HEXISTS "$1" sla_breached)" = 1 ]; }
breach_events() {
    r XRANGE "$1:events" - + | awk -v id="$2" '
        prev == "type" { type = $0 } prev == "ticket" { tk = $0 }
        /^[0-9]+-[0-9]+$/ { if (type == "sla_breach" && tk == id) n++; type = ""; tk = "" }
        { prev = $0 }
        END { if (type == "sla_breach" && tk == id) n++; print n + 0 }'
}

# pause_case DESK: a ticket falls due while clients are paused; the timer
# ticks (and holds off) during the pause; the mark comes after it.
pause_case() {
    local d=$1 what=$2 tid due p0
    tid=$(r TICKET.CREATE "$d" late CATEGORY billing PRIORITY 5 SLA 1)
    due=$(r HGET "$d:ticket:$tid" sla_due_at)
    assert_ok "$what: CLIENT PAUSE WRITE" CLIENT PAUSE 20000 WRITE
    wait_until clock_past "$due"
    p0=$(paused_ticks)
    wait_until ticks_at_least $((${p0:-0} + 3))
    if alive; then pass "$what: the server is up while the ticket falls due in the pause"
    else fail "$what: server alive" "redis-server is gone"; return; fi
    assert_eq "$what: the timer held off at least 3 ticks after the due time" yes \
        "$(ticks_at_least $((${p0:-0} + 3)) && echo yes || echo no)"
    assert_eq "$what: nothing marked during the pause" 0 "$(r HEXISTS "$d:ticket:$tid" sla_breached)"
    assert_ok "$what: CLIENT UNPAUSE" CLIENT UNPAUSE
    wait_until marked "$d:ticket:$tid"
    assert_eq "$what: marked once the pause is over" 1 "$(r HEXISTS "$d:ticket:$tid" sla_breached)"
    assert_eq "$what: one sla_breach event" 1 "$(breach_events "$d" "$tid")"
    LAST_TID=$tid
}

# ==== AOF on ================================================================

assert_ok "appendonly yes" CONFIG SET appendonly yes
wait_until aof_settled
assert_eq "AOF is on" 1 "$(info_field persistence aof_enabled)"
assert_ok "sla-timer-ms 10" CONFIG SET helpdesk.sla-timer-ms 10
r DESK.CONFIG SET shop flood-threshold 0 >/dev/null
pause_case shop "aof"
assert_eq "aof: DESK.CHECK is empty" "[]" "$(rj DESK.CHECK shop)"

# ==== A blocked NEXT woken by a MULTI that also paused clients ===============

r DESK.CONFIG SET wait flood-threshold 0 >/dev/null
r AGENT.CREATE wait W1 Wes SKILLS billing >/dev/null
redis-cli -p "$PORT" TICKET.NEXT wait W1 BLOCK 0 >"$SERVER_DIR/w1.out" 2>&1 &
W1PID=$!
blocked_one() { [ "$(info_field clients blocked_clients)" = 1 ]; }
wait_until blocked_one
got=$(printf 'MULTI\nTICKET.CREATE wait "for the waiter" CATEGORY billing\nCLIENT PAUSE 20000 WRITE\nEXEC\n' |
      redis-cli -p "$PORT" | tail -n 2 | paste -sd' ')
if alive; then pass "multi: the server is up after EXEC woke the waiter during the pause"
else fail "multi: server alive" "redis-server is gone"; fi
assert_eq "multi: the waiter stays blocked while clients are paused" 1 \
    "$(info_field clients blocked_clients)"
assert_ok "multi: CLIENT UNPAUSE" CLIENT UNPAUSE
w1_done() { ! kill -0 "$W1PID" 2>/dev/null; }
wait_until w1_done
kill "$W1PID" 2>/dev/null
wait "$W1PID" 2>/dev/null
w1id=$(awk 'NR % 2 == 1 && $0 == "id" { getline; print; exit }' "$SERVER_DIR/w1.out")
assert_match "multi: the waiter gets the ticket after the pause" "[0-9]*" "${w1id:-none}"
assert_eq "multi: assigned to W1" W1 "$(r HGET "wait:ticket:$w1id" assigned_agent)"
assert_eq "multi: EXEC created that ticket" "1 1" "$w1id $(r GET wait:seq:tickets)"
assert_eq "multi: EXEC replied the new id and OK" "1 OK" "$got"
assert_eq "multi: DESK.CHECK is empty" "[]" "$(rj DESK.CHECK wait)"

# ==== A replica attached ====================================================

start_replica
rr CONFIG SET helpdesk.sla-timer-ms 10 >/dev/null
pause_case shop "replica"
synced() { [ "$(r DEBUG DIGEST)" = "$(rr DEBUG DIGEST)" ]; }
wait_until synced
assert_eq "replica: digests converge" "$(r DEBUG DIGEST)" "$(rr DEBUG DIGEST)"
assert_eq "replica: the mark reached the replica" 1 "$(rr HEXISTS "shop:ticket:$LAST_TID" sla_breached)"
assert_eq "replica: the replica marked nothing itself" 0 "$(rr INFO helpdesk | tr -d '\r' |
    awk -F: '$1 == "helpdesk_sla_breaches" { print $2 }')"
assert_eq "replica: DESK.CHECK on the master is empty" "[]" "$(rj DESK.CHECK shop)"

stop_replica
finish
