#!/usr/bin/env bash
# Routing (SPEC.md sections 3, 4, 5, 8): TICKET.NEXT (with BLOCK), TICKET.CLAIM,
# push routing (TICKET.CREATE ... ROUTE, auto-route), AGENT.AVAILABILITY
# ... RELEASE, and the events each of them emits.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server

BAND=1099511627776          # 2^40: routing score = (1000 - priority) * 2^40 + tid

# ---- helpers (all take the desk in $D) -------------------------------------

hget() { r HGET "$D:ticket:$1" "$2"; }
aget() { r HGET "$D:agent:$1" "$2"; }
zscore() { r ZSCORE "$1" "ticket:$2"; }
rscore() { echo $(( (1000 - $1) * BAND + $2 )); }
evlen() { r XLEN "$D:events"; }
# The newest event as "k=v k=v ..." without its id and `at`.
ev_last() {
    r XREVRANGE "$D:events" + - COUNT 1 | tail -n +2 | paste -d= - - |
        grep -v '^at=' | tr '\n' ' ' | sed 's/ $//'
}
# The newest N events, oldest first, "|"-separated.
ev_tail() {
    r XREVRANGE "$D:events" + - COUNT "$1" | awk '
        /^[0-9]+-[0-9]+$/ { if (e != "") out[n++] = e; e = ""; k = ""; next }
        k == "" { k = $0; next }
        { if (k != "at") e = e (e == "" ? "" : " ") k "=" $0; k = "" }
        END { if (e != "") out[n++] = e; for (i = n - 1; i >= 0; i--) printf "%s%s", out[i], (i ? "|" : "\n") }'
}
# Field of a ticket map as redis-cli prints it under RESP2 (flat lines).
mapfield() { awk -v f="$1" 'NR % 2 == 1 && $0 == f { getline; print; exit }'; }
blocked_clients() { info_field clients blocked_clients; }
waiters() { info_field helpdesk helpdesk_blocked_next_waiters; }
# Poll (bounded, no fixed sleeps) until the server counts N blocked clients.
wait_blocked() { wait_for "$1" blocked_clients; }
# Start `TICKET.NEXT D aid BLOCK ms` in the background; its reply goes to
# $SERVER_DIR/$1.out and its pid to BG[$1].
declare -A BG
bg_next() {
    local name=$1; shift
    redis-cli -p "$PORT" TICKET.NEXT "$@" >"$SERVER_DIR/$name.out" 2>&1 &
    BG[$name]=$!
}
# bg_wait NAME (in the main shell: `wait` in a $(...) subshell does not
# wait), then bg_result NAME: the id of the ticket that background NEXT got,
# or its raw reply when it got no ticket.
bg_wait() { wait "${BG[$1]}"; }
bg_result() {
    local id
    id=$(mapfield id <"$SERVER_DIR/$1.out")
    if [ -n "$id" ]; then echo "$id"; else echo "reply: $(paste -sd' ' "$SERVER_DIR/$1.out")"; fi
}
quiet_desk() {
    r DESK.CONFIG SET "$1" flood-threshold 0 >/dev/null
    r DESK.CONFIG SET "$1" alert-threshold 1 >/dev/null
}

# ==== TICKET.NEXT =========================================================

section n
quiet_desk $D
r AGENT.CREATE $D A1 "Ann" SKILLS billing CAPACITY 3 >/dev/null
r AGENT.CREATE $D A2 "Ben" SKILLS technical billing CAPACITY 2 >/dev/null
r AGENT.CREATE $D A3 "Cid" SKILLS legal CAPACITY 1 >/dev/null
assert_eq "next: nothing queued is nil" null "$(rj TICKET.NEXT $D A1)"
T1=$(r TICKET.CREATE $D "n one" CATEGORY billing PRIORITY 5)
T2=$(r TICKET.CREATE $D "n two" CATEGORY billing PRIORITY 20)
T3=$(r TICKET.CREATE $D "n three" CATEGORY technical PRIORITY 20)
T4=$(r TICKET.CREATE $D "n four" CATEGORY general PRIORITY 5)
T5=$(r TICKET.CREATE $D "n five" CATEGORY legal PRIORITY 20)
T6=$(r TICKET.CREATE $D "n six" CATEGORY general PRIORITY 1)

