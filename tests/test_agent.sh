#!/usr/bin/env bash
# AGENT.* commands: create, get, skills, availability (with RELEASE), tickets,
# list (SKILL filter, load order), del (tickets back to the routing queues);
# validation, wrong key types, and "a failing command changes nothing".
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server

rep() { printf "%${2}s" '' | tr ' ' "$1"; }
# Field of a ticket hash.
tf() { r HGET "$D:ticket:$1" "$2"; }
# Routing score TICKET.CREATE gives: (1000 - priority) * 2^40 + tid.
rscore() { echo $(( (1000 - $1) * (1 << 40) + $2 )); }
# The last N log entries of a ticket without their "<ms>: " prefix.
logtail() { r LRANGE "$D:ticket:$1:log" "-$2" -1 | sed -E 's/^[0-9]+: //'; }
# The last event of the desk as "f=v f=v ..." without the at field.
lastevent() {
    r XREVRANGE "$D:events" + - COUNT 1 | tail -n +2 | paste -d= - - |
        grep -v '^at=' | paste -sd' '
}

# agent_desk NAME: a section on its own fresh desk NAME (D), remembered for
# the consistency check at the end.
AGENT_DESKS=
agent_desk() { section "$1"; AGENT_DESKS="$AGENT_DESKS $D"; }
# four_agents: the agents the create section makes (and checks): A1 Ann (no
# skills), A2 'Bo B' (billing, technical, capacity 3), A3 Cy (legal,
# capacity 0), A4 Di (billing, capacity 4).
four_agents() {
    r AGENT.CREATE $D A1 Ann >/dev/null
    r AGENT.CREATE $D A2 'Bo B' CAPACITY 3 SKILLS technical billing EMAIL bo@example.com >/dev/null
    r AGENT.CREATE $D A3 Cy SKILLS legal CAPACITY 0 >/dev/null
    r AGENT.CREATE $D A4 Di SKILLS billing CAPACITY 4 >/dev/null
    assert_eq "$D: four agents" "A1 A2 A3 A4" "$(r SMEMBERS $D:agents | sort | paste -sd' ')"
}
# a2_three_tickets: A2 holds t1 (billing, open, priority 10), t2 (technical,
# in_progress, 20) and t3 (billing, on_hold, 1).
a2_three_tickets() {
    local t
    t1=$(r TICKET.CREATE $D "one" CATEGORY billing PRIORITY 10)
    t2=$(r TICKET.CREATE $D "two" CATEGORY technical PRIORITY 20)
    t3=$(r TICKET.CREATE $D "three" CATEGORY billing PRIORITY 1)
    for t in "$t1" "$t2" "$t3"; do r TICKET.ASSIGN $D "$t" A2 >/dev/null; done
    r TICKET.STATUS $D "$t2" in_progress >/dev/null
    r TICKET.STATUS $D "$t3" on_hold >/dev/null
}

# ---------------------------------------------------------------- CREATE
agent_desk create
assert_ok "CREATE with defaults" AGENT.CREATE $D A1 Ann
assert_eq "GET of a new agent: defaults (capacity 15, online, no skills)" \
    '{"id":"A1","name":"Ann","email":null,"load":0,"capacity":15,"availability":"online","assigned_total":0,"skills":[],"open_tickets":[]}' \
    "$(rj AGENT.GET $D A1)"
assert_ok "CREATE with every option, in any order and case" \
    AGENT.CREATE $D A2 'Bo B' capacity 3 SKILLS Technical BILLING technical email bo@example.com
assert_eq "GET: skills lower-cased, deduplicated, sorted; email; capacity" \
    '{"id":"A2","name":"Bo B","email":"bo@example.com","load":0,"capacity":3,"availability":"online","assigned_total":0,"skills":["billing","technical"],"open_tickets":[]}' \
    "$(rj AGENT.GET $D A2)"
assert_eq "the agent hash fields" "name Bo B email bo@example.com load 0 capacity 3 availability online assigned_total 0" \
    "$(r HGETALL $D:agent:A2 | paste -sd' ')"
