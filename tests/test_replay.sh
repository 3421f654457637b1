#!/usr/bin/env bash
# helpdesk.replication: hot commands replicated as HD.REPLAY (commands) or
# as their effects; replica digest, AOF reload in both modes, an AOF mixing
# both forms, an unknown replicated format, HD.REPLAY from a client.
# It sets the modes itself: HD_REPLICATION (tests/lib.sh) does not apply.
unset HD_REPLICATION
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
trap 'stop_replica; stop_server' EXIT
r CONFIG SET auto-aof-rewrite-percentage 0 >/dev/null   # the AOF keeps what was written
start_replica
D=rp

rinfo() { info_field_of "$1" helpdesk "helpdesk_$2"; }
synced() { r WAIT 1 5000 >/dev/null; }
same_digest() {
    synced
    assert_eq "$1: replica digest equals the master's" "$(dbdigest)" "$(rr DEBUG DIGEST)"
}

# A mixed workload on desk $1 (agents, SLA, routing, flood, CLAIM COUNT,
# NEXT, CLOSE), with a blocked NEXT caller served by a CREATE.
workload() {
    local d=$1 i t
    r DESK.CONFIG SET "$d" auto-route yes >/dev/null
    r DESK.CONFIG SET "$d" flood-threshold 3 >/dev/null
    r DESK.CONFIG SET "$d" sla.5 3600 >/dev/null
    r DESK.CONFIG SET "$d" events-maxlen 20 >/dev/null
    for i in 1 2 3; do r AGENT.CREATE "$d" "A$i" "Agent $i" SKILLS general technical billing >/dev/null; done
    r AGENT.CREATE "$d" B1 "Blocker" SKILLS general >/dev/null
    for i in $(seq 1 12); do
        r TICKET.CREATE "$d" "Refund request number $i for my order" PRIORITY $((i % 7 + 1)) >/dev/null
    done
    for i in 1 2 3 4; do r TICKET.CREATE "$d" "Server outage, cannot log in ($i)" PRIORITY 5 >/dev/null; done
    r AGENT.CREATE "$d" C1 "Claimer" SKILLS general technical billing >/dev/null
    r DESK.CONFIG SET "$d" auto-route no >/dev/null
    for i in $(seq 1 6); do r TICKET.CREATE "$d" "Unrouted question $i" >/dev/null; done
    r TICKET.CLAIM "$d" C1 COUNT 3 >/dev/null
    # A claim deciding more values than fit a small buffer (two stream ids
    # per ticket): 40 tickets in one call.
    # Flood detection off for them: 40 near-identical subjects would be one
    # flood (its master claimed, the children held back).
    r AGENT.CREATE "$d" C2 "Bulk" SKILLS general CAPACITY 100 >/dev/null
    r DESK.CONFIG SET "$d" flood-threshold 0 >/dev/null
    for i in $(seq 1 40); do printf 'TICKET.CREATE %s "Bulk question %d" CATEGORY general\n' "$d" "$i"; done |
        redis-cli -p "$PORT" >/dev/null
    r DESK.CONFIG SET "$d" flood-threshold 3 >/dev/null
    assert_eq "$d: CLAIM COUNT 40 took 40" 40 "$(r TICKET.CLAIM "$d" C2 COUNT 40 | wc -l)"
    r TICKET.NEXT "$d" A1 >/dev/null
    for t in $(r SMEMBERS "$d:agent:C1:open" | sed 's/ticket://'); do r TICKET.CLOSE "$d" "$t" >/dev/null; done
    # A blocked NEXT caller: the next CREATE is held for it (decided on the
    # master from its clients, carried to the replica as a value).
    r DESK.CONFIG SET "$d" auto-route yes >/dev/null
    redis-cli -p "$PORT" TICKET.NEXT "$d" B1 BLOCK 5000 >"$SERVER_DIR/bnext.out" 2>&1 &
    local bg=$!
    wait_for 1 info_field clients blocked_clients
    r TICKET.CREATE "$d" "Waiting agent takes this one" >/dev/null
    wait "$bg"
    assert_match "$d: the blocked NEXT caller got a ticket" "*id*" "$(paste -sd' ' "$SERVER_DIR/bnext.out")"
}

# ---- HD.REPLAY is not for clients ---------------------------------------
section r1
assert_eq "default replication mode" "helpdesk.replication commands" \
    "$(r CONFIG GET helpdesk.replication | paste -sd' ')"
assert_eq "INFO names the mode" commands "$(rinfo r replication)"
assert_nochange "HD.REPLAY from a client is refused" -c DENIED HD.REPLAY 1 1700000000000 "" \
    TICKET.CREATE $D "subject"
assert_eq "HD.REPLAY's key is the desk" "$D" \
    "$(r COMMAND GETKEYS HD.REPLAY 1 0 "" TICKET.CREATE $D subject)"
assert_match "HD.REPLAY has docs" "*replicated form*" "$(r COMMAND DOCS hd.replay)"
assert_err "an unknown mode is refused" ERR CONFIG SET helpdesk.replication values

# ---- commands mode: replica -----------------------------------------------
section r2
assert_ok "switch to commands" CONFIG SET helpdesk.replication commands
assert_eq "INFO names it" commands "$(rinfo r replication)"
before=$(rinfo rr replays)
workload $D
same_digest "commands mode"
after=$(rinfo rr replays)
assert_eq "the replica replayed the hot commands (more than 20)" yes \
    "$([ "$after" -gt "$((before + 20))" ] && echo yes || echo "replays $before -> $after")"
