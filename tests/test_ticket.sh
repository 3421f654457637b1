#!/usr/bin/env bash
# Ticket life cycle (SPEC.md sections 3, 4, 5, 8): TICKET.CREATE, GET, UPDATE,
# STATUS, ASSIGN, UNASSIGN, CLOSE, REOPEN, DEL, LOG, NOTE, PEEK, COUNTS,
# OVERDUE, the event stream, and "a failing command changes nothing".
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
# No SLA timer: nothing here tests it, and a 600 s target below (sla.7) would
# let it write warnings into the digests of "changes nothing" checks when a
# loaded machine makes the suite slow.
r CONFIG SET helpdesk.sla-timer-ms 0 >/dev/null

BAND=1099511627776          # 2^40: routing score = (1000 - priority) * 2^40 + tid

# ---- helpers -------------------------------------------------------------

hget() { r HGET "$D:ticket:$1" "$2"; }
hexists() { r HEXISTS "$D:ticket:$1" "$2"; }
zscore() { r ZSCORE "$1" "ticket:$2"; }
rscore() { echo $(( (1000 - $1) * BAND + $2 )); }
stat() { local v; v=$(r HGET "$D:stats" "$1"); echo "${v:-0}"; }
aget() { r HGET "$D:agent:$1" "$2"; }
inset() { r SISMEMBER "$D:agent:$1:open_tickets" "ticket:$2"; }
evlen() { r XLEN "$D:events"; }
# The newest event as "k=v k=v ..." without its id and `at`.
ev_last() {
    r XREVRANGE "$D:events" + - COUNT 1 | tail -n +2 | paste -d= - - |
        grep -v '^at=' | tr '\n' ' ' | sed 's/ $//'
}
# The newest log entry without its "<ms>: " prefix.
log_last() { r LINDEX "$D:ticket:$1:log" -1 | sed 's/^[0-9]*: //'; }
loglen() { r LLEN "$D:ticket:$1:log"; }
# Ids listed by TICKET.PEEK / OVERDUE (RESP3 maps, one "key value" per line).
ids_of() { r -3 "$@" | awk '$1 == "id" { print $2 }' | tr '\n' ' ' | sed 's/ $//'; }
# assert_event NAME EVLEN_BEFORE EXPECTED: exactly one new event, this one.
assert_event() {
    assert_eq "$1: one event" $(($2 + 1)) "$(evlen)"
    assert_eq "$1: event fields" "$3" "$(ev_last)"
}
# Keep a ticket in a given status (open/in_progress/on_hold) and return its id.
new_in() {
    local tid
    tid=$(r TICKET.CREATE $D "status test $1" PRIORITY 5 CATEGORY general)
    [ "$1" = open ] || r TICKET.STATUS $D "$tid" "$1" >/dev/null
    echo "$tid"
}
FUTURE=4102444800000        # 2100-01-01: an sla_due_at that is never overdue

# Desk settings every desk of this suite uses: no flood detection (the suite
# creates many tickets with equal subjects) and no alerts (their events would
# interleave with the ones checked here).
quiet_desk() {
    r DESK.CONFIG SET "$1" flood-threshold 0 >/dev/null
    r DESK.CONFIG SET "$1" alert-threshold 1 >/dev/null
}

# ---- fixtures ------------------------------------------------------------

# What every section on the life cycle starts from, on its own desk $D: a
# quiet desk, one customer (UID1) and four agents.
ticket_fixtures() {
    quiet_desk $D
    UID1=$(r CUSTOMER.CREATE $D "Ann Smith" ann@example.com)
    assert_match "customer created" '[0-9]*' "$UID1"
    assert_ok "agent A201" AGENT.CREATE $D A201 "Alice" SKILLS billing technical CAPACITY 3
    assert_ok "agent A202" AGENT.CREATE $D A202 "Bob" SKILLS billing CAPACITY 2
    assert_ok "agent A203" AGENT.CREATE $D A203 "Carol" SKILLS legal CAPACITY 1
    assert_ok "agent A204" AGENT.CREATE $D A204 "Dan" SKILLS shipping CAPACITY 5
}
# The sections below on ticket_fixtures (each a fresh desk of that name).
LIFE_DESKS="create update status assign close del log wrongtype"

# ==== TICKET.CREATE =======================================================
section create; ticket_fixtures

# Without CATEGORY / PRIORITY the classifier decides: what TICKET.CLASSIFY
# says for the same text.
cls=$(r -3 TICKET.CLASSIFY $D "hello there")
DEFCAT=$(awk '$1 == "category" { print $2 }' <<<"$cls")
DEFPRIO=$(awk '$1 == "priority" { print $2 }' <<<"$cls")
assert_match "TICKET.CLASSIFY names a category" '[a-z]*' "$DEFCAT"
assert_match "TICKET.CLASSIFY gives a priority" '[0-9]*' "$DEFPRIO"
case $DEFPRIO in 1|2|3|4) DEFSLA=259200 ;; 5|6|7|8|9) DEFSLA=86400 ;;
                 1[0-9]) DEFSLA=14400 ;; *) DEFSLA=3600 ;; esac
e0=$(evlen)
T1=$(r TICKET.CREATE $D "hello there")
assert_eq "create returns id 1" 1 "$T1"
assert_eq "seq:tickets follows" 1 "$(r GET $D:seq:tickets)"
C1=$(hget "$T1" created_at)
assert_match "created_at is ms" '1[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' "$C1"
assert_eq "default status open" open "$(hget "$T1" status)"
assert_eq "default priority ($DEFPRIO)" "$DEFPRIO" "$(hget "$T1" priority)"
assert_eq "default category ($DEFCAT)" "$DEFCAT" "$(hget "$T1" category)"
assert_eq "updated_at = created_at" "$C1" "$(hget "$T1" updated_at)"
assert_eq "version 1" 1 "$(hget "$T1" version)"
assert_eq "SLA from the desk target of the priority" $((C1 + DEFSLA * 1000)) "$(hget "$T1" sla_due_at)"
assert_eq "no user_id without CUSTOMER" 0 "$(hexists "$T1" user_id)"
assert_eq "no body without BODY" 0 "$(hexists "$T1" body)"
assert_eq "unassigned: no assigned_agent field" 0 "$(hexists "$T1" assigned_agent)"
assert_eq "in queue:priority with score = priority" "$DEFPRIO" "$(zscore $D:queue:priority "$T1")"
assert_eq "in queue:sla with score = sla_due_at" $((C1 + DEFSLA * 1000)) "$(zscore $D:queue:sla "$T1")"
assert_eq "in its routing queue" "$(rscore "$DEFPRIO" "$T1")" "$(zscore $D:queue:unassigned:$DEFCAT "$T1")"
assert_eq "stats status:open" 1 "$(stat status:open)"
assert_eq "stats category:$DEFCAT" 1 "$(stat category:$DEFCAT)"
assert_eq "log: one entry" 1 "$(loglen "$T1")"
assert_eq "log entry text" "$C1: created (priority $DEFPRIO, category $DEFCAT)" "$(r LINDEX $D:ticket:1:log 0)"
assert_event "create" "$e0" "type=created ticket=1 priority=$DEFPRIO category=$DEFCAT"
assert_eq "event at = created_at" "$C1" \
    "$(r XREVRANGE $D:events + - COUNT 1 | tail -n +2 | paste -d= - - | awk -F= '$1 == "at" { print $2 }')"