e0=$(evlen)
out=$(r TICKET.NEXT $D A1)
assert_eq "next: highest priority first" "$T2" "$(mapfield id <<<"$out")"
assert_eq "next: reply is the assigned ticket" A1 "$(mapfield assigned_agent <<<"$out")"
assert_eq "next: reply has the subject" "n two" "$(mapfield subject <<<"$out")"
assert_eq "next: assigned_agent stored" A1 "$(hget "$T2" assigned_agent)"
assert_eq "next: in A1's set" 1 "$(r SISMEMBER $D:agent:A1:open_tickets ticket:$T2)"
assert_eq "next: load" 1 "$(aget A1 load)"
assert_eq "next: out of the routing queue" "" "$(zscore $D:queue:unassigned:billing "$T2")"
assert_eq "next: event" "type=assigned ticket=$T2 agent=A1 from= reason=next" "$(ev_last)"
assert_eq "next: one event" $((e0 + 1)) "$(evlen)"
assert_eq "next: equal priority -> oldest first (billing before general)" "$T1" \
    "$(r TICKET.NEXT $D A1 | mapfield id)"
assert_eq "next: general matches every agent" "$T4" "$(r TICKET.NEXT $D A1 | mapfield id)"
assert_eq "next: A1 at capacity" 3 "$(aget A1 load)"
assert_nochange "next at capacity" -c CAPACITY TICKET.NEXT $D A1
assert_nochange "next BLOCK at capacity fails at once" -c CAPACITY TICKET.NEXT $D A1 BLOCK 0
assert_eq "next: skills filter (technical for A2)" "$T3" "$(r TICKET.NEXT $D A2 | mapfield id)"
assert_eq "next: A2 takes the general one left" "$T6" "$(r TICKET.NEXT $D A2 | mapfield id)"
r TICKET.CLOSE $D "$T6" >/dev/null
before=$(dbdigest)
assert_eq "next: nil when nothing fits (legal only)" null "$(rj TICKET.NEXT $D A2)"
assert_eq "next: nil changes nothing" "$before" "$(dbdigest)"
assert_eq "next: legal agent gets legal" "$T5" "$(r TICKET.NEXT $D A3 | mapfield id)"
assert_ok "A2 away" AGENT.AVAILABILITY $D A2 away
assert_nochange "next when away" -c UNAVAILABLE TICKET.NEXT $D A2
assert_nochange "next BLOCK when away" -c UNAVAILABLE TICKET.NEXT $D A2 BLOCK 0
assert_ok "A2 offline" AGENT.AVAILABILITY $D A2 offline
assert_nochange "next when offline" -c UNAVAILABLE TICKET.NEXT $D A2
assert_nochange "next unknown agent" -c NOTFOUND TICKET.NEXT $D A9
assert_nochange "next malformed agent id" -c NOTFOUND TICKET.NEXT $D "a b"
assert_nochange "next BLOCK abc" -c INVALID TICKET.NEXT $D A1 BLOCK abc
assert_nochange "next BLOCK -1" -c INVALID TICKET.NEXT $D A1 BLOCK -1
assert_nochange "next bad option" -c ERR TICKET.NEXT $D A1 WAIT 1
assert_nochange "next BLOCK without ms" -c ERR TICKET.NEXT $D A1 BLOCK
r SET $D:queue:unassigned:billing x >/dev/null
r AGENT.AVAILABILITY $D A2 online >/dev/null
assert_nochange "next: routing queue of wrong type" -c INVALID TICKET.NEXT $D A2
assert_nochange "claim: routing queue of wrong type" -c INVALID TICKET.CLAIM $D A2
assert_nochange "claim ORDER CREATED: routing queue of wrong type" -c INVALID \
    TICKET.CLAIM $D A2 ORDER CREATED
assert_match "next: the error names the queue" "*$D:queue:unassigned:billing*sorted set*" \
    "$(rerrmsg TICKET.NEXT $D A2)"
r DEL $D:queue:unassigned:billing >/dev/null
check_desk $D
# Members that are no ticket id (written by hand) are passed over, not parsed
# into garbage (a 20-digit number used to overflow).
r ZADD junk:queue:unassigned:general 1 ticket:99999999999999999999 2 ticket:9999999999999999999 3 ticket:x >/dev/null
r AGENT.CREATE junk J "Jo" >/dev/null
assert_eq "next: junk members are not tickets" null "$(rj TICKET.NEXT junk J)"
assert_eq "claim: junk members are not tickets" "[]" "$(rj TICKET.CLAIM junk J)"
assert_eq "peek: junk members are not listed" "[]" "$(rj TICKET.PEEK junk UNASSIGNED)"

# ==== TICKET.NEXT BLOCK ===================================================