assert_eq "no replay diverged" 0 "$(rinfo rr replay_divergences)"
assert_eq "the replica's desk checks clean" "[]" "$(redis-cli -3 --json -p "$REPLICA_PORT" DESK.CHECK $D)"
assert_match "the master's flood opened an incident" "[0-9]*" "$(r HKEYS $D:flood:masters | head -1)"

# ---- effects mode: replica --------------------------------------------------
section r3
assert_ok "switch to effects" CONFIG SET helpdesk.replication effects
before=$(rinfo rr replays)
workload ${D}e
same_digest "effects mode"
assert_eq "effects mode sends no HD.REPLAY" "$before" "$(rinfo rr replays)"

# ---- AOF mixing both forms, reloaded in both modes -------------------------
section r4
stop_replica
r CONFIG SET appendonly yes >/dev/null
wait_until aof_settled
r CONFIG SET helpdesk.replication effects >/dev/null
workload ${D}a1                 # the previous format: effects
r CONFIG SET helpdesk.replication commands >/dev/null
workload ${D}a2                 # HD.REPLAY
# Each write reaches the file before its reply (everysec may hold it back
# while a background fsync runs).
r CONFIG SET appendfsync always >/dev/null
aof_lines() { cat "$SERVER_DIR"/appendonlydir/*.incr.aof | tr -d '\r' | grep -ci "^$1\$"; }
r DESK.CONFIG SET ${D}a2 auto-route no >/dev/null
r TICKET.CREATE ${D}a2 "For a NEXT with BLOCK" CATEGORY general >/dev/null
nexts=$(aof_lines ticket.next)
assert_match "a NEXT with BLOCK served at once" "*id*" "$(r TICKET.NEXT ${D}a2 A2 BLOCK 1000 | paste -sd' ')"
assert_eq "... is replicated as HD.REPLAY of TICKET.NEXT" $((nexts + 1)) "$(aof_lines ticket.next)"
assert_eq "... without its BLOCK (a replay never waits)" 0 "$(aof_lines block)"
assert_match "the AOF holds HD.REPLAY" "*HD.REPLAY*" "$(cat "$SERVER_DIR"/appendonlydir/*.incr.aof | tr -d '\r' | grep -m1 -i 'hd.replay')"
assert_match "the AOF holds effects" "*XADD*" "$(cat "$SERVER_DIR"/appendonlydir/*.incr.aof | tr -d '\r' | grep -m1 XADD)"
digest=$(dbdigest)
r SET rp:flush x >/dev/null; r DEL rp:flush >/dev/null
kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
restart_server --appendonly yes --auto-aof-rewrite-percentage 0
assert_eq "AOF reload (commands mode) gives the same digest" "$digest" "$(dbdigest)"
assert_eq "no replay diverged at load" 0 "$(rinfo r replay_divergences)"
r SHUTDOWN NOSAVE >/dev/null 2>&1; wait "$SERVER_PID" 2>/dev/null
restart_server replication effects --appendonly yes --auto-aof-rewrite-percentage 0
assert_eq "loaded in effects mode" effects "$(rinfo r replication)"
assert_eq "AOF reload (effects mode) gives the same digest" "$digest" "$(dbdigest)"
assert_eq "RDB equals the AOF's dataset" "$digest" "$(r DEBUG RELOAD >/dev/null; dbdigest)"

# ---- an unknown replicated format is refused loudly -----------------------
section r5
r SHUTDOWN NOSAVE >/dev/null 2>&1; wait "$SERVER_PID" 2>/dev/null
incr=$(ls "$SERVER_DIR"/appendonlydir/*.incr.aof | tail -1)
printf '*7\r\n$9\r\nHD.REPLAY\r\n$2\r\n99\r\n$13\r\n1700000000000\r\n$0\r\n\r\n$13\r\nTICKET.CREATE\r\n$2\r\nrp\r\n$6\r\nfuture\r\n' >>"$incr"
restart_server --appendonly yes --auto-aof-rewrite-percentage 0
assert_eq "the unknown format changed nothing" "$digest" "$(dbdigest)"
assert_match "the server log says so" "*HD.REPLAY format 99 is unknown*NOT applied*" \
    "$(grep 'is unknown to this module' "$SERVER_DIR/server.log" | tail -1)"
assert_eq "refused before running: no divergence counted" 0 "$(rinfo r replay_divergences)"

# ---- ... and over a live master link --------------------------------------
# No master of this version sends another format, so tests/fake-master plays
# one: an empty dataset, HD.REPLAY of format 99, then a plain SET.
section r6
stop_replica
fm=$SERVER_DIR/fake-master
printf '%s\n' 'HD.REPLAY 99 1700000000000 "" TICKET.CREATE rp future' 'SET rp:after-refusal 1' |
    "$(dirname "$0")/fake-master" --port-file "$fm.port" --until "$fm.done" &
fmpid=$!
wait_until test -s "$fm.port"
start_extra fakelink --loadmodule "$HELPDESK_SO" --replicaof 127.0.0.1 "$(cat "$fm.port")"
after_refusal() { [ "$(rr GET rp:after-refusal)" = 1 ]; }
wait_until after_refusal
assert_eq "the link goes on after the refused call" 1 "$(rr GET rp:after-refusal)"
assert_eq "the unknown format applied nothing" 1 "$(rr DBSIZE)"
assert_match "the replica's log says so" "*HD.REPLAY format 99 is unknown*NOT applied*" \
    "$(grep 'is unknown to this module' "$REPLICA_DIR/server.log" | tail -1)"
assert_eq "no divergence counted on the replica" 0 "$(rinfo rr replay_divergences)"
touch "$fm.done"; wait "$fmpid"
assert_eq "the fake master saw the whole exchange" 0 $?

finish