assert_eq "INFO tickets_created" 1 "$(info_field helpdesk helpdesk_tickets_created)"

# GET: every fixed field, nil when absent.
U1=$(hget "$T1" urgency)
assert_match "urgency recorded in [0,1]" '[01].[0-9][0-9][0-9]' "$U1"
# Typed (SPEC section 4): integers, urgency a RESP3 double (0.000 prints 0).
U1J=$(awk -v u="$U1" 'BEGIN { print u + 0 }')
assert_eq "TICKET.GET map" \
    "{\"id\":1,\"user_id\":null,\"subject\":\"hello there\",\"body\":null,\"status\":\"open\",\"priority\":$DEFPRIO,\"category\":\"$DEFCAT\",\"urgency\":$U1J,\"created_at\":$C1,\"updated_at\":$C1,\"assigned_agent\":null,\"sla_due_at\":$((C1 + DEFSLA * 1000)),\"closed_at\":null,\"master\":null,\"version\":1}" \
    "$(rj TICKET.GET $D 1)"
assert_eq "TICKET.GET missing ticket is nil" null "$(rj TICKET.GET $D 999)"
assert_eq "TICKET.GET other desk is nil" null "$(rj TICKET.GET other 1)"
assert_err "TICKET.GET bad id" INVALID TICKET.GET $D abc
assert_err "TICKET.GET id 0" INVALID TICKET.GET $D 0
assert_err "TICKET.GET arity" ERR TICKET.GET $D

# Every option.
e0=$(evlen)
T2=$(r TICKET.CREATE $D "Refund please" BODY "I was charged twice" CUSTOMER "$UID1" \
     PRIORITY 20 CATEGORY Billing SLA 120)
assert_eq "create with options returns 2" 2 "$T2"
C2=$(hget "$T2" created_at)
assert_eq "BODY stored" "I was charged twice" "$(hget "$T2" body)"
assert_eq "CUSTOMER stored as user_id" "$UID1" "$(hget "$T2" user_id)"
assert_eq "customer's ticket set" 1 "$(r SISMEMBER $D:user:$UID1:tickets ticket:2)"
assert_eq "CUSTOMER.TICKETS lists it" 2 "$(r CUSTOMER.TICKETS $D "$UID1")"
assert_eq "PRIORITY stored" 20 "$(hget "$T2" priority)"
assert_eq "CATEGORY lower-cased" billing "$(hget "$T2" category)"
assert_eq "SLA seconds override the desk target" $((C2 + 120000)) "$(hget "$T2" sla_due_at)"
assert_eq "sla queue score" $((C2 + 120000)) "$(zscore $D:queue:sla "$T2")"
assert_eq "routing queue billing" "$(rscore 20 "$T2")" "$(zscore $D:queue:unassigned:billing "$T2")"
assert_eq "not in general routing queue" "" "$(zscore $D:queue:unassigned:general "$T2")"
assert_eq "stats category:billing" 1 "$(stat category:billing)"
assert_event "create with options" "$e0" "type=created ticket=2 priority=20 category=billing"

# SLA from the desk's per-priority targets; a priority without one takes the
# next lower target.
sla_of() {
    local tid
    tid=$(r TICKET.CREATE $D "sla probe" PRIORITY "$1")
    echo $(( ($(hget "$tid" sla_due_at) - $(hget "$tid" created_at)) / 1000 ))
}
assert_eq "sla priority 20" 3600 "$(sla_of 20)"
assert_eq "sla priority 10" 14400 "$(sla_of 10)"
assert_eq "sla priority 1" 259200 "$(sla_of 1)"
assert_eq "sla priority 15 -> target of 10" 14400 "$(sla_of 15)"
assert_eq "sla priority 1000 -> target of 20" 3600 "$(sla_of 1000)"
assert_eq "sla priority 7 -> target of 5" 86400 "$(sla_of 7)"
assert_eq "sla priority 3 -> target of 1" 259200 "$(sla_of 3)"
assert_ok "DESK.CONFIG sla.7" DESK.CONFIG SET $D sla.7 600
assert_eq "sla priority 7 own target" 600 "$(sla_of 7)"
assert_eq "sla priority 8 -> target of 7" 600 "$(sla_of 8)"
assert_eq "sla priority 6 -> still 5's" 86400 "$(sla_of 6)"

# Limits: subject 1..1024 bytes.
S1024=$(printf 'x%.0s' $(seq 1024))
TS=$(r TICKET.CREATE $D "$S1024")
assert_eq "1024-byte subject accepted" 1024 "$(r HSTRLEN $D:ticket:$TS subject)"

# Errors: nothing changes.
assert_nochange "create empty subject" -c INVALID TICKET.CREATE $D ""
assert_nochange "create 1025-byte subject" -c INVALID TICKET.CREATE $D "${S1024}y"
r CONFIG SET helpdesk.max-text 100 >/dev/null
B100=$(printf 'b%.0s' $(seq 100))
assert_nochange "create body over max-text" -c INVALID TICKET.CREATE $D subj BODY "${B100}b"
TB=$(r TICKET.CREATE $D "body at limit" BODY "$B100")
assert_eq "body of exactly max-text accepted" 100 "$(r HSTRLEN $D:ticket:$TB body)"
r CONFIG SET helpdesk.max-text 65536 >/dev/null
assert_nochange "create priority 0" -c INVALID TICKET.CREATE $D subj PRIORITY 0
assert_nochange "create priority 1001" -c INVALID TICKET.CREATE $D subj PRIORITY 1001
assert_nochange "create priority abc" -c INVALID TICKET.CREATE $D subj PRIORITY abc
assert_nochange "create unknown category" -c INVALID TICKET.CREATE $D subj CATEGORY astrology
assert_nochange "create malformed category" -c INVALID TICKET.CREATE $D subj CATEGORY "bad cat!"
assert_nochange "create unknown customer" -c NOTFOUND TICKET.CREATE $D subj CUSTOMER 999
assert_nochange "create bad customer id" -c NOTFOUND TICKET.CREATE $D subj CUSTOMER "a b"
assert_nochange "create unknown option" -c ERR TICKET.CREATE $D subj URGENT
assert_nochange "create option without value" -c ERR TICKET.CREATE $D subj PRIORITY
assert_nochange "create SLA 0" -c INVALID TICKET.CREATE $D subj SLA 0
assert_nochange "create SLA abc" -c INVALID TICKET.CREATE $D subj SLA abc
assert_nochange "create arity" -c ERR TICKET.CREATE $D
assert_nochange "create bad desk name" -c INVALID TICKET.CREATE "bad:desk" subj
assert_eq "failed creates consumed no id" "$TB" "$(r GET $D:seq:tickets)"