# Woken by a fitting TICKET.CREATE, not by a non-fitting one.
section b1
quiet_desk $D
r AGENT.CREATE $D W "Wes" SKILLS billing >/dev/null
bg_next w $D W BLOCK 0
wait_blocked 1; assert_eq "block: client blocked" 1 "$(blocked_clients)"
assert_eq "block: INFO blocked_next_waiters 1" 1 "$(waiters)"
TX=$(r TICKET.CREATE $D "not for W" CATEGORY technical PRIORITY 5)
assert_eq "block: non-fitting create leaves it blocked" 1 "$(blocked_clients)"
assert_eq "block: non-fitting ticket stays queued" "$(rscore 5 "$TX")" \
    "$(zscore $D:queue:unassigned:technical "$TX")"
TB=$(r TICKET.CREATE $D "for W" CATEGORY billing PRIORITY 5)
bg_wait w; assert_eq "block: woken with the fitting ticket" "$TB" "$(bg_result w)"
assert_eq "block: ticket assigned to W" W "$(hget "$TB" assigned_agent)"
assert_eq "block: event reason next" "type=assigned ticket=$TB agent=W from= reason=next" "$(ev_last)"
assert_eq "block: INFO blocked_next_waiters back to 0" 0 "$(waiters)"
assert_eq "block: no blocked client left" 0 "$(blocked_clients)"
# General tickets fit every agent.
bg_next w $D W BLOCK 0
wait_blocked 1
TG=$(r TICKET.CREATE $D "general for W" CATEGORY general)
bg_wait w; assert_eq "block: woken by a general ticket" "$TG" "$(bg_result w)"
check_desk $D

# Woken by TICKET.REOPEN.
section b2
quiet_desk $D
r AGENT.CREATE $D W "Wes" SKILLS billing >/dev/null
TR=$(r TICKET.CREATE $D "reopen me" CATEGORY billing)
r TICKET.CLOSE $D "$TR" >/dev/null
bg_next w $D W BLOCK 0
wait_blocked 1
assert_ok "reopen while W waits" TICKET.REOPEN $D "$TR"
bg_wait w; assert_eq "block: woken by REOPEN" "$TR" "$(bg_result w)"
assert_eq "block: reopened ticket assigned" W "$(hget "$TR" assigned_agent)"
check_desk $D

# Woken by TICKET.UNASSIGN.
section b3
quiet_desk $D
r AGENT.CREATE $D W "Wes" SKILLS billing >/dev/null
r AGENT.CREATE $D X "Xia" SKILLS billing >/dev/null
TU=$(r TICKET.CREATE $D "unassign me" CATEGORY billing)
r TICKET.ASSIGN $D "$TU" X >/dev/null
bg_next w $D W BLOCK 0
wait_blocked 1
assert_ok "unassign while W waits" TICKET.UNASSIGN $D "$TU"
bg_wait w; assert_eq "block: woken by UNASSIGN" "$TU" "$(bg_result w)"
assert_eq "block: now W's" "W 0 1" "$(hget "$TU" assigned_agent) $(aget X load) $(aget W load)"
assert_eq "block: events unassigned then assigned" \
    "type=unassigned ticket=$TU agent=X reason=manual|type=assigned ticket=$TU agent=W from= reason=next" \
    "$(ev_tail 2)"
check_desk $D

# Woken by AGENT.DEL of another agent releasing its tickets.
section b4
quiet_desk $D
r AGENT.CREATE $D W "Wes" SKILLS billing >/dev/null
r AGENT.CREATE $D X "Xia" SKILLS billing >/dev/null
TD=$(r TICKET.CREATE $D "orphan" CATEGORY billing)
r TICKET.ASSIGN $D "$TD" X >/dev/null
bg_next w $D W BLOCK 0
wait_blocked 1
assert_eq "AGENT.DEL while W waits" 1 "$(r AGENT.DEL $D X)"
bg_wait w; assert_eq "block: woken by AGENT.DEL" "$TD" "$(bg_result w)"
assert_eq "block: events agent_deleted then next" \
    "type=unassigned ticket=$TD agent=X reason=agent_deleted|type=assigned ticket=$TD agent=W from= reason=next" \
    "$(ev_tail 2)"
# ... and by AGENT.AVAILABILITY ... RELEASE.
r AGENT.CREATE $D X "Xia" SKILLS billing >/dev/null
TD2=$(r TICKET.CREATE $D "released" CATEGORY billing)
r TICKET.ASSIGN $D "$TD2" X >/dev/null
bg_next w $D W BLOCK 0
wait_blocked 1
assert_ok "RELEASE while W waits" AGENT.AVAILABILITY $D X offline RELEASE
bg_wait w; assert_eq "block: woken by RELEASE" "$TD2" "$(bg_result w)"
check_desk $D

