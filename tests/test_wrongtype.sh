#!/usr/bin/env bash
# Wrong-typed keys under the four hot commands (SPEC.md sections 4 and 8):
# TICKET.CREATE, TICKET.CLAIM, TICKET.CLOSE and TICKET.NEXT (and TICKET.ROUTE,
# which picks as NEXT does). For every key each command opens (found by
# tracing the keys the module opened during each command, in every path
# below; README "How consistency is kept"), one case on a fresh desk puts
# a value of the wrong type there (a string where a hash, set, sorted set,
# list or stream belongs, a hash where a string belongs) and checks:
#   - the reply is INVALID "key 'K' holds a T where helpdesk expects a U; run
#     DESK.CHECK or delete the key" (the module's wrong-type error: SPEC
#     names no WRONGTYPE code, the README documents INVALID);
#   - nothing changed (DEBUG DIGEST) and nothing was replicated (the
#     master's replication offset, with a replica attached);
#   - DESK.CHECK names the key while it is wrong (the SPEC's keys and the
#     module's own flood/sla/report/model keys alike);
#   - with the key restored DESK.CHECK is clean, the same command then
#     succeeds and DESK.CHECK stays clean.
# A few keys are only read, or a damaged one is passed over by design
# (ROUTE's candidate agents, the tickets and master a flood would merge,
# a taken ticket id, the classifier's model);
# those cases check exactly that: the command succeeds, the wrong value is
# left as it was, DESK.CHECK is clean once it is restored. CLAIM that meets
# a damaged ticket after it took one stops there (section claim-second).
# Every case runs under helpdesk.replication effects and commands, and the
# replica's digest must equal the master's after each mode.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
# The master pings its replica every 10 s by default, which moves the
# replication offset; a failing command must not move it.
r CONFIG SET repl-ping-replica-period 3600 >/dev/null
start_replica

SAVED=wtsaved        # outside the desk: DESK.CHECK and DESK.PURGE ignore it
WRONG="wrong type"

# ---- talking in pipelines -----------------------------------------------
# A redis-cli process costs tens of ms: a case sends all its steps as one
# pipeline and reads one reply per line, in RESP3 JSON (strings quoted,
# errors as error:"...", arrays and maps on one line).

# quoted ARGS...: the arguments as one redis-cli input line.
quoted() { local a out=; for a in "$@"; do out+="\"$a\" "; done; printf '%s\n' "${out% }"; }
# pipe: the lines on stdin as one pipeline; its replies, one per line.
pipe() { redis-cli -3 --json -p "$PORT"; }
# fixture NAME: runs fixture NAME's commands (fx_NAME prints them).
fixture() { "fx_$1" | pipe >/dev/null; }