# Wrong-type keys: the command fails and writes nothing.
wrongtype() {    # wrongtype KEY CMD... : KEY made a string, CMD must fail INVALID
    local key=$1 existed; shift
    existed=$(r EXISTS "$key")
    [ "$existed" = 1 ] && r RENAME "$key" "$key.saved" >/dev/null
    r SET "$key" x >/dev/null
    assert_nochange "wrong type $key: $1" -c INVALID "$@"
    r DEL "$key" >/dev/null
    [ "$existed" = 1 ] && r RENAME "$key.saved" "$key" >/dev/null
}
NEXTID=$(( $(r GET $D:seq:tickets) + 1 ))
wrongtype $D:queue:priority TICKET.CREATE $D subj
wrongtype $D:queue:sla TICKET.CREATE $D subj
wrongtype $D:queue:unassigned:general TICKET.CREATE $D subj
wrongtype $D:queue:unassigned:legal TICKET.CREATE $D subj CATEGORY legal
wrongtype $D:stats TICKET.CREATE $D subj
wrongtype $D:events TICKET.CREATE $D subj
wrongtype $D:config TICKET.CREATE $D subj
wrongtype $D:ticket:$NEXTID:log TICKET.CREATE $D subj
wrongtype $D:user:$UID1:tickets TICKET.CREATE $D subj CUSTOMER "$UID1"
SEQ=$(r GET $D:seq:tickets)
r DEL $D:seq:tickets >/dev/null; r LPUSH $D:seq:tickets x >/dev/null
assert_nochange "wrong type seq:tickets" -c INVALID TICKET.CREATE $D subj
r DEL $D:seq:tickets >/dev/null; r SET $D:seq:tickets "$SEQ" >/dev/null
assert_eq "next create after wrong-type tests" "$NEXTID" "$(r TICKET.CREATE $D "after wrongtype")"

# A counter reset by hand never overwrites a ticket.
r SET $D:seq:tickets 1 >/dev/null
assert_eq "reset counter skips existing ids" $((NEXTID + 1)) "$(r TICKET.CREATE $D "after reset")"
# Ids stay below 2^40, the id bits of the routing score; a counter set past
# that (or to the largest integer) is refused, not wrapped.
r SET ids:seq:tickets $((BAND - 2)) >/dev/null
assert_eq "last ticket id 2^40-1" $((BAND - 1)) "$(r TICKET.CREATE ids "last id" PRIORITY 5 CATEGORY general)"
assert_eq "its routing score is exact" "$(rscore 5 $((BAND - 1)))" "$(r ZSCORE ids:queue:unassigned:general ticket:$((BAND - 1)))"
assert_nochange "no id left after 2^40-1" -c INVALID TICKET.CREATE ids "one too many"
r SET ids:seq:tickets 9223372036854775807 >/dev/null
assert_nochange "counter at the largest integer" -c INVALID TICKET.CREATE ids "overflow"
r SET ids:seq:tickets 5 >/dev/null
assert_eq "counter back in range" 6 "$(r TICKET.CREATE ids "back in range")"

# ==== TICKET.UPDATE =======================================================
section update; ticket_fixtures

TU=$(r TICKET.CREATE $D "update me" CATEGORY billing PRIORITY 5)
V=$(hget "$TU" version)
e0=$(evlen); n0=$(loglen "$TU")
assert_eq "update subject returns new version" $((V + 1)) "$(r TICKET.UPDATE $D "$TU" subject "new subject")"
assert_eq "subject changed" "new subject" "$(hget "$TU" subject)"
assert_eq "update logged" "subject changed" "$(log_last "$TU")"
assert_eq "one log entry" $((n0 + 1)) "$(loglen "$TU")"
assert_event "update subject" "$e0" "type=updated ticket=$TU fields=subject"
assert_eq "update body" $((V + 2)) "$(r TICKET.UPDATE $D "$TU" body "new body")"
assert_eq "body changed" "new body" "$(hget "$TU" body)"
assert_eq "updated_at moves" 1 "$(( $(hget "$TU" updated_at) >= $(hget "$TU" created_at) ))"

e0=$(evlen)
assert_eq "update priority" $((V + 3)) "$(r TICKET.UPDATE $D "$TU" priority 20)"
assert_eq "priority stored" 20 "$(hget "$TU" priority)"
assert_eq "queue:priority re-scored" 20 "$(zscore $D:queue:priority "$TU")"
assert_eq "routing queue re-scored" "$(rscore 20 "$TU")" "$(zscore $D:queue:unassigned:billing "$TU")"
assert_eq "priority change logged" "priority 5 -> 20" "$(log_last "$TU")"
assert_event "update priority" "$e0" "type=updated ticket=$TU fields=priority"

bill0=$(stat category:billing); tech0=$(stat category:technical)
assert_eq "update category" $((V + 4)) "$(r TICKET.UPDATE $D "$TU" category TECHNICAL)"
assert_eq "category stored lower-case" technical "$(hget "$TU" category)"
assert_eq "left billing routing queue" "" "$(zscore $D:queue:unassigned:billing "$TU")"
assert_eq "joined technical routing queue" "$(rscore 20 "$TU")" "$(zscore $D:queue:unassigned:technical "$TU")"
assert_eq "stats category:billing -1" $((bill0 - 1)) "$(stat category:billing)"
assert_eq "stats category:technical +1" $((tech0 + 1)) "$(stat category:technical)"
assert_eq "category change logged" "category billing -> technical" "$(log_last "$TU")"

assert_eq "update sla_due_at" $((V + 5)) "$(r TICKET.UPDATE $D "$TU" sla_due_at $FUTURE)"
assert_eq "sla_due_at stored" $FUTURE "$(hget "$TU" sla_due_at)"
assert_eq "queue:sla re-scored" $FUTURE "$(zscore $D:queue:sla "$TU")"
assert_eq "priority score kept" 20 "$(zscore $D:queue:priority "$TU")"

e0=$(evlen); n0=$(loglen "$TU")
assert_eq "update several fields at once" $((V + 6)) \
    "$(r TICKET.UPDATE $D "$TU" priority 10 category legal IFVERSION $((V + 5)))"
assert_eq "several: priority" 10 "$(hget "$TU" priority)"
assert_eq "several: category" legal "$(hget "$TU" category)"
assert_eq "several: routing queue legal with new priority" "$(rscore 10 "$TU")" \
    "$(zscore $D:queue:unassigned:legal "$TU")"
assert_eq "several: out of technical queue" "" "$(zscore $D:queue:unassigned:technical "$TU")"
assert_eq "several: one log entry per field" $((n0 + 2)) "$(loglen "$TU")"
assert_event "update several" "$e0" "type=updated ticket=$TU fields=priority,category"

V=$(hget "$TU" version)
assert_nochange "update IFVERSION mismatch" -c CONFLICT TICKET.UPDATE $D "$TU" subject x IFVERSION $((V - 1))
assert_nochange "update IFVERSION ahead" -c CONFLICT TICKET.UPDATE $D "$TU" subject x IFVERSION $((V + 1))
assert_nochange "update unknown field" -c INVALID TICKET.UPDATE $D "$TU" colour red
assert_nochange "update status field refused" -c INVALID TICKET.UPDATE $D "$TU" status closed
assert_nochange "update assigned_agent refused" -c INVALID TICKET.UPDATE $D "$TU" assigned_agent A201
assert_nochange "update good+unknown field" -c INVALID TICKET.UPDATE $D "$TU" subject ok colour red
assert_nochange "update priority 0" -c INVALID TICKET.UPDATE $D "$TU" priority 0
assert_nochange "update priority abc" -c INVALID TICKET.UPDATE $D "$TU" priority abc
assert_nochange "update unknown category" -c INVALID TICKET.UPDATE $D "$TU" category astrology
assert_nochange "update empty subject" -c INVALID TICKET.UPDATE $D "$TU" subject ""
assert_nochange "update long subject" -c INVALID TICKET.UPDATE $D "$TU" subject "${S1024}y"
assert_nochange "update sla_due_at -1" -c INVALID TICKET.UPDATE $D "$TU" sla_due_at -1
assert_nochange "update field without value" -c ERR TICKET.UPDATE $D "$TU" subject a body
assert_nochange "update only IFVERSION" -c ERR TICKET.UPDATE $D "$TU" IFVERSION "$V"
assert_nochange "update missing ticket" -c NOTFOUND TICKET.UPDATE $D 9999 subject x
assert_nochange "update bad IFVERSION" -c INVALID TICKET.UPDATE $D "$TU" subject x IFVERSION abc
r CONFIG SET helpdesk.max-text 100 >/dev/null
assert_nochange "update body over max-text" -c INVALID TICKET.UPDATE $D "$TU" body "${B100}b"
r CONFIG SET helpdesk.max-text 65536 >/dev/null
assert_eq "update IFVERSION match" $((V + 1)) "$(r TICKET.UPDATE $D "$TU" subject "v-checked" IFVERSION "$V")"