# Timeout: nil, and the waiter is gone.
section b5
quiet_desk $D
r AGENT.CREATE $D W "Wes" SKILLS billing >/dev/null
assert_eq "block: timeout returns nil" null "$(rj TICKET.NEXT $D W BLOCK 100)"
assert_eq "block: timeout leaves no waiter" 0 "$(waiters)"
assert_eq "block: timeout leaves no blocked client" 0 "$(blocked_clients)"
# CLIENT UNBLOCK ends the wait like a timeout (nil), or with an error.
bg_next ub $D W BLOCK 0; wait_blocked 1
assert_eq "CLIENT UNBLOCK" 1 "$(r CLIENT UNBLOCK "$(r CLIENT LIST | awk '/cmd=ticket.next/ { sub("id=", "", $1); print $1 }')")"
bg_wait ub
assert_eq "CLIENT UNBLOCK: the waiter gets nil" "" "$(cat "$SERVER_DIR/ub.out")"
assert_eq "CLIENT UNBLOCK: no waiter left" 0 "$(waiters)"
# Woken by a category change that moves a queued ticket into its queue.
TM=$(r TICKET.CREATE $D "wrong queue" CATEGORY legal)
bg_next w $D W BLOCK 0; wait_blocked 1
assert_eq "move to billing while W waits" 2 "$(r TICKET.UPDATE $D "$TM" category billing)"
bg_wait w; assert_eq "block: woken by TICKET.UPDATE category" "$TM" "$(bg_result w)"
# Inside a script it never blocks.
assert_eq "block: inside EVAL replies nil at once" "" \
    "$(r EVAL "return redis.call('TICKET.NEXT', KEYS[1], 'W', 'BLOCK', '0')" 1 $D)"
# Inside MULTI it never blocks.
assert_eq "block: inside MULTI replies nil at once" "OK|QUEUED|" \
    "$(printf 'MULTI\nTICKET.NEXT %s W BLOCK 0\nEXEC\n' $D | redis-cli -p "$PORT" | paste -sd'|')"

# A waiter that disconnects is cleaned up.
bg_next gone $D W BLOCK 0
wait_blocked 1
assert_match "block: CLIENT LIST shows the waiter" "*cmd=ticket.next*" "$(r CLIENT LIST)"
kill "${BG[gone]}"; wait "${BG[gone]}" 2>/dev/null
wait_blocked 0
assert_eq "disconnect: no blocked client" 0 "$(blocked_clients)"
assert_eq "disconnect: INFO blocked_next_waiters 0" 0 "$(waiters)"
assert_eq "disconnect: CLIENT LIST has no ticket.next" 0 "$(r CLIENT LIST | grep -c 'cmd=ticket.next')"
# The gone waiter does not hold back push routing.
TP=$(r TICKET.CREATE $D "route after disconnect" CATEGORY billing ROUTE)
assert_eq "disconnect: ROUTE not held back by a gone waiter" W "$(hget "$TP" assigned_agent)"
check_desk $D

# FIFO among waiters of the same queue.
section b6
quiet_desk $D
for a in W1 W2 W3; do r AGENT.CREATE $D $a "$a" SKILLS billing >/dev/null; done
bg_next w1 $D W1 BLOCK 0; wait_blocked 1
bg_next w2 $D W2 BLOCK 0; wait_blocked 2
bg_next w3 $D W3 BLOCK 0; wait_blocked 3
assert_eq "fifo: three waiters" 3 "$(waiters)"
F1=$(r TICKET.CREATE $D "fifo 1" CATEGORY billing)
bg_wait w1; assert_eq "fifo: first ticket to the first waiter" "$F1" "$(bg_result w1)"
assert_eq "fifo: two still blocked" 2 "$(blocked_clients)"
F2=$(r TICKET.CREATE $D "fifo 2" CATEGORY billing)
bg_wait w2; assert_eq "fifo: second ticket to the second waiter" "$F2" "$(bg_result w2)"
F3=$(r TICKET.CREATE $D "fifo 3" CATEGORY billing)
bg_wait w3; assert_eq "fifo: third ticket to the third waiter" "$F3" "$(bg_result w3)"
assert_eq "fifo: owners" "W1 W2 W3" "$(hget "$F1" assigned_agent) $(hget "$F2" assigned_agent) $(hget "$F3" assigned_agent)"
assert_eq "fifo: no waiter left" 0 "$(waiters)"

