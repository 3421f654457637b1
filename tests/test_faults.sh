#!/usr/bin/env bash
# Faults found by hostile testing (issue 11), one section each: the module's
# per-desk memory is freed however the desk's keys vanish; routing by more
# than 63 skills; ROUTE inside MULTI and Lua; blocked waiters following their
# agent; SLA marking of desks that arrive by MIGRATE; small validation bugs.
# The crash under CLIENT PAUSE is tests/test_pause.sh and tcl-tests/chaos.tcl.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
trap 'stop_replica; stop_server' EXIT

windows() { info_field helpdesk helpdesk_flood_windows; }
sla_desks() { info_field helpdesk helpdesk_sla_desks; }
blocked_clients() { info_field clients blocked_clients; }
gone() { ! kill -0 "$1" 2>/dev/null; }
is_blocked() { [ "$(blocked_clients)" = "$1" ]; }
no_windows() { [ "$(windows)" = 0 ]; }
declare -A BG
# bg_next NAME DESK AID: TICKET.NEXT ... BLOCK 0 in the background.
bg_next() {
    local name=$1; shift
    redis-cli -p "$PORT" TICKET.NEXT "$@" BLOCK 0 >"$SERVER_DIR/$name.out" 2>&1 &
    BG[$name]=$!
}
# bg_wait NAME: until that NEXT has its reply (~10 s at most; then it is
# stopped, and bg_result shows no ticket).
bg_wait() {
    local pid=${BG[$1]}
    wait_until gone "$pid"
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
# The id of the ticket background NEXT got, or its raw reply.
bg_result() {
    local id
    id=$(awk 'NR % 2 == 1 && $0 == "id" { getline; print; exit }' "$SERVER_DIR/$1.out")
    if [ -n "$id" ]; then echo "$id"; else echo "reply: $(paste -sd' ' "$SERVER_DIR/$1.out")"; fi
}

# A slow timer: desks are registered, but no tick drops them behind our back.
r CONFIG SET helpdesk.sla-timer-ms 3600000 >/dev/null

# ==== 3. per-desk memory ====================================================

assert_eq "no flood window held at start" 0 "$(windows)"
base_desks=$(sla_desks)
for i in $(seq 1 30); do
    r TICKET.CREATE "lk$i" "printer on fire" CATEGORY general >/dev/null
    r TICKET.CREATE "lk$i" "printer still on fire" CATEGORY general >/dev/null
done
assert_eq "30 desks hold a flood window" 30 "$(windows)"
assert_eq "and are watched by the SLA timer" $((base_desks + 30)) "$(sla_desks)"
for i in $(seq 1 30); do r DESK.PURGE "lk$i" >/dev/null; done
assert_eq "DESK.PURGE frees every flood window" 0 "$(windows)"
assert_eq "DESK.PURGE frees the SLA registry entries" "$base_desks" "$(sla_desks)"
assert_eq "no key is left" 0 "$(r DBSIZE)"
# Purging again and again does not grow the module's memory.
mem_round() {
    for i in $(seq 1 100); do
        r TICKET.CREATE "lm$i" "disk full" CATEGORY general >/dev/null
        r TICKET.CREATE "lm$i" "disk full again" CATEGORY general >/dev/null
        r DESK.PURGE "lm$i" >/dev/null
    done
}
mem_round
assert_eq "create+purge rounds leave nothing tracked" "0 $base_desks" "$(windows) $(sla_desks)"
# With the timer off, commands on desks keep nothing for it.
r CONFIG SET helpdesk.sla-timer-ms 0 >/dev/null
for i in $(seq 1 50); do r TICKET.GET "nodesk$i" 1 >/dev/null; done
assert_eq "timer off: reads of 50 unknown desks register none" "$base_desks" "$(sla_desks)"
r CONFIG SET helpdesk.sla-timer-ms 3600000 >/dev/null

# Every other way the window key vanishes: each leaves no copy behind.
one_window() {
    r DESK.PURGE lk >/dev/null
    r TICKET.CREATE lk "fan noise" CATEGORY general >/dev/null
    [ "$(windows)" = 1 ]
}
one_window; r DEL lk:flood:recent >/dev/null
assert_eq "DEL frees the window copy" 0 "$(windows)"
one_window; r UNLINK lk:flood:recent >/dev/null
assert_eq "UNLINK frees the window copy" 0 "$(windows)"
one_window; r PEXPIRE lk:flood:recent 1 >/dev/null
expired() { r EXISTS lk:flood:recent >/dev/null; no_windows; }
wait_until expired
assert_eq "expiry frees the window copy" 0 "$(windows)"
one_window
assert_ok "RESTORE ... REPLACE over the window" EVAL "local d = redis.call('DUMP', KEYS[1])
    return redis.call('RESTORE', KEYS[1], 0, d, 'REPLACE')" 1 lk:flood:recent
assert_eq "RESTORE ... REPLACE over it frees the copy" "0 1" "$(windows) $(r EXISTS lk:flood:recent)"
one_window; r FLUSHDB >/dev/null
assert_eq "FLUSHDB frees the window copy" 0 "$(windows)"
one_window; r FLUSHALL >/dev/null
assert_eq "FLUSHALL frees the window copy" 0 "$(windows)"
one_window; r SWAPDB 0 1 >/dev/null
assert_eq "SWAPDB frees the window copy" 0 "$(windows)"
r FLUSHALL >/dev/null

# ==== 4. more than 63 skills ================================================

section sk
cats=$(for i in $(seq -w 1 63); do printf 'c%s,' "$i"; done)
cats=${cats%,}
skills70=$(for i in $(seq -w 1 63); do printf 'c%s ' "$i"; done; echo x1 x2 x3 x4 x5 x6 x7)
for d in sk sk2 sk3; do
    r DESK.CONFIG SET $d categories "$cats" >/dev/null
    r DESK.CONFIG SET $d flood-threshold 0 >/dev/null
    r DESK.CONFIG SET $d alert-threshold 1 >/dev/null
    # shellcheck disable=SC2086
    r AGENT.CREATE $d A "Many Skills" SKILLS $skills70 CAPACITY 500 >/dev/null
done
assert_eq "an agent may have 70 skills" 70 "$(r SCARD sk:agent:A:skills)"
for i in $(seq -w 1 63); do
    r TICKET.CREATE sk "t$i" CATEGORY "c$i" PRIORITY $((10#$i)) >/dev/null
    r TICKET.CREATE sk2 "t$i" CATEGORY "c$i" PRIORITY 5 >/dev/null
done
assert_eq "CLAIM takes every fitting ticket (all 63 skills' queues)" 63 \
    "$(r TICKET.CLAIM sk A COUNT 100 | wc -l)"
check_desk sk
got=0
for i in $(seq 1 63); do
    [ -n "$(r TICKET.NEXT sk2 A | head -n 1)" ] && got=$((got + 1))
done
assert_eq "NEXT serves every one of the 70 skills" 63 "$got"
assert_eq "nothing is left unassigned" 0 \
    "$(for i in $(seq -w 1 63); do r ZCARD "sk2:queue:unassigned:c$i"; done | paste -sd+ | bc)"
check_desk sk2
served=0
for i in $(seq -w 1 63); do
    bg_next "s$i" sk3 A; wait_until is_blocked 1
    tid=$(r TICKET.CREATE sk3 "b$i" CATEGORY "c$i")
    bg_wait "s$i"
    [ "$(bg_result "s$i")" = "$tid" ] && served=$((served + 1))
done
assert_eq "blocking NEXT is woken by tickets of every skill" 63 "$served"
check_desk sk3

# ==== 5. ROUTE inside MULTI and Lua ==========================================

section mr
r DESK.CONFIG SET $D flood-threshold 0 >/dev/null
r AGENT.CREATE $D W "Waiter" SKILLS billing >/dev/null
r AGENT.CREATE $D I1 "Idle one" SKILLS billing >/dev/null
r AGENT.CREATE $D I2 "Idle two" SKILLS billing >/dev/null
bg_next w $D W; wait_until is_blocked 1
out=$(printf 'MULTI\n%s\n%s\n%s\nEXEC\n' \
    "TICKET.CREATE $D one CATEGORY billing ROUTE" "TICKET.CREATE $D two CATEGORY billing ROUTE" \
    "TICKET.CREATE $D three CATEGORY billing ROUTE" | redis-cli -p "$PORT" | tail -n 3 | paste -sd' ')
assert_eq "MULTI: three tickets created" "1 2 3" "$out"
bg_wait w
assert_eq "MULTI: the waiter gets the first" 1 "$(bg_result w)"
assert_eq "MULTI: the others are pushed to the idle agents" "W I1 I2" \
    "$(r HGET $D:ticket:1 assigned_agent) $(r HGET $D:ticket:2 assigned_agent) $(r HGET $D:ticket:3 assigned_agent)"
assert_eq "MULTI: nothing is left unassigned" 0 "$(r ZCARD $D:queue:unassigned:billing)"
bg_next w $D W; wait_until is_blocked 1
r EVAL "for i = 1, 3 do redis.call('TICKET.CREATE', KEYS[1], 'lua ' .. i, 'CATEGORY', 'billing', 'ROUTE') end return 1" 1 $D >/dev/null
bg_wait w
assert_eq "Lua: the waiter gets the first" 4 "$(bg_result w)"
assert_eq "Lua: nothing is left unassigned" 0 "$(r ZCARD $D:queue:unassigned:billing)"
check_desk $D

# ==== 6. blocked waiters follow their agent ==================================

section wf
r DESK.CONFIG SET $D flood-threshold 0 >/dev/null
r AGENT.CREATE $D S "Sam" SKILLS billing >/dev/null
bg_next s $D S; wait_until is_blocked 1
assert_eq "AGENT.SKILLS ADD while blocked" "billing legal" "$(r AGENT.SKILLS $D S ADD legal | paste -sd' ')"
tid=$(r TICKET.CREATE $D "contract question" CATEGORY legal)
bg_wait s
assert_eq "a ticket of the new skill wakes the waiter" "$tid" "$(bg_result s)"
queued=$(r TICKET.CREATE $D "parcel lost" CATEGORY shipping)
bg_next s $D S; wait_until is_blocked 1
r AGENT.SKILLS $D S ADD shipping >/dev/null
bg_wait s
assert_eq "a skill added while blocked serves the ticket already waiting" "$queued" "$(bg_result s)"
r AGENT.CREATE $D V "Vic" SKILLS legal >/dev/null
bg_next s $D S; wait_until is_blocked 1
r AGENT.SKILLS $D S REMOVE legal >/dev/null
tid=$(r TICKET.CREATE $D "another contract" CATEGORY legal ROUTE)
assert_eq "a removed skill no longer holds tickets back" V "$(r HGET $D:ticket:$tid assigned_agent)"
assert_eq "and the waiter still waits" 1 "$(blocked_clients)"
r AGENT.DEL $D S >/dev/null
bg_wait s
assert_match "AGENT.DEL answers the waiter at once" "reply: NOTFOUND agent S was deleted*" "$(bg_result s)"
assert_eq "no waiter is left" "0 0" "$(blocked_clients) $(info_field helpdesk helpdesk_blocked_next_waiters)"
r AGENT.CREATE $D O "Otto" SKILLS billing >/dev/null
bg_next o $D O; wait_until is_blocked 1
r AGENT.AVAILABILITY $D O offline >/dev/null
bg_wait o
assert_match "going offline answers the waiter at once" "reply: UNAVAILABLE agent O went offline*" "$(bg_result o)"
r AGENT.AVAILABILITY $D O online >/dev/null
bg_next o $D O; wait_until is_blocked 1
r DESK.PURGE $D >/dev/null
bg_wait o
assert_match "DESK.PURGE answers the waiter at once" "reply: NOTFOUND desk wf was purged*" "$(bg_result o)"
assert_eq "no waiter is left after the purge" 0 "$(blocked_clients)"

# ==== 7. a desk that arrives by MIGRATE is marked by the SLA timer ============

# A standalone second server with a 10 ms SLA timer (start_extra waits for PING).
start_extra migrate --loadmodule "$HELPDESK_SO" sla-timer-ms 10
section mg
r DESK.CONFIG SET $D flood-threshold 0 >/dev/null
tid=$(r TICKET.CREATE $D "due soon" CATEGORY billing PRIORITY 5 SLA 1)
due=$(r HGET $D:ticket:$tid sla_due_at)
# shellcheck disable=SC2046
assert_ok "MIGRATE the desk's keys" MIGRATE 127.0.0.1 "$REPLICA_PORT" "" 0 5000 KEYS $(r KEYS "$D:*")
assert_eq "the keys moved" "0 $due" "$(r EXISTS $D:ticket:$tid) $(rr HGET $D:ticket:$tid sla_due_at)"
marked_there() { [ "$(rr HEXISTS $D:ticket:$tid sla_breached)" = 1 ]; }
wait_until marked_there
assert_eq "the migrated overdue ticket is marked by the timer there" 1 \
    "$(rr HEXISTS $D:ticket:$tid sla_breached)"
stop_replica

# ==== 8. small ones ==========================================================

section sm
r DESK.CONFIG SET $D flood-threshold 0 >/dev/null
t1=$(r TICKET.CREATE $D "first" CATEGORY billing)
assert_nochange "TICKET.UPDATE with IFVERSION twice is ERR" -c ERR \
    TICKET.UPDATE $D "$t1" subject x IFVERSION 1 IFVERSION 1
assert_nochange "TICKET.STATUS with IFVERSION twice is ERR" -c ERR \
    TICKET.STATUS $D "$t1" in_progress IFVERSION 1 IFVERSION 1
assert_nochange "categories 'a,,b' is INVALID" -c INVALID DESK.CONFIG SET $D categories 'a,,b'
assert_nochange "categories ',a' is INVALID" -c INVALID DESK.CONFIG SET $D categories ',a'
assert_nochange "categories 'a,' is INVALID" -c INVALID DESK.CONFIG SET $D categories 'a,'
assert_nochange "categories 'a, ,b' is INVALID" -c INVALID DESK.CONFIG SET $D categories 'a, ,b'
assert_ok "categories 'a, b c' is fine" DESK.CONFIG SET $D categories 'a, b c,billing'
assert_eq "stored as a list" a,b,c,billing,general "$(r DESK.CONFIG GET $D categories)"
t2=$(r TICKET.CREATE $D "second" CATEGORY billing)
t3=$(r TICKET.CREATE $D "third" CATEGORY billing)
r TICKET.DEL $D "$t3" >/dev/null
r SET $D:seq:tickets garbage >/dev/null
assert_nochange "CREATE with a garbage D:seq:tickets is INVALID" -c INVALID \
    TICKET.CREATE $D "would reuse an id" CATEGORY billing
assert_match "DESK.CHECK reports the counter" "*sm:seq:tickets is not a ticket count (the highest ticket id is $t2)*" \
    "$(r DESK.CHECK $D)"
assert_match "REPAIR fixes it" "fixed: sm:seq:tickets is not a ticket count*" "$(r DESK.REPAIR $D)"
assert_eq "the counter is the highest id" "$t2" "$(r GET $D:seq:tickets)"
assert_eq "the next ticket gets the next id" "$t3" "$(r TICKET.CREATE $D "fourth" CATEGORY billing)"
r SET $D:seq:tickets 1 >/dev/null
assert_match "DESK.CHECK reports a counter below the highest id" \
    "*sm:seq:tickets is 1, below the highest ticket id $t3*" "$(r DESK.CHECK $D)"
r DESK.REPAIR $D >/dev/null
assert_eq "REPAIR raises it to the highest id" "$t3" "$(r GET $D:seq:tickets)"
check_desk $D

finish