# Assigned ticket: re-scored in the active queues, never put in a routing queue.
TA=$(r TICKET.CREATE $D "assigned update" CATEGORY billing)
assert_ok "assign for update test" TICKET.ASSIGN $D "$TA" A201
r TICKET.UPDATE $D "$TA" priority 10 category technical >/dev/null
assert_eq "assigned: priority re-scored" 10 "$(zscore $D:queue:priority "$TA")"
assert_eq "assigned: not in old routing queue" "" "$(zscore $D:queue:unassigned:billing "$TA")"
assert_eq "assigned: not in new routing queue" "" "$(zscore $D:queue:unassigned:technical "$TA")"
assert_eq "assigned: still assigned" A201 "$(hget "$TA" assigned_agent)"

# Closed ticket: fields change, queues stay empty.
TC=$(r TICKET.CREATE $D "closed update" CATEGORY billing)
assert_ok "close for update test" TICKET.CLOSE $D "$TC"
c0=$(stat category:billing)
r TICKET.UPDATE $D "$TC" priority 20 category technical sla_due_at $FUTURE >/dev/null
assert_eq "closed: priority stored" 20 "$(hget "$TC" priority)"
assert_eq "closed: not back in queue:priority" "" "$(zscore $D:queue:priority "$TC")"
assert_eq "closed: not back in queue:sla" "" "$(zscore $D:queue:sla "$TC")"
assert_eq "closed: no routing queue" "" "$(zscore $D:queue:unassigned:technical "$TC")"
assert_eq "closed: stats category moved" $((c0 - 1)) "$(stat category:billing)"

# ==== TICKET.STATUS =======================================================
section status; ticket_fixtures

# Every move of the SPEC table among the active statuses.
for from in open in_progress on_hold; do
    for to in open in_progress on_hold; do
        tid=$(new_in $from)
        if [ $from = $to ]; then
            assert_nochange "status $from -> $to refused" -c STATE TICKET.STATUS $D "$tid" $to
            continue
        fi
        sf=$(stat status:$from); st=$(stat status:$to); v=$(hget "$tid" version); e0=$(evlen)
        assert_ok "status $from -> $to" TICKET.STATUS $D "$tid" $to
        assert_eq "status $from -> $to stored" $to "$(hget "$tid" status)"
        assert_eq "status $from -> $to version" $((v + 1)) "$(hget "$tid" version)"
        assert_eq "status $from -> $to stats from" $((sf - 1)) "$(stat status:$from)"
        assert_eq "status $from -> $to stats to" $((st + 1)) "$(stat status:$to)"
        assert_eq "status $from -> $to log" "status $from -> $to" "$(log_last "$tid")"
        assert_event "status $from -> $to" "$e0" "type=status ticket=$tid from=$from to=$to"
        assert_eq "status $from -> $to still queued" "$(rscore 5 "$tid")" \
            "$(zscore $D:queue:unassigned:general "$tid")"
    done
    tid=$(new_in $from)
    sf=$(stat status:$from); sc=$(stat status:closed); e0=$(evlen)
    assert_ok "status $from -> closed" TICKET.STATUS $D "$tid" closed
    assert_eq "status $from -> closed stored" closed "$(hget "$tid" status)"
    assert_eq "status $from -> closed stats" "$((sf - 1)) $((sc + 1))" \
        "$(stat status:$from) $(stat status:closed)"
    assert_eq "status $from -> closed: out of queues" "" \
        "$(zscore $D:queue:priority "$tid")$(zscore $D:queue:sla "$tid")$(zscore $D:queue:unassigned:general "$tid")"
    assert_event "status $from -> closed" "$e0" "type=closed ticket=$tid from=$from"
    # From closed only TICKET.REOPEN leads out.
    for to in open in_progress on_hold closed; do
        assert_nochange "status closed -> $to refused" -c STATE TICKET.STATUS $D "$tid" $to
    done
done

tid=$(new_in open)
assert_nochange "status -> merged refused" -c STATE TICKET.STATUS $D "$tid" merged
assert_nochange "status bogus" -c INVALID TICKET.STATUS $D "$tid" bogus
assert_nochange "status missing ticket" -c NOTFOUND TICKET.STATUS $D 9999 open
assert_nochange "status dangling option" -c ERR TICKET.STATUS $D "$tid" on_hold NOTE
assert_nochange "status unknown option" -c ERR TICKET.STATUS $D "$tid" on_hold WHY because
assert_nochange "status empty note" -c INVALID TICKET.STATUS $D "$tid" on_hold NOTE ""
assert_ok "status upper-case value" TICKET.STATUS $D "$tid" IN_PROGRESS
assert_eq "status upper-case stored lower" in_progress "$(hget "$tid" status)"

# NOTE and IFVERSION.
v=$(hget "$tid" version)
assert_nochange "status IFVERSION mismatch" -c CONFLICT TICKET.STATUS $D "$tid" on_hold IFVERSION $((v - 1))
n0=$(loglen "$tid")
assert_ok "status with NOTE and IFVERSION" TICKET.STATUS $D "$tid" on_hold NOTE "waiting for the customer" IFVERSION "$v"
assert_eq "status NOTE logged after the move" "status in_progress -> on_hold|note: waiting for the customer" \
    "$(r LRANGE $D:ticket:$tid:log -2 -1 | sed 's/^[0-9]*: //' | paste -sd'|')"
assert_eq "status NOTE: two log entries" $((n0 + 2)) "$(loglen "$tid")"
# STATUS closed behaves as TICKET.CLOSE; its NOTE is the resolution.
assert_ok "status closed with NOTE" TICKET.STATUS $D "$tid" closed NOTE "solved by phone"
assert_eq "status closed: resolution from NOTE" "solved by phone" "$(hget "$tid" resolution)"
assert_eq "status closed: closed_at" "$(hget "$tid" updated_at)" "$(hget "$tid" closed_at)"
assert_eq "status closed: log" "closed: solved by phone" "$(log_last "$tid")"

# merged only closes.
TM=$(r TICKET.CREATE $D "master incident" CATEGORY general)
TG=$(r TICKET.CREATE $D "merged child" CATEGORY general)
assert_ok "merge a ticket" TICKET.MERGE $D "$TG" INTO "$TM"
assert_eq "merged: status and master" "merged $TM" "$(hget "$TG" status) $(hget "$TG" master)"
assert_eq "merged: out of the queues" "" \
    "$(zscore $D:queue:priority "$TG")$(zscore $D:queue:sla "$TG")$(zscore $D:queue:unassigned:general "$TG")"