# A blocked waiter gets a ROUTE ticket before push routing picks an agent.
r AGENT.CREATE $D V "Vic" SKILLS billing >/dev/null
r TICKET.CLOSE $D "$F1" >/dev/null
bg_next w1 $D W1 BLOCK 0; wait_blocked 1
FR=$(r TICKET.CREATE $D "routed but waited for" CATEGORY billing ROUTE)
bg_wait w1; assert_eq "route: the blocked waiter gets it" "$FR" "$(bg_result w1)"
assert_eq "route: assigned to the waiter, not the idle agent V" "W1 0" \
    "$(hget "$FR" assigned_agent) $(aget V load)"
assert_eq "route: event reason next" "type=assigned ticket=$FR agent=W1 from= reason=next" "$(ev_last)"
# ... but a waiter that cannot take it any more does not hold it back.
bg_next w1 $D W1 BLOCK 0; wait_blocked 1
r AGENT.AVAILABILITY $D W1 away >/dev/null
FS=$(r TICKET.CREATE $D "route past an away waiter" CATEGORY billing ROUTE)
assert_eq "route: away waiter passed over, best agent gets it" V "$(hget "$FS" assigned_agent)"
assert_eq "route: the away waiter is still blocked" "1 1" "$(blocked_clients) $(waiters)"
r AGENT.AVAILABILITY $D W1 online >/dev/null
FT=$(r TICKET.CREATE $D "for W1 again" CATEGORY billing)
bg_wait w1; assert_eq "route: back online, the waiter gets the next one" "$FT" "$(bg_result w1)"
bg_next w2 $D W2 BLOCK 0; wait_blocked 1
r AGENT.SKILLS $D W2 REMOVE billing >/dev/null
FU=$(r TICKET.CREATE $D "route past a waiter without the skill" CATEGORY billing ROUTE)
assert_eq "route: waiter that lost the skill passed over" V "$(hget "$FU" assigned_agent)"
assert_eq "route: that waiter stays blocked" 1 "$(blocked_clients)"
kill "${BG[w2]}"; wait "${BG[w2]}" 2>/dev/null; wait_blocked 0
assert_eq "route: no waiter left" 0 "$(waiters)"
check_desk $D

# ==== TICKET.CLAIM ========================================================

section c
quiet_desk $D
r AGENT.CREATE $D C1 "Cat" SKILLS billing CAPACITY 4 >/dev/null
r AGENT.CREATE $D C2 "Col" SKILLS technical CAPACITY 10 >/dev/null
r AGENT.CREATE $D C3 "Cyd" SKILLS legal CAPACITY 10 >/dev/null
r TICKET.CREATE $D "c1" CATEGORY billing PRIORITY 5 >/dev/null      # 1
r TICKET.CREATE $D "c2" CATEGORY general PRIORITY 1 >/dev/null      # 2
r TICKET.CREATE $D "c3" CATEGORY billing PRIORITY 20 >/dev/null     # 3
r TICKET.CREATE $D "c4" CATEGORY technical PRIORITY 20 >/dev/null   # 4
r TICKET.CREATE $D "c5" CATEGORY billing PRIORITY 10 >/dev/null     # 5
r TICKET.CREATE $D "c6" CATEGORY general PRIORITY 20 >/dev/null     # 6
e0=$(evlen)
assert_eq "claim COUNT 2: by priority, then age" "3 6" "$(r TICKET.CLAIM $D C1 COUNT 2 | paste -sd' ')"
assert_eq "claim: two events with reason claimed" \
    "type=assigned ticket=3 agent=C1 from= reason=claimed|type=assigned ticket=6 agent=C1 from= reason=claimed" \
    "$(ev_tail 2)"
assert_eq "claim: one event per ticket" $((e0 + 2)) "$(evlen)"
assert_eq "claim: INFO claims" 2 "$(info_field helpdesk helpdesk_claims)"
assert_eq "claim ORDER CREATED COUNT 3: tops up with the oldest" "1 3 6" \
    "$(r TICKET.CLAIM $D C1 ORDER CREATED COUNT 3 | paste -sd' ')"