assert_eq "the skills set" "billing technical" "$(r SMEMBERS $D:agent:A2:skills | sort | paste -sd' ')"
assert_eq "the inverse index D:skill:billing" A2 "$(r SMEMBERS $D:skill:billing)"
assert_eq "the inverse index D:skill:technical" A2 "$(r SMEMBERS $D:skill:technical)"
assert_eq "D:agents lists both" "A1 A2" "$(r SMEMBERS $D:agents | sort | paste -sd' ')"
assert_ok "SKILLS followed by CAPACITY ends the skill list" \
    AGENT.CREATE $D A3 Cy SKILLS legal CAPACITY 0
assert_eq "A3 has one skill and capacity 0" "legal 0" \
    "$(echo "$(r SMEMBERS $D:agent:A3:skills) $(r HGET $D:agent:A3 capacity)")"
assert_ok "DESK.CONFIG default-capacity 4" DESK.CONFIG SET $D default-capacity 4
assert_ok "CREATE after default-capacity changed" AGENT.CREATE $D A4 Di SKILLS billing
assert_eq "the default capacity comes from the desk setting" 4 "$(r HGET $D:agent:A4 capacity)"
assert_ok "agent ids may use [A-Za-z0-9_.@-]" AGENT.CREATE $D a.b_c-d@e Ed
assert_ok "a 64-byte agent id is fine" AGENT.CREATE $D "$(rep x 64)" Ex
assert_eq "GET of a missing agent is nil" null "$(rj AGENT.GET $D nobody)"

assert_nochange "CREATE of an existing agent fails EXISTS" -c EXISTS AGENT.CREATE $D A1 Again
assert_nochange "agent id with ':' fails INVALID" -c INVALID AGENT.CREATE $D a:b X
assert_nochange "agent id with a space fails INVALID" -c INVALID AGENT.CREATE $D 'a b' X
assert_nochange "65-byte agent id fails INVALID" -c INVALID AGENT.CREATE $D "$(rep x 65)" X
assert_nochange "empty agent id fails INVALID" -c INVALID AGENT.CREATE $D '' X
assert_nochange "empty name fails INVALID" -c INVALID AGENT.CREATE $D A9 ''
assert_nochange "257-byte name fails INVALID" -c INVALID AGENT.CREATE $D A9 "$(rep n 257)"
assert_nochange "invalid EMAIL fails INVALID" -c INVALID AGENT.CREATE $D A9 X EMAIL nope
assert_nochange "CAPACITY -1 fails INVALID" -c INVALID AGENT.CREATE $D A9 X CAPACITY -1
assert_nochange "CAPACITY 100001 fails INVALID" -c INVALID AGENT.CREATE $D A9 X CAPACITY 100001
assert_nochange "CAPACITY abc fails INVALID" -c INVALID AGENT.CREATE $D A9 X CAPACITY abc
assert_nochange "a skill with '!' fails INVALID" -c INVALID AGENT.CREATE $D A9 X SKILLS ok 'b@d!'
assert_nochange "a 33-byte skill fails INVALID" -c INVALID AGENT.CREATE $D A9 X SKILLS "$(rep s 33)"
assert_nochange "SKILLS without a skill fails ERR" -c ERR AGENT.CREATE $D A9 X SKILLS CAPACITY 2
assert_nochange "SKILLS at the end without a skill fails ERR" -c ERR AGENT.CREATE $D A9 X SKILLS
assert_nochange "SKILLS twice fails ERR" -c ERR AGENT.CREATE $D A9 X SKILLS a CAPACITY 1 SKILLS b
assert_nochange "EMAIL twice fails ERR" -c ERR AGENT.CREATE $D A9 X EMAIL a@b.cd EMAIL c@d.ef
assert_nochange "CAPACITY without a value fails ERR" -c ERR AGENT.CREATE $D A9 X CAPACITY
assert_nochange "an unknown option fails ERR" -c ERR AGENT.CREATE $D A9 X LEVEL 3
assert_nochange "CREATE without a name fails ERR" -c ERR AGENT.CREATE $D A9

# ---------------------------------------------------------------- SKILLS
agent_desk skills
four_agents
assert_eq "SKILLS ADD returns the skills after the change" "account billing legal" \
    "$(r AGENT.SKILLS $D A1 ADD Legal billing ACCOUNT legal | paste -sd' ')"
assert_eq "the inverse index got A1" "A1 A2 A4" "$(r SMEMBERS $D:skill:billing | sort | paste -sd' ')"
assert_eq "SKILLS REMOVE returns what is left (unknown skills ignored)" "account" \
    "$(r AGENT.SKILLS $D A1 remove LEGAL billing nothing | paste -sd' ')"