for to in open in_progress on_hold; do
    assert_nochange "status merged -> $to refused" -c STATE TICKET.STATUS $D "$TG" $to
done
assert_nochange "assign merged refused" -c STATE TICKET.ASSIGN $D "$TG" A201
assert_nochange "reopen merged refused" -c STATE TICKET.REOPEN $D "$TG"
sm=$(stat status:merged); sc=$(stat status:closed)
assert_ok "status merged -> closed" TICKET.STATUS $D "$TG" closed
assert_eq "merged -> closed stats" "$((sm - 1)) $((sc + 1))" "$(stat status:merged) $(stat status:closed)"
assert_eq "merged -> closed: not queued again" "" "$(zscore $D:queue:priority "$TG")"

# ==== TICKET.ASSIGN / UNASSIGN ============================================
section assign; ticket_fixtures

TB1=$(r TICKET.CREATE $D "invoice wrong" CATEGORY billing PRIORITY 10)
e0=$(evlen); v=$(hget "$TB1" version)
assert_ok "assign to A202" TICKET.ASSIGN $D "$TB1" A202
assert_eq "assigned_agent" A202 "$(hget "$TB1" assigned_agent)"
assert_eq "in A202's set" 1 "$(inset A202 "$TB1")"
assert_eq "A202 load 1" 1 "$(aget A202 load)"
assert_eq "A202 assigned_total 1" 1 "$(aget A202 assigned_total)"
assert_eq "assign bumps version" $((v + 1)) "$(hget "$TB1" version)"
assert_eq "out of the routing queue" "" "$(zscore $D:queue:unassigned:billing "$TB1")"
assert_eq "still in queue:priority" 10 "$(zscore $D:queue:priority "$TB1")"
assert_eq "status stays open" open "$(hget "$TB1" status)"
assert_eq "assign logged" "assigned to A202" "$(log_last "$TB1")"
assert_event "assign" "$e0" "type=assigned ticket=$TB1 agent=A202 from= reason=manual"

e0=$(evlen)
assert_ok "reassign A202 -> A201" TICKET.ASSIGN $D "$TB1" A201
assert_eq "reassign: assigned_agent" A201 "$(hget "$TB1" assigned_agent)"
assert_eq "reassign: off A202's set" 0 "$(inset A202 "$TB1")"
assert_eq "reassign: in A201's set" 1 "$(inset A201 "$TB1")"
assert_eq "reassign: A202 load back to 0" 0 "$(aget A202 load)"
assert_eq "reassign: A201 load" "$(r SCARD $D:agent:A201:open_tickets)" "$(aget A201 load)"
assert_eq "reassign: not queued" "" "$(zscore $D:queue:unassigned:billing "$TB1")"
assert_eq "reassign logged" "reassigned from A202 to A201" "$(log_last "$TB1")"
assert_event "reassign" "$e0" "type=assigned ticket=$TB1 agent=A201 from=A202 reason=manual"
before=$(dbdigest)
assert_ok "assign to the same agent again" TICKET.ASSIGN $D "$TB1" A201
assert_eq "assign to the same agent changes nothing" "$before" "$(dbdigest)"

# CAPACITY, UNAVAILABLE and skill mismatch; FORCE overrides each.
TL1=$(r TICKET.CREATE $D "contract question" CATEGORY legal)
TL2=$(r TICKET.CREATE $D "another contract" CATEGORY legal)
assert_ok "assign legal to A203" TICKET.ASSIGN $D "$TL1" A203
assert_nochange "assign over capacity" -c CAPACITY TICKET.ASSIGN $D "$TL2" A203
e0=$(evlen)
assert_ok "assign over capacity with FORCE" TICKET.ASSIGN $D "$TL2" A203 FORCE
assert_eq "FORCE: load above capacity" 2 "$(aget A203 load)"
assert_event "forced assign" "$e0" "type=assigned ticket=$TL2 agent=A203 from= reason=forced"

TB2=$(r TICKET.CREATE $D "billing for away agent" CATEGORY billing)
assert_ok "A202 away" AGENT.AVAILABILITY $D A202 away
assert_nochange "assign to away agent" -c UNAVAILABLE TICKET.ASSIGN $D "$TB2" A202
assert_ok "A202 offline" AGENT.AVAILABILITY $D A202 offline
assert_nochange "assign to offline agent" -c UNAVAILABLE TICKET.ASSIGN $D "$TB2" A202
assert_ok "assign to offline agent with FORCE" TICKET.ASSIGN $D "$TB2" A202 FORCE
assert_eq "FORCE offline: assigned" A202 "$(hget "$TB2" assigned_agent)"
assert_ok "A202 online" AGENT.AVAILABILITY $D A202 online

TT1=$(r TICKET.CREATE $D "server down" CATEGORY technical)
assert_nochange "assign skill mismatch" -c INVALID TICKET.ASSIGN $D "$TT1" A202
assert_ok "assign skill mismatch with FORCE" TICKET.ASSIGN $D "$TT1" A202 FORCE
assert_eq "FORCE skill: assigned" A202 "$(hget "$TT1" assigned_agent)"
TG1=$(r TICKET.CREATE $D "general question" CATEGORY general)
assert_ok "general matches any agent" TICKET.ASSIGN $D "$TG1" A204
TG2=$(r TICKET.CREATE $D "general question 2" CATEGORY general)
assert_nochange "assign unknown agent" -c NOTFOUND TICKET.ASSIGN $D "$TG2" A999
assert_nochange "assign malformed agent id" -c NOTFOUND TICKET.ASSIGN $D "$TG2" "bad id"
assert_nochange "assign missing ticket" -c NOTFOUND TICKET.ASSIGN $D 9999 A204
assert_nochange "assign bad option" -c ERR TICKET.ASSIGN $D "$TG2" A204 NOW
TX=$(r TICKET.CREATE $D "closed assign")
r TICKET.CLOSE $D "$TX" >/dev/null
assert_nochange "assign closed ticket" -c STATE TICKET.ASSIGN $D "$TX" A204
assert_nochange "assign closed ticket FORCE" -c STATE TICKET.ASSIGN $D "$TX" A204 FORCE
r RENAME $D:agent:A204:open_tickets tmpset >/dev/null
r SET $D:agent:A204:open_tickets x >/dev/null
assert_nochange "assign: agent set of wrong type" -c INVALID TICKET.ASSIGN $D "$TG2" A204
r DEL $D:agent:A204:open_tickets >/dev/null; r RENAME tmpset $D:agent:A204:open_tickets >/dev/null

# UNASSIGN: back to the routing queue; in_progress goes back to open.
e0=$(evlen); l0=$(aget A201 load)
assert_ok "unassign" TICKET.UNASSIGN $D "$TB1"
assert_eq "unassign: no assigned_agent" 0 "$(hexists "$TB1" assigned_agent)"
assert_eq "unassign: off the set" 0 "$(inset A201 "$TB1")"
assert_eq "unassign: load -1" $((l0 - 1)) "$(aget A201 load)"
assert_eq "unassign: routing queue" "$(rscore 10 "$TB1")" "$(zscore $D:queue:unassigned:billing "$TB1")"
assert_eq "unassign: status open" open "$(hget "$TB1" status)"
assert_eq "unassign logged" "unassigned from A201 (manual)" "$(log_last "$TB1")"
assert_event "unassign" "$e0" "type=unassigned ticket=$TB1 agent=A201 reason=manual"
assert_nochange "unassign an unassigned ticket" -c STATE TICKET.UNASSIGN $D "$TB1"
assert_nochange "unassign missing ticket" -c NOTFOUND TICKET.UNASSIGN $D 9999