assert_eq "claim default COUNT = capacity" "1 3 5 6" "$(r TICKET.CLAIM $D C1 | paste -sd' ')"
assert_eq "claim: load = capacity" "4 4" "$(aget C1 load) $(r SCARD $D:agent:C1:open_tickets)"
before=$(dbdigest)
assert_eq "claim at capacity: same tickets" "1 3 5 6" "$(r TICKET.CLAIM $D C1 COUNT 100 | paste -sd' ')"
assert_eq "claim at capacity changes nothing" "$before" "$(dbdigest)"
assert_eq "claim COUNT below load: nothing given back" "1 3 5 6" "$(r TICKET.CLAIM $D C1 COUNT 1 | paste -sd' ')"
assert_eq "claim: skills filter (technical + general)" "2 4" "$(r TICKET.CLAIM $D C2 | paste -sd' ')"
assert_eq "claim: nothing fits -> no tickets" "" "$(r TICKET.CLAIM $D C3)"
assert_eq "claim: nothing fits -> empty array" "[]" "$(rj TICKET.CLAIM $D C3)"
# All open tickets, also those assigned by hand.
TL=$(r TICKET.CREATE $D "legal by hand" CATEGORY legal)
r TICKET.ASSIGN $D "$TL" C3 >/dev/null
assert_eq "claim returns hand-assigned tickets too" "$TL" "$(r TICKET.CLAIM $D C3)"
r AGENT.AVAILABILITY $D C2 away >/dev/null
assert_nochange "claim when away" -c UNAVAILABLE TICKET.CLAIM $D C2
r AGENT.AVAILABILITY $D C2 offline >/dev/null
assert_nochange "claim when offline" -c UNAVAILABLE TICKET.CLAIM $D C2
assert_nochange "claim unknown agent" -c NOTFOUND TICKET.CLAIM $D C9
assert_nochange "claim COUNT 0" -c INVALID TICKET.CLAIM $D C1 COUNT 0
assert_nochange "claim COUNT abc" -c INVALID TICKET.CLAIM $D C1 COUNT abc
assert_nochange "claim ORDER bogus" -c INVALID TICKET.CLAIM $D C1 ORDER RANDOM
assert_nochange "claim bad option" -c ERR TICKET.CLAIM $D C1 LIMIT 2
assert_nochange "claim dangling COUNT" -c ERR TICKET.CLAIM $D C1 COUNT
check_desk $D

# ORDER PRIORITY vs ORDER CREATED, across categories and priority bands.
section c2
quiet_desk $D
r AGENT.CREATE $D X "Xan" SKILLS billing CAPACITY 10 >/dev/null
r AGENT.CREATE $D Y "Yul" SKILLS billing CAPACITY 10 >/dev/null
r TICKET.CREATE $D "k1" CATEGORY billing PRIORITY 1 >/dev/null     # 1
r TICKET.CREATE $D "k2" CATEGORY general PRIORITY 20 >/dev/null    # 2
r TICKET.CREATE $D "k3" CATEGORY billing PRIORITY 20 >/dev/null    # 3
r TICKET.CREATE $D "k4" CATEGORY general PRIORITY 5 >/dev/null     # 4
r TICKET.CREATE $D "k5" CATEGORY billing PRIORITY 10 >/dev/null    # 5
r TICKET.CREATE $D "k6" CATEGORY general PRIORITY 1 >/dev/null     # 6
assert_eq "ORDER CREATED: the oldest, even in a low band" "1" "$(r TICKET.CLAIM $D X COUNT 1 ORDER CREATED)"
assert_eq "ORDER PRIORITY: the most urgent (then oldest)" "2 3 5" \
    "$(r TICKET.CLAIM $D Y COUNT 3 ORDER priority | paste -sd' ')"
assert_eq "ORDER CREATED: then 4 (general p5) before 6" "1 4" \
    "$(r TICKET.CLAIM $D X COUNT 2 ORDER CREATED | paste -sd' ')"
assert_eq "ORDER CREATED: the rest" "1 4 6" "$(r TICKET.CLAIM $D X ORDER CREATED | paste -sd' ')"
assert_eq "claim: nothing left unassigned" "" "$(r KEYS "$D:queue:unassigned:*")"
check_desk $D

# ==== push routing: TICKET.CREATE ... ROUTE, auto-route ===================

section rt
quiet_desk $D
r AGENT.CREATE $D R1 "Rae" SKILLS billing CAPACITY 2 >/dev/null
r AGENT.CREATE $D R2 "Rex" SKILLS billing technical CAPACITY 2 >/dev/null
r AGENT.CREATE $D R3 "Roy" SKILLS technical CAPACITY 5 >/dev/null
r AGENT.AVAILABILITY $D R3 offline >/dev/null
route() { local t; t=$(r TICKET.CREATE $D "$1" CATEGORY "$2" PRIORITY 5 ROUTE); echo "$t $(hget "$t" assigned_agent)"; }
e0=$(evlen)
read -r P1 A <<<"$(route "r1" billing)"
assert_eq "route: tie on load and total -> lowest id" R1 "$A"
assert_eq "route: created then assigned (routed)" \
    "type=created ticket=$P1 priority=5 category=billing|type=assigned ticket=$P1 agent=R1 from= reason=routed" \
    "$(ev_tail 2)"