# ---- fixtures ------------------------------------------------------------
# One agent (A1: technical, billing), one customer (1), two unassigned
# tickets: 1 (technical, priority 10, customer 1) and 2 (billing, 5).
# base_desk [CONFIG VALUE ...] prints them, after the desk settings given.
base_desk() {
    echo "DESK.PURGE $D"
    echo "DEL $SAVED"
    while [ $# -gt 0 ]; do echo "DESK.CONFIG SET $D $1 $2"; shift 2; done
    echo "AGENT.CREATE $D A1 Ann SKILLS technical billing"
    echo "CUSTOMER.CREATE $D Cust cust@example.com"
    echo "TICKET.CREATE $D first CATEGORY technical PRIORITY 10 CUSTOMER 1"
    echo "TICKET.CREATE $D second CATEGORY billing PRIORITY 5"
}
fx_plain() { base_desk; }
# Both tickets assigned to A1.
fx_claimed() { base_desk; echo "TICKET.CLAIM $D A1"; }
# reassign-after and skill-timeout on: the tickets sit in D:sla:relax, an
# assignment starts a D:sla:reassign clock.
fx_sla() { base_desk reassign-after 3600 skill-timeout 3600; }
fx_sla_claimed() { fx_sla; echo "TICKET.CLAIM $D A1"; }
# A trained classifier: creating a ticket without CATEGORY reads both model
# keys.
fx_trained() { base_desk; echo "TICKET.TRAIN $D billing \"invoice refund charge\""; }

# A flash flood (flood-threshold 3): FLOOD_N near-identical tickets; with
# 3 of them ticket 4 is the master incident and 1-3 are merged into it.
flood_desk() {
    local _
    echo "DESK.PURGE $D"
    echo "DEL $SAVED"
    echo "DESK.CONFIG SET $D flood-threshold 3"
    for _ in $(seq "$1"); do
        echo "TICKET.CREATE $D \"printer on fire in building\" BODY \"the printer is on fire\" CATEGORY technical PRIORITY 5"
    done
}
fx_flood2() { flood_desk 2; }
fx_flood3() { flood_desk 3; }

# ---- probes --------------------------------------------------------------

# The desk's report day key for the server's clock (report.c: one hash per
# UTC day, D:report:YYYYMMDD).
today() { date -u -d "@$(( $(server_ms) / 1000 ))" +%Y%m%d; }
# The wrong value as put: a string, or a one-field hash where a string belongs.
wrong_value() {
    if [ "$1" = string ]; then quoted HSET "$2" wrong "$WRONG"; else quoted SET "$2" "$WRONG"; fi
}
# Prints the wrong value of KEY as JSON (want = its expected type).
wrong_read() {
    if [ "$1" = string ]; then quoted HGETALL "$2"; else quoted GET "$2"; fi
}
wrong_json() {
    if [ "$1" = string ]; then printf '{"wrong":"%s"}\n' "$WRONG"; else printf '"%s"\n' "$WRONG"; fi
}
# The master's replication offset (ROLE, as `r` prints it, or its JSON line).
repl_offset() { r ROLE | sed -n 2p; }
offset_of() { sed -n 's/^\["master",\([0-9]*\),.*/\1/p' <<<"$1"; }

# ---- one case ------------------------------------------------------------

# wrong_key OUTCOME FIXTURE KEY WANT -- CMD ARGS...
# On a fresh FIXTURE desk, KEY (expected type WANT: hash, set, sorted set,
# list, stream or string) gets a value of the wrong type (what was there is
# renamed to $SAVED), then CMD runs, followed by a PING on the same
# connection (a command that replied twice would shift every later reply).
# OUTCOME is what must happen:
#   invalid   the error above; nothing changed (digest) or replicated (the
#             master's offset); DESK.CHECK names KEY unless it is private
#   skipped   CMD succeeds and leaves KEY as it was (KEY is only read, or
#             passed over by design; the caller says why)
# Then KEY is restored and DESK.CHECK is clean; for invalid, CMD succeeds
# now and DESK.CHECK stays clean. All of it is one pipeline.
wrong_key() {
    local outcome=$1 fixture=$2 key=$3 want=$4; shift 5
    local name="$* ($fixture) with $key wrong" have=string cmd n=13
    local -a got
    cmd=$(quoted "$@")
    [ "$want" = string ] && have="hash"
    [ "$outcome" = invalid ] && n=15
    # RENAME and its undo answer "no such key" when KEY was absent: fine.
    mapfile -t got < <({ "fx_$fixture"
        quoted RENAME "$key" $SAVED; wrong_value "$want" "$key"
        echo ROLE; echo DEBUG DIGEST                                   # 2 3
        echo "$cmd"; echo PING; echo ROLE; echo DEBUG DIGEST           # 4-7
        echo "DESK.CHECK $D"; wrong_read "$want" "$key"                # 8 9
        quoted DEL "$key"; quoted RENAME $SAVED "$key"; echo "DESK.CHECK $D"  # 10-12
        [ "$outcome" = skipped ] || { echo "$cmd"; echo "DESK.CHECK $D"; }    # 13 14
    } | pipe | tail -n "$n")
    case $outcome in
    invalid)
        assert_eq "$name: INVALID names the key" \
            "error:\"INVALID key '$key' holds a $have where helpdesk expects a $want; run DESK.CHECK or delete the key\"" \
            "${got[4]}"
        assert_eq "$name: nothing changed" "${got[3]}" "${got[7]}"
        assert_eq "$name: nothing replicated" "$(offset_of "${got[2]}")" "$(offset_of "${got[6]}")"
        assert_match "$name: DESK.CHECK names it" "*\"$key is a $have, not a $want*" "${got[8]}"
        assert_match "$name: succeeds once restored" "[^en]*" "${got[13]}"
        assert_eq "$name: DESK.CHECK clean after it" "[]" "${got[14]}"
        ;;
    skipped)
        assert_match "$name: succeeds" "[^en]*" "${got[4]}"
        assert_eq "$name: the wrong value is left alone" "$(wrong_json "$want")" "${got[9]}"
        ;;
    esac
    assert_eq "$name: one reply" '"PONG"' "${got[5]}"
    assert_eq "$name: DESK.CHECK clean once restored" "[]" "${got[12]}"
}