assert_eq "the inverse index lost A1" "A2 A4" "$(r SMEMBERS $D:skill:billing | sort | paste -sd' ')"
assert_eq "D:skill:legal keeps only A3" A3 "$(r SMEMBERS $D:skill:legal)"
assert_eq "SKILLS REMOVE of the last skill returns an empty array" '[]' \
    "$(rj AGENT.SKILLS $D A1 REMOVE account)"
assert_eq "an emptied inverse index is gone" 0 "$(r EXISTS $D:skill:account)"
assert_nochange "SKILLS of a missing agent fails NOTFOUND" -c NOTFOUND AGENT.SKILLS $D nobody ADD x
assert_nochange "SKILLS with a bad operation fails ERR" -c ERR AGENT.SKILLS $D A1 SET x
assert_nochange "SKILLS with an invalid skill fails INVALID" -c INVALID AGENT.SKILLS $D A1 ADD ok 'no way'
assert_nochange "SKILLS with a bad agent id fails INVALID" -c INVALID AGENT.SKILLS $D 'x:y' ADD x
assert_nochange "SKILLS without a skill fails ERR" -c ERR AGENT.SKILLS $D A1 ADD

# ---------------------------------------------------------------- AVAILABILITY
agent_desk availability
four_agents
assert_ok "AVAILABILITY away" AGENT.AVAILABILITY $D A1 away
assert_eq "availability stored" away "$(r HGET $D:agent:A1 availability)"
assert_ok "AVAILABILITY OFFLINE (case ignored)" AGENT.AVAILABILITY $D A1 OFFLINE
assert_eq "stored lower-case" offline "$(r HGET $D:agent:A1 availability)"
before=$(dbdigest)
assert_ok "AVAILABILITY to the current value" AGENT.AVAILABILITY $D A1 offline
assert_eq "setting the current value writes nothing" "$before" "$(dbdigest)"
assert_ok "AVAILABILITY online" AGENT.AVAILABILITY $D A1 Online
assert_eq "GET shows online" online "$(r HGET $D:agent:A1 availability)"
assert_nochange "AVAILABILITY busy fails INVALID" -c INVALID AGENT.AVAILABILITY $D A1 busy
assert_nochange "AVAILABILITY of a missing agent fails NOTFOUND" -c NOTFOUND \
    AGENT.AVAILABILITY $D nobody away
assert_nochange "AVAILABILITY with an unknown option fails ERR" -c ERR \
    AGENT.AVAILABILITY $D A1 away NOW
assert_nochange "AVAILABILITY with two options fails ERR" -c ERR \
    AGENT.AVAILABILITY $D A1 away RELEASE RELEASE
assert_nochange "AVAILABILITY with a bad agent id fails INVALID" -c INVALID \
    AGENT.AVAILABILITY $D 'x y' away

# Only online agents are routed to.
r AGENT.AVAILABILITY $D A2 away >/dev/null
r AGENT.AVAILABILITY $D A4 offline >/dev/null
t=$(r TICKET.CREATE $D "invoice wrong" CATEGORY billing PRIORITY 5 ROUTE)
assert_eq "ROUTE skips away/offline agents: the ticket stays unassigned" "" "$(tf "$t" assigned_agent)"
assert_eq "it waits in its routing queue" "$(rscore 5 "$t")" "$(r ZSCORE $D:queue:unassigned:billing ticket:$t)"
r AGENT.AVAILABILITY $D A2 online >/dev/null
r AGENT.AVAILABILITY $D A4 online >/dev/null
r TICKET.DEL $D "$t" >/dev/null

# RELEASE: A2 (billing, technical, capacity 3) gets three tickets.
a2_three_tickets
assert_eq "A2 holds three tickets" "3 $t1 $t2 $t3" \
    "$(echo "$(r HGET $D:agent:A2 load) $(rj AGENT.GET $D A2 | sed -E 's/.*"open_tickets":\[([0-9,]*)\].*/\1/' | tr , ' ')")"