assert_eq "route: two events" $((e0 + 2)) "$(evlen)"
assert_eq "route: not left in the routing queue" "" "$(zscore $D:queue:unassigned:billing "$P1")"
assert_eq "route: log" "assigned to R1" "$(r LINDEX $D:ticket:$P1:log -1 | sed 's/^[0-9]*: //')"
read -r P2 A <<<"$(route "r2" billing)"; assert_eq "route: least loaded" R2 "$A"
read -r P3 A <<<"$(route "r3" billing)"; assert_eq "route: tie again -> R1" R1 "$A"
read -r P4 A <<<"$(route "r4" billing)"; assert_eq "route: R1 full -> R2" R2 "$A"
read -r P5 A <<<"$(route "r5" billing)"; assert_eq "route: everyone full -> queued" "" "$A"
assert_eq "route: queued ticket in its routing queue" "$(rscore 5 "$P5")" "$(zscore $D:queue:unassigned:billing "$P5")"
read -r P6 A <<<"$(route "r6" technical)"; assert_eq "route: offline agent skipped, full agent skipped" "" "$A"
r AGENT.AVAILABILITY $D R3 online >/dev/null
read -r P7 A <<<"$(route "r7" technical)"; assert_eq "route: skill match" R3 "$A"
read -r P8 A <<<"$(route "r8" legal)"; assert_eq "route: nobody with the skill -> queued" "" "$A"
r AGENT.CREATE $D R4 "Rob" CAPACITY 3 >/dev/null
read -r P9 A <<<"$(route "r9" general)"; assert_eq "route: general goes to anyone, least loaded" R4 "$A"
# Ties on load are broken by fewer assignments so far.
r TICKET.CLOSE $D "$P1" >/dev/null; r TICKET.CLOSE $D "$P3" >/dev/null     # R1: load 0, total 2
r TICKET.CLOSE $D "$P2" >/dev/null; r TICKET.CLOSE $D "$P4" >/dev/null     # R2: load 0, total 2
r TICKET.CLOSE $D "$P5" >/dev/null
r AGENT.CREATE $D R0 "Ray" SKILLS billing CAPACITY 2 >/dev/null            # R0: load 0, total 0
read -r PA A <<<"$(route "ra" billing)"; assert_eq "route: fewest assignments wins a load tie" R0 "$A"
r TICKET.CLOSE $D "$PA" >/dev/null                                          # R0: load 0, total 1
read -r PB A <<<"$(route "rb" billing)"; assert_eq "route: still fewest assignments" R0 "$A"
read -r PC A <<<"$(route "rc" billing)"; assert_eq "route: then least loaded (R1 before R2 by id)" R1 "$A"
# auto-route: every new ticket is pushed without ROUTE.
assert_ok "auto-route yes" DESK.CONFIG SET $D auto-route yes
PD=$(r TICKET.CREATE $D "auto" CATEGORY billing)
assert_eq "auto-route: assigned without ROUTE" R2 "$(hget "$PD" assigned_agent)"
assert_eq "auto-route: reason routed" "type=assigned ticket=$PD agent=R2 from= reason=routed" "$(ev_last)"
r DESK.CONFIG SET $D auto-route no >/dev/null
PE=$(r TICKET.CREATE $D "manual again" CATEGORY billing)
assert_eq "auto-route no: stays queued" 0 "$(r HEXISTS $D:ticket:$PE assigned_agent)"
# ROUTE does not bypass validation.
assert_nochange "route with unknown category" -c INVALID TICKET.CREATE $D x CATEGORY astrology ROUTE
check_desk $D

# ==== AGENT.AVAILABILITY ... RELEASE ======================================

section rel
quiet_desk $D
r AGENT.CREATE $D L1 "Lou" SKILLS billing CAPACITY 5 >/dev/null
Q1=$(r TICKET.CREATE $D "rel open" CATEGORY billing PRIORITY 10)
Q2=$(r TICKET.CREATE $D "rel progress" CATEGORY billing)
Q3=$(r TICKET.CREATE $D "rel hold" CATEGORY general PRIORITY 20)
assert_eq "release: claimed three" "$Q1 $Q2 $Q3" "$(r TICKET.CLAIM $D L1 | paste -sd' ')"
r TICKET.STATUS $D "$Q2" in_progress >/dev/null
r TICKET.STATUS $D "$Q3" on_hold >/dev/null
e0=$(evlen)
assert_ok "offline RELEASE" AGENT.AVAILABILITY $D L1 offline RELEASE
assert_eq "release: availability" offline "$(aget L1 availability)"
assert_eq "release: in_progress ticket kept" "$Q2" "$(r SMEMBERS $D:agent:L1:open_tickets | sed 's/ticket://')"
assert_eq "release: load" 1 "$(aget L1 load)"
assert_eq "release: open ticket queued again" "$(rscore 10 "$Q1")" "$(zscore $D:queue:unassigned:billing "$Q1")"
assert_eq "release: on_hold ticket queued again" "$(rscore 20 "$Q3")" "$(zscore $D:queue:unassigned:general "$Q3")"
assert_eq "release: on_hold stays on_hold" on_hold "$(hget "$Q3" status)"
assert_eq "release: assigned_agent cleared" "0 0 1" \
    "$(r HEXISTS $D:ticket:$Q1 assigned_agent) $(r HEXISTS $D:ticket:$Q3 assigned_agent) $(r HEXISTS $D:ticket:$Q2 assigned_agent)"