# cases OUTCOME FIXTURE "KEY=TYPE ..." -- CMD ARGS...: wrong_key per key.
# Key names are relative to the desk; TYPE spells "sorted set" as zset.
cases() {
    local outcome=$1 fixture=$2 list=$3 kt k t; shift 3
    for kt in $list; do
        k=${kt%%=*} t=${kt#*=}
        [ "$t" = zset ] && t="sorted set"
        wrong_key "$outcome" "$fixture" "$D:$k" "$t" "$@"
    done
}

# ---- the key lists -------------------------------------------------------

# What every write of a ticket's life opens: queues (both routing queues of
# the category and of general, with their creation-order twins), the SLA
# sets, the ticket's hash, log and report list, the day's report, the flood
# window, the desk's config, counters and event stream.
DESK_KEYS="config=hash events=stream stats=hash queue:priority=zset queue:sla=zset
    sla:timer=zset sla:relax=zset sla:reassign=zset flood:recent=zset flood:masters=hash
    queue:unassigned:general=zset queue:created:general=zset"

# What CLAIM and NEXT of A1 open: the agent's hash and sets, the picked
# ticket's hash and log, the routing queues of its categories (technical,
# billing and general) with their creation-order twins.
AGENT_QUEUES="queue:unassigned:technical=zset queue:unassigned:billing=zset
    queue:unassigned:general=zset queue:created:technical=zset queue:created:billing=zset
    queue:created:general=zset"
PULL_KEYS="config=hash events=stream agent:A1=hash agent:A1:open_tickets=set
    agent:A1:skills=set ticket:1=hash ticket:1:log=list $AGENT_QUEUES"

run_cases() {
    local day
    day=$(today)
    section "create-$1"
    cases invalid plain "$DESK_KEYS seq:tickets=string ticket:3:log=list
        ticket:3:report=list report:$day=hash
        queue:unassigned:technical=zset queue:created:technical=zset" \
        -- TICKET.CREATE $D new CATEGORY technical PRIORITY 10
    # With a customer: its hash and ticket set; classified (no CATEGORY):
    # the routing queues of the category the text gives (billing).
    cases invalid plain "user:1=hash user:1:tickets=set
        queue:unassigned:billing=zset queue:created:billing=zset" \
        -- TICKET.CREATE $D new BODY "my invoice is wrong" CUSTOMER 1
    # ROUTE: the new ticket is assigned at once, to A1 (the only agent).
    # A candidate whose keys are damaged is passed over (routing.c
    # considerAgent), as is a damaged skill index: the ticket stays queued.
    cases skipped plain "agent:A1=hash agent:A1:open_tickets=set skill:technical=set" \
        -- TICKET.CREATE $D new CATEGORY technical PRIORITY 10 ROUTE
    for k in agent:A1 agent:A1:open_tickets skill:technical; do
        fixture plain; r SET "$D:$k" "$WRONG" >/dev/null
        r TICKET.CREATE $D new CATEGORY technical PRIORITY 10 ROUTE >/dev/null
        assert_eq "create ROUTE ($1) with $D:$k wrong: ticket 3 queued, unassigned" "1 " \
            "$(r ZSCORE $D:queue:unassigned:technical ticket:3 | wc -l) $(r HGET $D:ticket:3 assigned_agent)"
    done
    cases invalid sla "sla:reassign=zset sla:relax=zset" \
        -- TICKET.CREATE $D new CATEGORY technical PRIORITY 10 ROUTE

    section "create-tolerated-$1"
    # A hash at the next id is skipped (record.c nextTicketId: a counter reset
    # by hand must not overwrite a ticket): the ticket gets id 4.
    cases skipped plain "ticket:3=hash" -- TICKET.CREATE $D new CATEGORY technical PRIORITY 10
    fixture plain; r SET $D:ticket:3 "$WRONG" >/dev/null
    assert_eq "create ($1): the id after a taken one" 4 \
        "$(r TICKET.CREATE $D new CATEGORY technical PRIORITY 10)"
    # The classifier only reads its model; a damaged one is not used
    # (classify.c openHash).
    cases skipped trained "model:meta=hash model:words=hash" \
        -- TICKET.CREATE $D new BODY "my invoice is wrong"

    section "flood-$1"
    # The third similar ticket opens master 4 and merges 1-3 into it; the
    # new ticket's own keys fail it as any create's do.
    cases invalid flood2 "ticket:3:log=list flood:recent=zset flood:masters=hash" \
        -- TICKET.CREATE $D "printer on fire in building" BODY "the printer is on fire" \
           CATEGORY technical PRIORITY 5
    # Flood detection passes over what it finds damaged (flood.c
    # ticketLoadQuiet, ticketKeysQuiet; no incident when the master's keys
    # are taken): an earlier ticket's keys, the master's log and children.
    cases skipped flood2 "ticket:1=hash ticket:1:log=list ticket:2=hash ticket:2:log=list
        ticket:4:log=list flood:children:4=set" \
        -- TICKET.CREATE $D "printer on fire in building" BODY "the printer is on fire" \
           CATEGORY technical PRIORITY 5
    # A fourth joins the open master, unless the master's keys are damaged.
    cases invalid flood3 "ticket:5:log=list" \
        -- TICKET.CREATE $D "printer on fire in building" BODY "the printer is on fire" \
           CATEGORY technical PRIORITY 5
    cases skipped flood3 "ticket:4=hash flood:children:4=set" \
        -- TICKET.CREATE $D "printer on fire in building" BODY "the printer is on fire" \
           CATEGORY technical PRIORITY 5
    # Closing the master closes its merged tickets.
    cases invalid flood3 "ticket:1=hash ticket:1:log=list ticket:1:report=list ticket:3=hash
        ticket:3:log=list ticket:3:report=list ticket:4=hash ticket:4:log=list
        flood:children:4=set" -- TICKET.CLOSE $D 4

    section "claim-$1"
    cases invalid plain "$PULL_KEYS" \
        -- TICKET.CLAIM $D A1
    cases invalid plain "agent:A1=hash agent:A1:skills=set ticket:1=hash ticket:1:log=list $AGENT_QUEUES" \
        -- TICKET.CLAIM $D A1 ORDER CREATED
    cases invalid sla "sla:reassign=zset" -- TICKET.CLAIM $D A1
    # D:sla:relax is only read (a ticket leaves it when it is there).
    cases skipped sla "sla:relax=zset" -- TICKET.CLAIM $D A1

    section "claim-second-$1"
    # The second ticket's keys are damaged: the top-up stops before it,
    # with ticket 1 claimed and ticket 2 untouched, in one reply.
    for k in ticket:2=hash ticket:2:log=list; do
        fixture plain
        r SET "$D:${k%%=*}" "$WRONG" >/dev/null
        assert_eq "claim ($1) with $D:${k%%=*} wrong: one reply, the first ticket" "1 PONG" \
            "$(printf 'TICKET.CLAIM %s A1\nPING\n' $D | redis-cli -p "$PORT" | paste -sd' ')"
        assert_eq "claim ($1) with $D:${k%%=*} wrong: ticket 1 is A1's" A1 \
            "$(r HGET $D:ticket:1 assigned_agent)"
        assert_eq "claim ($1) with $D:${k%%=*} wrong: left alone" "$WRONG" "$(r GET "$D:${k%%=*}")"
        r DEL "$D:${k%%=*}" >/dev/null
    done

    section "route-$1"
    # TICKET.ROUTE without a ticket id picks like NEXT (routing.c
    # loadPicked): a damaged pick is one INVALID reply, not an error and a
    # nil.
    cases invalid plain "ticket:1=hash ticket:1:log=list" -- TICKET.ROUTE $D

    section "next-$1"
    cases invalid plain "$PULL_KEYS" \
        -- TICKET.NEXT $D A1
    # With BLOCK too: the damaged pick is answered at once, not answered and
    # then blocked on (which would show as a second reply).
    cases invalid plain "ticket:1=hash ticket:1:log=list agent:A1:skills=set" \
        -- TICKET.NEXT $D A1 BLOCK 10000
    cases invalid sla "sla:reassign=zset" -- TICKET.NEXT $D A1
    cases skipped sla "sla:relax=zset" -- TICKET.NEXT $D A1

    section "close-$1"
    # An assigned ticket: its agent's keys too.
    cases invalid claimed "$DESK_KEYS ticket:1=hash ticket:1:log=list ticket:1:report=list
        report:$day=hash flood:children:1=set agent:A1=hash agent:A1:open_tickets=set
        queue:unassigned:technical=zset queue:created:technical=zset" \
        -- TICKET.CLOSE $D 1
    # An unassigned one: it leaves its routing queue.
    cases invalid plain "$DESK_KEYS ticket:2=hash ticket:2:log=list ticket:2:report=list
        report:$day=hash flood:children:2=set
        queue:unassigned:billing=zset queue:created:billing=zset" \
        -- TICKET.CLOSE $D 2
    cases invalid sla_claimed "sla:reassign=zset sla:relax=zset" -- TICKET.CLOSE $D 1

    section "replica-$1"
    wait_for "$(repl_offset)" info_field_of rr replication master_repl_offset ||
        fail "replica ($1) caught up" "offset $(repl_offset), replica at $WAIT_GOT"
    assert_eq "replica ($1): digest equals the master's" "$(dbdigest)" "$(rr DEBUG DIGEST)"
}

for mode in effects commands; do
    r CONFIG SET helpdesk.replication $mode >/dev/null
    run_cases $mode
done
# ---- DESK.CHECK and DESK.REPAIR on the module's own keys ---------------------
# DESK.REPAIR rebuilt D:sla:timer into whatever held the name (the server
# stopped on a failed ZADD); the others it does not write, and reports.
section repair
D=wtrepair
r AGENT.CREATE $D A1 Ann SKILLS technical >/dev/null
r TICKET.CREATE $D "The printer does not print" CATEGORY technical PRIORITY 10 >/dev/null
day=$(date -u -d "@$(r TIME | head -n 1)" +%Y%m%d)
r TICKET.CLASSIFY $D "a text" >/dev/null
for kw in sla:timer=zset sla:relax=zset sla:reassign=zset flood:recent=zset flood:masters=hash \
          flood:children:1=set report:$day=hash ticket:1:report=list model:meta=hash model:words=hash; do
    k=$D:${kw%%=*} want=${kw#*=}; [ "$want" = zset ] && want="sorted set"
    r RENAME "$k" $SAVED >/dev/null 2>&1
    r SET "$k" "$WRONG" >/dev/null
    assert_match "repair: DESK.CHECK names $k" "*$k is a string, not a $want*" "$(r DESK.CHECK $D | paste -sd' ')"
    rep=$(r DESK.REPAIR $D | paste -sd' ')
    assert_eq "repair: the server still answers after DESK.REPAIR with $k wrong" PONG "$(r PING)"
    if [ "${kw%%=*}" = sla:timer ]; then
        assert_match "repair: $k is rebuilt" "*fixed: $k is a string, not a $want*" "$rep"
        assert_eq "repair: ... from the tickets" 1 "$(r ZCARD "$k")"
        r DEL $SAVED >/dev/null 2>&1
    else
        assert_match "repair: $k is left to a person" "*cannot fix: $k is a string, not a $want; fix or delete it by hand*" "$rep"
        assert_eq "repair: ... untouched" "$WRONG" "$(r GET "$k")"
        r DEL "$k" >/dev/null
        r RENAME $SAVED "$k" >/dev/null 2>&1
    fi
done
assert_eq "repair: DESK.CHECK clean at the end" "" "$(r DESK.CHECK $D)"
wait_for "$(repl_offset)" info_field_of rr replication master_repl_offset ||
    fail "replica (repair) caught up" "offset $(repl_offset), replica at $WAIT_GOT"
assert_eq "repair: replica digest equals the master's" "$(dbdigest)" "$(rr DEBUG DIGEST)"

stop_replica
finish