# ---------------------------------------------------------------- TICKETS
agent_desk tickets
four_agents
a2_three_tickets
assert_eq "TICKETS: most urgent first, with id, subject, status, priority" \
    "[{\"id\":$t2,\"subject\":\"two\",\"status\":\"in_progress\",\"priority\":20},{\"id\":$t1,\"subject\":\"one\",\"status\":\"open\",\"priority\":10},{\"id\":$t3,\"subject\":\"three\",\"status\":\"on_hold\",\"priority\":1}]" \
    "$(rj AGENT.TICKETS $D A2)"
assert_eq "TICKETS of an agent without tickets is empty" '[]' "$(rj AGENT.TICKETS $D A3)"
assert_nochange "TICKETS of a missing agent fails NOTFOUND" -c NOTFOUND AGENT.TICKETS $D nobody
assert_nochange "TICKETS with a bad agent id fails INVALID" -c INVALID AGENT.TICKETS $D 'x:y'

# ---------------------------------------------------------------- LIST
agent_desk list
four_agents
a2_three_tickets
r AGENT.DEL $D "$(rep x 64)" >/dev/null
r AGENT.DEL $D a.b_c-d@e >/dev/null
r TICKET.ASSIGN $D "$(r TICKET.CREATE $D "four" CATEGORY billing)" A4 >/dev/null
assert_eq "LIST: every agent by load ascending, then id" \
    '[{"id":"A1","name":"Ann","load":0,"capacity":15,"availability":"online"},{"id":"A3","name":"Cy","load":0,"capacity":0,"availability":"online"},{"id":"A4","name":"Di","load":1,"capacity":4,"availability":"online"},{"id":"A2","name":"Bo B","load":3,"capacity":3,"availability":"online"}]' \
    "$(rj AGENT.LIST $D)"
assert_eq "LIST SKILL billing (case ignored): only agents with the skill" \
    '[{"id":"A4","name":"Di","load":1,"capacity":4,"availability":"online"},{"id":"A2","name":"Bo B","load":3,"capacity":3,"availability":"online"}]' \
    "$(rj AGENT.LIST $D skill BILLING)"
assert_eq "LIST SKILL of a skill nobody has is empty" '[]' "$(rj AGENT.LIST $D SKILL shipping)"
assert_eq "LIST of an empty desk is empty" '[]' "$(rj AGENT.LIST emptydesk)"
assert_nochange "LIST SKILL without a value fails ERR" -c ERR AGENT.LIST $D SKILL
assert_nochange "LIST with an unknown option fails ERR" -c ERR AGENT.LIST $D ONLINE
assert_nochange "LIST SKILL with extra arguments fails ERR" -c ERR AGENT.LIST $D SKILL a b
assert_nochange "LIST SKILL with an invalid skill fails INVALID" -c INVALID AGENT.LIST $D SKILL 'a b'

# ---------------------------------------------------------------- RELEASE
agent_desk release
four_agents
a2_three_tickets
r XTRIM $D:events MAXLEN 0 >/dev/null
assert_ok "AVAILABILITY away RELEASE" AGENT.AVAILABILITY $D A2 away RELEASE
assert_eq "A2 is away" away "$(r HGET $D:agent:A2 availability)"
assert_eq "the in_progress ticket stays with A2, load 1" "1 ticket:$t2" \
    "$(echo "$(r HGET $D:agent:A2 load) $(r SMEMBERS $D:agent:A2:open_tickets)")"
assert_eq "released tickets have no assigned_agent" "0 0" \
    "$(echo "$(r HEXISTS $D:ticket:$t1 assigned_agent) $(r HEXISTS $D:ticket:$t3 assigned_agent)")"
assert_eq "the in_progress ticket still names A2" A2 "$(tf "$t2" assigned_agent)"
assert_eq "released tickets keep their status (open, on_hold)" "open on_hold" \
    "$(echo "$(tf "$t1" status) $(tf "$t3" status)")"
assert_eq "released tickets are back in their routing queue, by priority then id" \
    "ticket:$t1 $(rscore 10 "$t1") ticket:$t3 $(rscore 1 "$t3")" \
    "$(r ZRANGE $D:queue:unassigned:billing 0 -1 WITHSCORES | paste -sd' ')"
assert_eq "the release is logged" "unassigned from A2 (released)" "$(logtail "$t1" 1)"
assert_eq "and emitted as an unassigned event" \
    "type=unassigned ticket=$t3 agent=A2 reason=released" "$(lastevent)"