assert_eq "release: events reason released" \
    "type=unassigned ticket=$Q1 agent=L1 reason=released|type=unassigned ticket=$Q3 agent=L1 reason=released" \
    "$(ev_tail 2)"
assert_eq "release: two events" $((e0 + 2)) "$(evlen)"
assert_eq "release: logged" "unassigned from L1 (released)" "$(r LINDEX $D:ticket:$Q1:log -1 | sed 's/^[0-9]*: //')"
assert_ok "back online" AGENT.AVAILABILITY $D L1 online
r TICKET.ASSIGN $D "$Q1" L1 >/dev/null
assert_ok "away without RELEASE" AGENT.AVAILABILITY $D L1 away
assert_eq "no RELEASE: tickets stay" 2 "$(aget L1 load)"
check_desk $D

# ==== TICKET.NEXT's reply is TICKET.GET's =================================

# NEXT replies from the hash as it loaded it plus what it wrote; whatever
# the hash's shape (listpack or hashtable, extra fields, a relaxed flag
# dropped, urgency as a double) that must be what TICKET.GET replies after.
section nr
quiet_desk $D
r AGENT.CREATE $D NR1 "Nia" SKILLS billing CAPACITY 100 >/dev/null
LONG=$(printf 'long body %.0s' $(seq 1 12))
# next_is_get NAME PROTO-FLAG TID: the one queued ticket TID taken by NR1.
next_is_get() {
    local out get
    out=$(redis-cli -p "$PORT" $2 --no-raw TICKET.NEXT $D NR1)
    get=$(redis-cli -p "$PORT" $2 --no-raw TICKET.GET $D "$3")
    assert_eq "next reply = get: $1" "$get" "$out"
}
for proto in -2 -3; do
    t=$(r TICKET.CREATE $D "nr plain" CATEGORY billing)
    next_is_get "listpack, fixed fields only ($proto)" $proto "$t"
    t=$(r TICKET.CREATE $D "nr extras" CATEGORY billing)
    r HSET $D:ticket:$t zz note relaxed 1 aa other urgency 0.75 >/dev/null
    next_is_get "listpack, extras, relaxed dropped ($proto)" $proto "$t"
    assert_eq "next: relaxed dropped ($proto)" 0 "$(r HEXISTS $D:ticket:$t relaxed)"
    t=$(r TICKET.CREATE $D "nr extras grow" CATEGORY billing)
    r HSET $D:ticket:$t zz note >/dev/null
    next_is_get "listpack, extras, one field more ($proto)" $proto "$t"
    t=$(r TICKET.CREATE $D "nr long" BODY "$LONG" CATEGORY billing)
    assert_eq "next: a long body makes a hashtable ($proto)" hashtable \
        "$(r OBJECT ENCODING $D:ticket:$t)"
    next_is_get "hashtable, fixed fields only ($proto)" $proto "$t"
    t=$(r TICKET.CREATE $D "nr long extras" BODY "$LONG" CATEGORY billing)
    r HSET $D:ticket:$t zz note relaxed 1 aa other bb more cc again dd last >/dev/null
    next_is_get "hashtable, extras ($proto)" $proto "$t"
done
# A listpack that the assignment turns into a hashtable (a low entry limit).
old=$(r CONFIG GET hash-max-listpack-entries | tail -n 1)
t=$(r TICKET.CREATE $D "nr convert" CATEGORY billing)
r HSET $D:ticket:$t zz note aa other bb more cc again dd last >/dev/null
r CONFIG SET hash-max-listpack-entries "$(r HLEN $D:ticket:$t)" >/dev/null
next_is_get "listpack turned hashtable by the write" -2 "$t"
assert_eq "next: the write converted it" hashtable "$(r OBJECT ENCODING $D:ticket:$t)"
r CONFIG SET hash-max-listpack-entries "$old" >/dev/null
check_desk $D

finish