TP=$(r TICKET.CREATE $D "in progress unassign" CATEGORY billing)
r TICKET.ASSIGN $D "$TP" A201 >/dev/null
r TICKET.STATUS $D "$TP" in_progress >/dev/null
sp=$(stat status:in_progress); so=$(stat status:open)
assert_ok "unassign in_progress" TICKET.UNASSIGN $D "$TP"
assert_eq "unassign in_progress -> open" open "$(hget "$TP" status)"
assert_eq "unassign in_progress: stats" "$((sp - 1)) $((so + 1))" "$(stat status:in_progress) $(stat status:open)"
assert_eq "unassign in_progress: log" "status in_progress -> open|unassigned from A201 (manual)" \
    "$(r LRANGE $D:ticket:$TP:log -2 -1 | sed 's/^[0-9]*: //' | paste -sd'|')"
TH=$(r TICKET.CREATE $D "on hold unassign" CATEGORY billing PRIORITY 5)
r TICKET.ASSIGN $D "$TH" A201 >/dev/null
r TICKET.STATUS $D "$TH" on_hold >/dev/null
assert_ok "unassign on_hold" TICKET.UNASSIGN $D "$TH"
assert_eq "unassign on_hold stays on_hold" on_hold "$(hget "$TH" status)"
assert_eq "unassign on_hold: queued" "$(rscore 5 "$TH")" "$(zscore $D:queue:unassigned:billing "$TH")"

# ==== TICKET.CLOSE / REOPEN ===============================================
section close; ticket_fixtures

TK=$(r TICKET.CREATE $D "close me" CATEGORY billing PRIORITY 20)
r TICKET.ASSIGN $D "$TK" A201 >/dev/null
r TICKET.STATUS $D "$TK" in_progress >/dev/null
l0=$(aget A201 load); sp=$(stat status:in_progress); sc=$(stat status:closed); e0=$(evlen)
closed0=$(info_field helpdesk helpdesk_tickets_closed)
assert_ok "close assigned in_progress ticket" TICKET.CLOSE $D "$TK" RESOLUTION "replaced toner"
assert_eq "close: status" closed "$(hget "$TK" status)"
assert_eq "close: closed_at = updated_at" "$(hget "$TK" updated_at)" "$(hget "$TK" closed_at)"
assert_eq "close: resolution" "replaced toner" "$(hget "$TK" resolution)"
assert_eq "close: resolved_by" A201 "$(hget "$TK" resolved_by)"
assert_eq "close: assigned_agent cleared" 0 "$(hexists "$TK" assigned_agent)"
assert_eq "close: off the agent's set" 0 "$(inset A201 "$TK")"
assert_eq "close: load -1" $((l0 - 1)) "$(aget A201 load)"
assert_eq "close: out of queue:priority" "" "$(zscore $D:queue:priority "$TK")"
assert_eq "close: out of queue:sla" "" "$(zscore $D:queue:sla "$TK")"
assert_eq "close: not in a routing queue" "" "$(zscore $D:queue:unassigned:billing "$TK")"
assert_eq "close: stats" "$((sp - 1)) $((sc + 1))" "$(stat status:in_progress) $(stat status:closed)"
assert_eq "close: log" "closed: replaced toner" "$(log_last "$TK")"
assert_event "close" "$e0" "type=closed ticket=$TK from=in_progress"
assert_eq "close: INFO tickets_closed" $((closed0 + 1)) "$(info_field helpdesk helpdesk_tickets_closed)"
assert_match "close: TICKET.GET shows extra fields" '*"resolution":"replaced toner"*' "$(rj TICKET.GET $D "$TK")"
assert_nochange "close a closed ticket" -c STATE TICKET.CLOSE $D "$TK"
assert_nochange "close missing ticket" -c NOTFOUND TICKET.CLOSE $D 9999
TK2=$(r TICKET.CREATE $D "close unassigned" CATEGORY billing)
assert_nochange "close bad option" -c ERR TICKET.CLOSE $D "$TK2" REASON x
assert_nochange "close RESOLUTION without text" -c ERR TICKET.CLOSE $D "$TK2" RESOLUTION
r CONFIG SET helpdesk.max-text 100 >/dev/null
assert_nochange "close resolution over max-text" -c INVALID TICKET.CLOSE $D "$TK2" RESOLUTION "${B100}b"
r CONFIG SET helpdesk.max-text 65536 >/dev/null
assert_ok "close unassigned ticket" TICKET.CLOSE $D "$TK2"
assert_eq "close unassigned: out of routing queue" "" "$(zscore $D:queue:unassigned:billing "$TK2")"
assert_eq "close unassigned: no resolved_by" 0 "$(hexists "$TK2" resolved_by)"
assert_eq "close without resolution: log" closed "$(log_last "$TK2")"

so=$(stat status:open); sc=$(stat status:closed); e0=$(evlen)
assert_ok "reopen" TICKET.REOPEN $D "$TK"
assert_eq "reopen: open" open "$(hget "$TK" status)"
assert_eq "reopen: closed_at gone" 0 "$(hexists "$TK" closed_at)"
assert_eq "reopen: unassigned" 0 "$(hexists "$TK" assigned_agent)"
assert_eq "reopen: fresh SLA from now (priority 20)" $(( $(hget "$TK" updated_at) + 3600000 )) "$(hget "$TK" sla_due_at)"
assert_eq "reopen: queue:priority" 20 "$(zscore $D:queue:priority "$TK")"
assert_eq "reopen: queue:sla" "$(hget "$TK" sla_due_at)" "$(zscore $D:queue:sla "$TK")"
assert_eq "reopen: routing queue" "$(rscore 20 "$TK")" "$(zscore $D:queue:unassigned:billing "$TK")"
assert_eq "reopen: stats" "$((so + 1)) $((sc - 1))" "$(stat status:open) $(stat status:closed)"
assert_eq "reopen: log" reopened "$(log_last "$TK")"
assert_event "reopen" "$e0" "type=reopened ticket=$TK"
assert_nochange "reopen an open ticket" -c STATE TICKET.REOPEN $D "$TK"
r TICKET.STATUS $D "$TK" in_progress >/dev/null
assert_nochange "reopen an in_progress ticket" -c STATE TICKET.REOPEN $D "$TK"
r TICKET.STATUS $D "$TK" on_hold >/dev/null
assert_nochange "reopen an on_hold ticket" -c STATE TICKET.REOPEN $D "$TK"
assert_nochange "reopen missing ticket" -c NOTFOUND TICKET.REOPEN $D 9999

# ==== TICKET.DEL ==========================================================
section del; ticket_fixtures