assert_eq "two unassigned events" 2 "$(r XLEN $D:events)"
assert_eq "the released tickets are still active (priority queue)" "10 1" \
    "$(echo "$(r ZSCORE $D:queue:priority ticket:$t1) $(r ZSCORE $D:queue:priority ticket:$t3)")"
before=$(dbdigest)
assert_ok "RELEASE again with nothing to release" AGENT.AVAILABILITY $D A2 away RELEASE
assert_eq "RELEASE with nothing to give back writes nothing" "$before" "$(dbdigest)"

# ---------------------------------------------------------------- DEL
agent_desk del
four_agents
a2_three_tickets
r AGENT.AVAILABILITY $D A2 away RELEASE >/dev/null   # as the release section leaves it
r AGENT.AVAILABILITY $D A2 online >/dev/null
r TICKET.ASSIGN $D "$t1" A2 >/dev/null
r XTRIM $D:events MAXLEN 0 >/dev/null
assert_eq "A2 holds t1 (open) and t2 (in_progress)" "$t2,$t1" \
    "$(rj AGENT.TICKETS $D A2 | sed -E 's/"id":([0-9]+)[^}]*\}/\1/g; s/[][{]//g')"
assert_eq "AGENT.DEL returns 1" 1 "$(r AGENT.DEL $D A2)"
assert_eq "GET after DEL is nil" null "$(rj AGENT.GET $D A2)"
assert_eq "the agent's keys are gone" 0 "$(r EXISTS $D:agent:A2 $D:agent:A2:skills $D:agent:A2:open_tickets)"
assert_eq "it left D:agents" "A1 A3 A4" "$(r SMEMBERS $D:agents | sort | paste -sd' ')"
assert_eq "it left the inverse index of billing" A4 "$(r SMEMBERS $D:skill:billing)"
assert_eq "D:skill:technical is gone with its only member" 0 "$(r EXISTS $D:skill:technical)"
assert_eq "its tickets have no assigned_agent" "0 0" \
    "$(echo "$(r HEXISTS $D:ticket:$t1 assigned_agent) $(r HEXISTS $D:ticket:$t2 assigned_agent)")"
assert_eq "its in_progress ticket is open again" open "$(tf "$t2" status)"
assert_eq "stats follow: in_progress 0" 0 "$(r HGET $D:stats status:in_progress)"
assert_eq "both tickets are back in their routing queues" "$(rscore 10 "$t1") $(rscore 20 "$t2")" \
    "$(echo "$(r ZSCORE $D:queue:unassigned:billing ticket:$t1) $(r ZSCORE $D:queue:unassigned:technical ticket:$t2)")"
assert_eq "the in_progress ticket's log" "status in_progress -> open
unassigned from A2 (agent_deleted)" "$(logtail "$t2" 2)"
assert_eq "the open ticket's log" "unassigned from A2 (agent_deleted)" "$(logtail "$t1" 1)"
assert_eq "events: unassigned with reason agent_deleted" \
    "type=unassigned ticket=$t2 agent=A2 reason=agent_deleted" "$(lastevent)"
assert_eq "AGENT.DEL of a missing agent returns 0" 0 "$(r AGENT.DEL $D A2)"
assert_nochange "AGENT.DEL with a bad agent id fails INVALID" -c INVALID AGENT.DEL $D 'a:b'
assert_eq "a deleted agent's ticket can go to someone else" OK "$(r TICKET.ASSIGN $D "$t1" A4)"

# ---------------------------------------------------------------- wrong key types
agent_desk wrong
four_agents
r AGENT.DEL $D A2 >/dev/null                    # A1 A3 A4 are left, as after del
t1=$(r TICKET.CREATE $D "one" CATEGORY billing PRIORITY 10)
r TICKET.ASSIGN $D "$t1" A4 >/dev/null          # A4 holds t1
r SET $D:agents x >/dev/null
assert_nochange "CREATE with D:agents a string fails INVALID" -c INVALID AGENT.CREATE $D A9 X
assert_nochange "DEL with D:agents a string fails INVALID" -c INVALID AGENT.DEL $D A3
assert_nochange "LIST with D:agents a string fails INVALID" -c INVALID AGENT.LIST $D
assert_eq "GET of one agent does not need D:agents" Ann \
    "$(rj AGENT.GET $D A1 | sed -E 's/.*"name":"([^"]*)".*/\1/')"
assert_eq "TICKETS of one agent does not need D:agents" '[]' "$(rj AGENT.TICKETS $D A1)"
r DEL $D:agents >/dev/null
r SADD $D:agents A1 A3 A4 >/dev/null
r SET $D:skill:shipping x >/dev/null
assert_nochange "CREATE with a skill index of the wrong type fails INVALID" -c INVALID \
    AGENT.CREATE $D A9 X SKILLS billing shipping
assert_nochange "SKILLS ADD into a skill index of the wrong type fails INVALID" -c INVALID \
    AGENT.SKILLS $D A1 ADD billing shipping
assert_nochange "LIST SKILL of an index of the wrong type fails INVALID" -c INVALID \
    AGENT.LIST $D SKILL shipping
r DEL $D:skill:shipping >/dev/null
r SET $D:config x >/dev/null
assert_nochange "CREATE without CAPACITY with D:config a string fails INVALID" -c INVALID \
    AGENT.CREATE $D A9 X
r DEL $D:config >/dev/null
r SET $D:agent:A9 x >/dev/null
assert_nochange "CREATE over an agent key of the wrong type fails INVALID" -c INVALID AGENT.CREATE $D A9 X
assert_nochange "GET of an agent key of the wrong type fails INVALID" -c INVALID AGENT.GET $D A9
assert_nochange "AVAILABILITY of an agent key of the wrong type fails INVALID" -c INVALID \
    AGENT.AVAILABILITY $D A9 away
assert_nochange "DEL of an agent key of the wrong type fails INVALID" -c INVALID AGENT.DEL $D A9
r DEL $D:agent:A9 >/dev/null
r SET $D:agent:A3:skills x >/dev/null
assert_nochange "SKILLS with the agent's skill set a string fails INVALID" -c INVALID \
    AGENT.SKILLS $D A3 ADD x
r DEL $D:agent:A3:skills >/dev/null
r SADD $D:agent:A3:skills legal >/dev/null
# A ticket of A4 whose log is not a list: giving it back would write it.
r TICKET.STATUS $D "$t1" on_hold >/dev/null
r RENAME $D:ticket:$t1:log $D:tmp >/dev/null
r SET $D:ticket:$t1:log x >/dev/null
assert_nochange "RELEASE with a damaged ticket key fails INVALID" -c INVALID \
    AGENT.AVAILABILITY $D A4 away RELEASE
assert_nochange "AGENT.DEL with a damaged ticket key fails INVALID" -c INVALID AGENT.DEL $D A4
r DEL $D:ticket:$t1:log >/dev/null
r RENAME $D:tmp $D:ticket:$t1:log >/dev/null
r SET $D:ticket:999 x >/dev/null
r SADD $D:agent:A1:open_tickets ticket:999 >/dev/null
assert_nochange "TICKETS with a ticket key of the wrong type fails INVALID" -c INVALID \
    AGENT.TICKETS $D A1
r SREM $D:agent:A1:open_tickets ticket:999 >/dev/null
r DEL $D:ticket:999 >/dev/null

# ---------------------------------------------------------------- desk names, arity
agent_desk desk
four_agents
assert_nochange "a desk name with ':' fails INVALID" -c INVALID AGENT.CREATE 'x:y' A1 Ann
assert_nochange "a 65-byte desk name fails INVALID" -c INVALID AGENT.CREATE "$(rep d 65)" A1 Ann
assert_ok "a 64-byte desk name is fine" AGENT.CREATE "$(rep d 64)" A1 Ann
for c in "AGENT.CREATE $D A9" "AGENT.GET $D" "AGENT.GET $D A1 x" "AGENT.SKILLS $D A1 ADD" \
         "AGENT.AVAILABILITY $D A1" "AGENT.TICKETS $D" "AGENT.TICKETS $D A1 x" \
         "AGENT.LIST" "AGENT.DEL $D" "AGENT.DEL $D A1 A3"; do
    # shellcheck disable=SC2086  # split on purpose
    assert_nochange "wrong arity: $c" -c ERR $c
done

# ---------------------------------------------------------------- consistency
# Every section's desk, as it left it.
section consistency
for d in $AGENT_DESKS; do
    assert_eq "DESK.CHECK $d finds nothing wrong" '[]' "$(rj DESK.CHECK "$d")"
done
finish