TD=$(r TICKET.CREATE $D "delete me" CUSTOMER "$UID1" CATEGORY billing)
r TICKET.ASSIGN $D "$TD" A201 >/dev/null
r XADD $D:ticket:$TD:chat '*' sender ann text hi >/dev/null
r HSET $D:ticket:$TD:state facts '{}' >/dev/null
l0=$(aget A201 load); so=$(stat status:open); sb=$(stat category:billing); e0=$(evlen)
assert_eq "del returns 1" 1 "$(r TICKET.DEL $D "$TD")"
assert_eq "del: hash, log, chat, state gone" 0 \
    "$(r EXISTS $D:ticket:$TD $D:ticket:$TD:log $D:ticket:$TD:chat $D:ticket:$TD:state)"
assert_eq "del: out of queues" "" \
    "$(zscore $D:queue:priority "$TD")$(zscore $D:queue:sla "$TD")$(zscore $D:queue:unassigned:billing "$TD")"
assert_eq "del: off the customer's set" 0 "$(r SISMEMBER $D:user:$UID1:tickets ticket:$TD)"
assert_eq "del: off the agent's set" 0 "$(inset A201 "$TD")"
assert_eq "del: load adjusted" $((l0 - 1)) "$(aget A201 load)"
assert_eq "del: stats" "$((so - 1)) $((sb - 1))" "$(stat status:open) $(stat category:billing)"
assert_event "del" "$e0" "type=deleted ticket=$TD"
assert_eq "del again returns 0" 0 "$(r TICKET.DEL $D "$TD")"
assert_eq "del missing returns 0" 0 "$(r TICKET.DEL $D 9999)"
assert_nochange "del bad id" -c INVALID TICKET.DEL $D abc
TD2=$(r TICKET.CREATE $D "delete unassigned" CATEGORY general)
assert_eq "del unassigned ticket" 1 "$(r TICKET.DEL $D "$TD2")"
assert_eq "del unassigned: out of routing queue" "" "$(zscore $D:queue:unassigned:general "$TD2")"
TD3=$(r TICKET.CREATE $D "delete closed" CATEGORY billing)
r TICKET.CLOSE $D "$TD3" >/dev/null
sc=$(stat status:closed)
assert_eq "del closed ticket" 1 "$(r TICKET.DEL $D "$TD3")"
assert_eq "del closed: stats" $((sc - 1)) "$(stat status:closed)"

# ==== TICKET.LOG / NOTE ===================================================
section log; ticket_fixtures

TN=$(r TICKET.CREATE $D "log me" PRIORITY 5 CATEGORY general)
r TICKET.STATUS $D "$TN" in_progress >/dev/null
r TICKET.STATUS $D "$TN" on_hold >/dev/null
e0=$(evlen)
assert_ok "note" TICKET.NOTE $D "$TN" "called the customer"
assert_event "note" "$e0" "type=note ticket=$TN text=called the customer"
assert_eq "log: all entries oldest first" \
    "created (priority 5, category general)|status open -> in_progress|status in_progress -> on_hold|note: called the customer" \
    "$(r TICKET.LOG $D "$TN" | sed 's/^[0-9]*: //' | paste -sd'|')"
assert_eq "log COUNT 2: newest two, oldest first" "status in_progress -> on_hold|note: called the customer" \
    "$(r TICKET.LOG $D "$TN" COUNT 2 | sed 's/^[0-9]*: //' | paste -sd'|')"
assert_eq "log COUNT larger than the log" 4 "$(r TICKET.LOG $D "$TN" COUNT 100 | wc -l)"
assert_match "log entries carry the ms" '[0-9]*: created*' "$(r TICKET.LOG $D "$TN" COUNT 100 | head -n 1)"
assert_err "log COUNT 0" INVALID TICKET.LOG $D "$TN" COUNT 0
assert_err "log COUNT abc" INVALID TICKET.LOG $D "$TN" COUNT abc
assert_err "log bad option" ERR TICKET.LOG $D "$TN" LIMIT 2
assert_err "log missing ticket" NOTFOUND TICKET.LOG $D 9999
assert_nochange "note empty" -c INVALID TICKET.NOTE $D "$TN" ""
r CONFIG SET helpdesk.max-text 100 >/dev/null
assert_nochange "note over max-text" -c INVALID TICKET.NOTE $D "$TN" "${B100}b"
r CONFIG SET helpdesk.max-text 65536 >/dev/null
assert_nochange "note missing ticket" -c NOTFOUND TICKET.NOTE $D 9999 hello
r RENAME $D:ticket:$TN:log tmplog >/dev/null; r SET $D:ticket:$TN:log x >/dev/null
assert_nochange "note: log of wrong type" -c INVALID TICKET.NOTE $D "$TN" hello
assert_err "log: log of wrong type" INVALID TICKET.LOG $D "$TN"
r DEL $D:ticket:$TN:log >/dev/null; r RENAME tmplog $D:ticket:$TN:log >/dev/null

# ==== wrong-type keys on the other writers ================================
section wrongtype; ticket_fixtures

TW=$(r TICKET.CREATE $D "wrong types" CATEGORY billing)
wrongtype $D:queue:priority TICKET.UPDATE $D "$TW" priority 20
wrongtype $D:queue:unassigned:technical TICKET.UPDATE $D "$TW" category technical
wrongtype $D:stats TICKET.STATUS $D "$TW" on_hold
wrongtype $D:events TICKET.ASSIGN $D "$TW" A201
wrongtype $D:queue:sla TICKET.CLOSE $D "$TW"
wrongtype $D:ticket:$TW:log TICKET.CLOSE $D "$TW"
wrongtype $D:ticket:$TW TICKET.CLOSE $D "$TW"
wrongtype $D:ticket:$TW TICKET.GET $D "$TW"
r TICKET.ASSIGN $D "$TW" A201 >/dev/null
wrongtype $D:queue:unassigned:billing TICKET.UNASSIGN $D "$TW"
wrongtype $D:agent:A201 TICKET.CLOSE $D "$TW"
wrongtype $D:stats TICKET.DEL $D "$TW"
r TICKET.CLOSE $D "$TW" >/dev/null
wrongtype $D:queue:unassigned:billing TICKET.REOPEN $D "$TW"
wrongtype $D:queue:priority TICKET.PEEK $D
wrongtype $D:stats TICKET.COUNTS $D
wrongtype $D:queue:sla TICKET.OVERDUE $D

assert_eq "DESK.CHECK wrongtype is empty" "[]" "$(rj DESK.CHECK $D)"

# ==== PEEK / COUNTS (own desk, known content) =============================

section p
quiet_desk $D
r AGENT.CREATE $D P1 "Pat" SKILLS technical >/dev/null
r TICKET.CREATE $D "p one" PRIORITY 5 CATEGORY general >/dev/null                         # 1 general
r TICKET.CREATE $D "p two" PRIORITY 20 CATEGORY billing >/dev/null        # 2
r TICKET.CREATE $D "p three" PRIORITY 5 CATEGORY billing >/dev/null       # 3
r TICKET.CREATE $D "p four" PRIORITY 10 CATEGORY technical >/dev/null     # 4
r TICKET.CREATE $D "p five" PRIORITY 20 CATEGORY general >/dev/null                      # 5 general
r TICKET.CREATE $D "p six" PRIORITY 20 CATEGORY general >/dev/null                      # 6 general
r TICKET.ASSIGN $D 4 P1 >/dev/null
r TICKET.CLOSE $D 6 >/dev/null
before=$(dbdigest)
assert_eq "peek: all active by priority (ties reverse member order)" "5 2 4 3 1" "$(ids_of TICKET.PEEK $D)"
assert_eq "peek COUNT 2" "5 2" "$(ids_of TICKET.PEEK $D COUNT 2)"
assert_eq "peek CATEGORY billing: routing order" "2 3" "$(ids_of TICKET.PEEK $D CATEGORY billing)"
assert_eq "peek CATEGORY technical: assigned not listed" "" "$(ids_of TICKET.PEEK $D CATEGORY technical)"
assert_eq "peek UNASSIGNED: routing order" "2 5 1 3" "$(ids_of TICKET.PEEK $D UNASSIGNED)"
assert_eq "peek UNASSIGNED COUNT 3" "2 5 1" "$(ids_of TICKET.PEEK $D UNASSIGNED COUNT 3)"
assert_eq "peek CATEGORY COUNT 1" "2" "$(ids_of TICKET.PEEK $D COUNT 1 CATEGORY BILLING)"
assert_eq "peek entry fields" "id 4|priority 10|subject p four|status open|category technical|assigned_agent P1" \
    "$(r -3 TICKET.PEEK $D COUNT 3 | sed -n '13,18p' | paste -sd'|')"
assert_eq "peek unassigned entry: nil agent" '{"id":5,"priority":20,"subject":"p five","status":"open","category":"general","assigned_agent":null}' \
    "$(rj TICKET.PEEK $D COUNT 1 | tr -d '[]')"
assert_eq "peek empty desk" "[]" "$(rj TICKET.PEEK empty)"
assert_eq "peek changes nothing" "$before" "$(dbdigest)"
assert_err "peek COUNT 0" INVALID TICKET.PEEK $D COUNT 0
assert_err "peek unknown category" INVALID TICKET.PEEK $D CATEGORY astrology
assert_err "peek bad option" ERR TICKET.PEEK $D LIMIT 1
r TICKET.STATUS $D 3 on_hold >/dev/null
r TICKET.STATUS $D 4 in_progress >/dev/null
assert_eq "counts" "open 3|in_progress 1|on_hold 1|closed 1|merged 0" "$(r -3 TICKET.COUNTS $D | paste -sd'|')"
assert_eq "counts empty desk" "open 0|in_progress 0|on_hold 0|closed 0|merged 0" "$(r -3 TICKET.COUNTS empty | paste -sd'|')"
assert_eq "DESK.CHECK p is empty" "[]" "$(rj DESK.CHECK $D)"

# ==== OVERDUE (own desk; past due set by hand, no waiting) ================

section o
quiet_desk $D
r TICKET.CREATE $D "o one" SLA 1 >/dev/null            # 1
r TICKET.CREATE $D "o two" SLA 1 >/dev/null            # 2
r TICKET.CREATE $D "o three" >/dev/null                # 3: a day left
r TICKET.CREATE $D "o four" SLA 1 >/dev/null           # 4: closed
r TICKET.UPDATE $D 1 sla_due_at 1000 >/dev/null
r TICKET.UPDATE $D 2 sla_due_at 500 >/dev/null
r TICKET.UPDATE $D 4 sla_due_at 100 >/dev/null
r TICKET.CLOSE $D 4 >/dev/null
assert_eq "overdue: most overdue first, closed and on-time left out" "2 1" "$(ids_of TICKET.OVERDUE $D)"
assert_eq "overdue COUNT 1" "2" "$(ids_of TICKET.OVERDUE $D COUNT 1)"
od=$(r -3 TICKET.OVERDUE $D COUNT 1)
assert_eq "overdue entry sla_due_at" "sla_due_at 500" "$(grep '^sla_due_at ' <<<"$od")"
assert_match "overdue entry overdue_ms" 'overdue_ms [1-9][0-9]*' "$(grep '^overdue_ms ' <<<"$od")"
assert_eq "overdue empty desk" "[]" "$(rj TICKET.OVERDUE empty)"
assert_err "overdue COUNT 0" INVALID TICKET.OVERDUE $D COUNT 0
assert_err "overdue bad option" ERR TICKET.OVERDUE $D SINCE 1
assert_eq "DESK.CHECK o is empty" "[]" "$(rj DESK.CHECK $D)"

# ==== events-maxlen 0 turns the stream off ===============================

section ne
quiet_desk $D
r DESK.CONFIG SET $D events-maxlen 0 >/dev/null
r AGENT.CREATE $D N1 "Ned" >/dev/null
tid=$(r TICKET.CREATE $D "no events" CATEGORY general)
r TICKET.ASSIGN $D "$tid" N1 >/dev/null
r TICKET.NOTE $D "$tid" "quiet" >/dev/null
r TICKET.CLOSE $D "$tid" >/dev/null
assert_eq "events-maxlen 0: no stream" 0 "$(r EXISTS $D:events)"
assert_eq "events-maxlen 0: the log still records" 4 "$(loglen "$tid")"

# ==== WATCH sees the module's writes, not its checks =====================
# Hot commands open each key once, read-write, before they know whether they
# will write; only what they do write may touch a client's WATCH.

section watch
W=watchdesk
quiet_desk $W
r AGENT.CREATE $W W1 "Wanda" SKILLS general >/dev/null
wt=$(r TICKET.CREATE $W "watched" CATEGORY general)
# watch_exec KEYS CMD...: WATCH KEYS, run CMD on the same connection, then
# MULTI PING EXEC; prints EXEC's reply (PONG, or nothing when aborted).
watch_exec() {
    local keys=$1; shift
    { echo "WATCH $keys"; echo "$*"; echo MULTI; echo PING; echo EXEC; } |
        redis-cli -p "$PORT" | tail -n 1
}
wkeys="$W:stats $W:queue:priority $W:queue:sla $W:sla:timer $W:ticket:$wt $W:agent:W1 $W:seq:tickets"
r SET $W:events "not a stream" >/dev/null
before=$(dbdigest)
assert_match "watch: CREATE fails on a wrong-typed key" "INVALID*" "$(r TICKET.CREATE $W "fails" CATEGORY general)"
assert_eq "watch: the failing CREATE changed nothing" "$before" "$(dbdigest)"
assert_eq "watch: a failing CREATE leaves WATCH alone" PONG "$(watch_exec "$wkeys" TICKET.CREATE $W fails CATEGORY general)"
assert_eq "watch: a failing CLOSE leaves WATCH alone" PONG "$(watch_exec "$wkeys" TICKET.CLOSE $W "$wt")"
assert_eq "watch: a failing CLAIM of an unknown agent leaves WATCH alone" PONG "$(watch_exec "$wkeys" TICKET.CLAIM $W nobody)"
r DEL $W:events >/dev/null
assert_eq "watch: a CREATE that writes aborts the EXEC" "" "$(watch_exec "$W:queue:priority" TICKET.CREATE $W works CATEGORY general)"
assert_eq "watch: a CLAIM that writes aborts the EXEC" "" "$(watch_exec "$W:agent:W1" TICKET.CLAIM $W W1)"
assert_eq "watch: a CLOSE that writes aborts the EXEC" "" "$(watch_exec "$W:ticket:$wt" TICKET.CLOSE $W "$wt")"
assert_eq "watch: DESK.CHECK clean" "[]" "$(rj DESK.CHECK $W)"

section consistency
for d in $LIFE_DESKS; do check_desk "$d"; done
finish
