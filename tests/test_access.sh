#!/usr/bin/env bash
# Who may do what (SPEC.md section 7, README "Who may do what"): with
# helpdesk.enforce-identity on, an ACL user named like an agent acts as that
# agent (reads, takes work for itself, works its own tickets), desk admins
# (`default` and D:admins, managed by DESK.ADMIN) do everything, everyone else
# is refused. Every refusal is DENIED, writes nothing and adds an ACL LOG
# entry. With enforcement off, the same users can do everything as before.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server

# as USER ARGS...: run a command as that ACL user (every password is "pw").
as() { local u=$1; shift; r --user "$u" --pass pw --no-auth-warning "$@"; }
asj() { local u=$1; shift; rj --user "$u" --pass pw --no-auth-warning "$@"; }
# as_denied NAME USER ARGS...: DENIED and the dataset unchanged.
as_denied() {
    local name=$1 u=$2; shift 2
    assert_nochange "$name" -c DENIED --user "$u" --pass pw --no-auth-warning "$@"
}
mapfield() { awk -v f="$1" 'NR % 2 == 1 && $0 == f { getline; print; exit }'; }
tget() { r HGET "$D:ticket:$1" "$2"; }
# Refusals in ACL LOG: the sum of the entries' counts (Redis folds repeats of
# the same user/command into one entry and counts them).
acl_log_len() { r ACL LOG 1000 | paste -d' ' - - | awk '$1 == "count" {n += $2} END {print n + 0}'; }
# The newest ACL LOG entry as "field=value ..." for the fields we check
# (object is the command name as the client typed it: lower-cased here).
acl_last() {
    r ACL LOG 1 | paste -d= - - | grep -E '^(reason|context|object|username)=' |
        tr '\n' ' ' | sed 's/ $//' | tr '[:upper:]' '[:lower:]'
}

# access_desk NAME: a section on its own fresh desk NAME (D; its name starts
# with "shop" so the users' key pattern ~shop* covers it), made as `default`:
# the ACL users A1 A2 boss stranger, agents A1 and A2 (billing), customer U1,
# tickets T1 (U1's, priority 20), T2 (10, A2's), T3 T4 (5), T5 (1).
access_desk() {
    local u
    section "$1"
    for u in A1 A2 boss stranger; do
        r ACL SETUSER "$u" on '>pw' '~shop*' '+@all' >/dev/null
    done
    r DESK.CONFIG SET $D flood-threshold 0 >/dev/null
    r DESK.CONFIG SET $D alert-threshold 1 >/dev/null
    assert_ok "$D: agent A1" AGENT.CREATE $D A1 "Ann" SKILLS billing CAPACITY 10
    assert_ok "$D: agent A2" AGENT.CREATE $D A2 "Bob" SKILLS billing CAPACITY 10
    U1=$(r CUSTOMER.CREATE $D "Carl" carl@example.com)
    T1=$(r TICKET.CREATE $D "one" PRIORITY 20 CATEGORY billing CUSTOMER "$U1")
    T2=$(r TICKET.CREATE $D "two" PRIORITY 10 CATEGORY billing)
    T3=$(r TICKET.CREATE $D "three" PRIORITY 5 CATEGORY billing)
    T4=$(r TICKET.CREATE $D "four" PRIORITY 5 CATEGORY billing)
    T5=$(r TICKET.CREATE $D "five" PRIORITY 1 CATEGORY billing)
    assert_ok "$D: T2 to A2" TICKET.ASSIGN $D "$T2" A2
}
# as_allowed_left_it: T1 is A1's (its NEXT), T3 and T4 were A1's and are
# closed, as the allowed section leaves the desk; then enforcement is on.
as_allowed_left_it() {
    r TICKET.ASSIGN $D "$T1" A1 >/dev/null
    r TICKET.STATUS $D "$T1" on_hold >/dev/null
    r TICKET.ASSIGN $D "$T3" A1 >/dev/null
    r TICKET.CLOSE $D "$T3" >/dev/null
    r TICKET.ASSIGN $D "$T4" A1 >/dev/null
    r TICKET.CLOSE $D "$T4" RESOLUTION "all done" >/dev/null
    r CONFIG SET helpdesk.enforce-identity yes >/dev/null
}

# ---- users and data, created as `default` with enforcement still off --------
access_desk shop-setup
assert_eq "enforcement is off by default" "enforce-identity no" \
    "$(r CONFIG GET helpdesk.enforce-identity | paste -sd' ' | sed 's/^helpdesk\.//')"
assert_ok "enforcement on" CONFIG SET helpdesk.enforce-identity yes
assert_eq "CONFIG GET shows it" "yes" "$(r CONFIG GET helpdesk.enforce-identity | tail -n 1)"

# ==== an agent's allowed actions ============================================
access_desk shop-allowed
r CONFIG SET helpdesk.enforce-identity yes >/dev/null

got=$(as A1 TICKET.NEXT $D A1)
assert_eq "A1: TICKET.NEXT for itself gets the most urgent ticket" "$T1" "$(mapfield id <<<"$got")"
assert_eq "A1: ... assigned to A1" A1 "$(tget "$T1" assigned_agent)"
assert_eq "A1: TICKET.STATUS own ticket in_progress" OK "$(as A1 TICKET.STATUS $D "$T1" in_progress)"
assert_eq "A1: TICKET.STATUS own ticket on_hold" OK "$(as A1 TICKET.STATUS $D "$T1" on_hold)"
assert_eq "... status changed" on_hold "$(tget "$T1" status)"
v=$(tget "$T1" version)
assert_eq "A1: TICKET.UPDATE own ticket gives the next version" $((v + 1)) \
    "$(as A1 TICKET.UPDATE $D "$T1" subject "one, updated")"
assert_eq "... subject changed" "one, updated" "$(tget "$T1" subject)"
assert_eq "A1: TICKET.NOTE own ticket" OK "$(as A1 TICKET.NOTE $D "$T1" "called the customer")"
assert_match "... logged" "*called the customer*" "$(r LRANGE "$D:ticket:$T1:log" -1 -1)"
assert_match "A1: TICKET.MSG own ticket gives a stream id" "[0-9]*-[0-9]*" \
    "$(as A1 TICKET.MSG $D "$T1" agent:A1 "hello Carl")"
assert_eq "... the thread has it" 1 "$(r XLEN "$D:ticket:$T1:chat")"
assert_eq "A1: TICKET.STATE.SET own ticket" 1 \
    "$(as A1 TICKET.STATE.SET $D "$T1" '{"facts":{"k":1}}')"
assert_eq "A1: TICKET.STATE.MERGE own ticket" 2 \
    "$(as A1 TICKET.STATE.MERGE $D "$T1" '{"k":2}')"
assert_eq "A1: TICKET.STATE.APPEND own ticket" 3 "$(as A1 TICKET.STATE.APPEND $D "$T1" hi)"
assert_eq "A1: TICKET.STATE.DECIDE own ticket" 4 "$(as A1 TICKET.STATE.DECIDE $D "$T1" refund)"
assert_eq "A1: TICKET.STATE.GET own ticket" 4 \
    "$(as A1 TICKET.STATE.GET $D "$T1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')"
assert_eq "A1: TICKET.STATE.DEL own ticket" 1 "$(as A1 TICKET.STATE.DEL $D "$T1")"
assert_eq "A1: TICKET.ASSIGN an unassigned ticket to itself" OK "$(as A1 TICKET.ASSIGN $D "$T3" A1)"
assert_eq "... assigned" A1 "$(tget "$T3" assigned_agent)"
assert_eq "A1: TICKET.ASSIGN its own ticket to itself (no-op)" OK "$(as A1 TICKET.ASSIGN $D "$T3" A1)"
assert_eq "A1: TICKET.UNASSIGN own ticket" OK "$(as A1 TICKET.UNASSIGN $D "$T3")"
assert_eq "... unassigned" "" "$(tget "$T3" assigned_agent)"
claim=$(as A1 TICKET.CLAIM $D A1 COUNT 3 | paste -sd' ')
assert_eq "A1: TICKET.CLAIM for itself tops up to 3" "$T1 $T3 $T4" "$claim"
assert_eq "A1: AGENT.AVAILABILITY for itself" OK "$(as A1 AGENT.AVAILABILITY $D A1 away)"
assert_eq "A1: ... and back online" OK "$(as A1 AGENT.AVAILABILITY $D A1 online)"
assert_eq "A1: TICKET.CLOSE own ticket" OK "$(as A1 TICKET.CLOSE $D "$T4" RESOLUTION "all done")"
assert_eq "... closed by A1" "closed A1" "$(tget "$T4" status) $(tget "$T4" resolved_by)"
assert_eq "A1: TICKET.STATUS own ticket to closed" OK "$(as A1 TICKET.STATUS $D "$T3" closed NOTE fixed)"
assert_eq "... closed" closed "$(tget "$T3" status)"

# Reads: every read-only command, plus DESK.CONFIG GET and TICKET.STATE.GET,
# on any ticket or agent of the desk.
assert_eq "A1 reads: TICKET.GET of A2's ticket" "$T2" "$(as A1 TICKET.GET $D "$T2" | mapfield id)"
assert_match "A1 reads: TICKET.LOG of A2's ticket" "*assigned to A2*" "$(as A1 TICKET.LOG $D "$T2")"
assert_eq "A1 reads: TICKET.MSGS" "[]" "$(asj A1 TICKET.MSGS $D "$T2")"
assert_match "A1 reads: TICKET.PEEK" "*$T2*" "$(as A1 TICKET.PEEK $D | paste -sd' ')"
assert_match "A1 reads: TICKET.COUNTS" "open*in_progress*" "$(as A1 TICKET.COUNTS $D | paste -sd' ')"
assert_eq "A1 reads: TICKET.OVERDUE" "[]" "$(asj A1 TICKET.OVERDUE $D)"
assert_match "A1 reads: TICKET.CLASSIFY" "category*" "$(as A1 TICKET.CLASSIFY $D "refund me" | paste -sd' ')"
assert_eq "A1 reads: AGENT.GET A2" A2 "$(as A1 AGENT.GET $D A2 | mapfield id)"
assert_eq "A1 reads: AGENT.TICKETS A2" "$T2" "$(as A1 AGENT.TICKETS $D A2 | mapfield id)"
assert_eq "A1 reads: AGENT.LIST" "A1 A2" "$(as A1 AGENT.LIST $D | awk 'p {print; p=0} $0 == "id" {p=1}' | sort | paste -sd' ')"
assert_eq "A1 reads: CUSTOMER.GET" "$U1" "$(as A1 CUSTOMER.GET $D "$U1" | mapfield id)"
assert_eq "A1 reads: CUSTOMER.FIND" "$U1" "$(as A1 CUSTOMER.FIND $D carl@example.com | mapfield id)"
assert_eq "A1 reads: CUSTOMER.TICKETS" "$T1" "$(as A1 CUSTOMER.TICKETS $D "$U1")"
assert_match "A1 reads: DESK.STATS" "status*" "$(as A1 DESK.STATS $D | head -n 1)"
assert_eq "A1 reads: DESK.CONFIG GET one setting" 0 "$(as A1 DESK.CONFIG GET $D flood-threshold)"
assert_match "A1 reads: DESK.CONFIG GET all" "*auto-route*" "$(as A1 DESK.CONFIG GET $D | paste -sd' ')"
assert_eq "A1 reads: TICKET.STATE.GET of A2's ticket (no state: nil)" null \
    "$(asj A1 TICKET.STATE.GET $D "$T2")"

# ==== an agent's refused actions ============================================
access_desk shop-refused
as_allowed_left_it

# T2 belongs to A2; T5 is unassigned; T1 is A1's.
log0=$(acl_log_len)
as_denied "A1 may not TICKET.CLOSE A2's ticket" A1 TICKET.CLOSE $D "$T2"
assert_eq "... ACL LOG has one more entry" $((log0 + 1)) "$(acl_log_len)"
assert_eq "... which names the user, the command, reason and context" \
    "reason=command context=module object=ticket.close username=a1" "$(acl_last)"
assert_match "... the message explains" "DENIED agent 'A1' may only act on its own tickets*" \
    "$(rerrmsg --user A1 --pass pw --no-auth-warning TICKET.CLOSE $D "$T2")"
as_denied "A1 may not TICKET.STATUS A2's ticket" A1 TICKET.STATUS $D "$T2" in_progress
as_denied "A1 may not TICKET.UPDATE A2's ticket" A1 TICKET.UPDATE $D "$T2" subject x
as_denied "A1 may not TICKET.NOTE A2's ticket" A1 TICKET.NOTE $D "$T2" x
as_denied "A1 may not TICKET.MSG A2's ticket" A1 TICKET.MSG $D "$T2" agent:A1 x
as_denied "A1 may not TICKET.UNASSIGN A2's ticket" A1 TICKET.UNASSIGN $D "$T2"
as_denied "A1 may not TICKET.STATE.SET A2's ticket" A1 TICKET.STATE.SET $D "$T2" '{}'
as_denied "A1 may not TICKET.STATE.MERGE A2's ticket" A1 TICKET.STATE.MERGE $D "$T2" '{}'
as_denied "A1 may not TICKET.STATE.APPEND A2's ticket" A1 TICKET.STATE.APPEND $D "$T2" x
as_denied "A1 may not TICKET.STATE.DECIDE A2's ticket" A1 TICKET.STATE.DECIDE $D "$T2" x
as_denied "A1 may not TICKET.STATE.DEL A2's ticket" A1 TICKET.STATE.DEL $D "$T2"
as_denied "A1 may not TICKET.CLOSE an unassigned ticket" A1 TICKET.CLOSE $D "$T5"
as_denied "A1 may not TICKET.NOTE an unassigned ticket" A1 TICKET.NOTE $D "$T5" x
as_denied "A1 may not TICKET.CLOSE a missing ticket" A1 TICKET.CLOSE $D 999
as_denied "A1 may not TICKET.NEXT for A2" A1 TICKET.NEXT $D A2
as_denied "A1 may not TICKET.CLAIM for A2" A1 TICKET.CLAIM $D A2
as_denied "A1 may not AGENT.AVAILABILITY of A2" A1 AGENT.AVAILABILITY $D A2 offline
as_denied "A1 may not TICKET.ASSIGN its ticket to A2" A1 TICKET.ASSIGN $D "$T1" A2
as_denied "A1 may not TICKET.ASSIGN an unassigned ticket to A2" A1 TICKET.ASSIGN $D "$T5" A2
as_denied "A1 may not take A2's ticket with TICKET.ASSIGN" A1 TICKET.ASSIGN $D "$T2" A1
as_denied "A1 may not TICKET.ASSIGN ... FORCE even to itself" A1 TICKET.ASSIGN $D "$T5" A1 FORCE
as_denied "A1 may not AGENT.CREATE" A1 AGENT.CREATE $D A9 "Nine"
assert_match "... the message says an admin is needed" "DENIED agent.create needs a desk admin*" \
    "$(rerrmsg --user A1 --pass pw --no-auth-warning AGENT.CREATE $D A9 Nine)"
as_denied "A1 may not AGENT.DEL" A1 AGENT.DEL $D A2
as_denied "A1 may not AGENT.SKILLS even its own" A1 AGENT.SKILLS $D A1 ADD legal
as_denied "A1 may not DESK.PURGE" A1 DESK.PURGE $D
assert_eq "... the desk is still there" "$T2" "$(r TICKET.GET $D "$T2" | mapfield id)"
as_denied "A1 may not TICKET.CREATE" A1 TICKET.CREATE $D "new one"
as_denied "A1 may not TICKET.DEL its own ticket" A1 TICKET.DEL $D "$T1"
as_denied "A1 may not TICKET.REOPEN" A1 TICKET.REOPEN $D "$T4"
as_denied "A1 may not TICKET.MERGE" A1 TICKET.MERGE $D "$T5" INTO "$T1"
as_denied "A1 may not TICKET.TRAIN" A1 TICKET.TRAIN $D billing "refund please"
as_denied "A1 may not CUSTOMER.CREATE" A1 CUSTOMER.CREATE $D Dee dee@example.com
as_denied "A1 may not CUSTOMER.UPDATE" A1 CUSTOMER.UPDATE $D "$U1" name X
as_denied "A1 may not CUSTOMER.DEL" A1 CUSTOMER.DEL $D "$U1"
as_denied "A1 may not DESK.CONFIG SET" A1 DESK.CONFIG SET $D auto-route yes
as_denied "A1 may not DESK.CHECK (admin)" A1 DESK.CHECK $D
as_denied "A1 may not DESK.ADMIN ADD itself" A1 DESK.ADMIN $D ADD A1
as_denied "A1 may not DESK.ADMIN LIST" A1 DESK.ADMIN $D LIST
assert_eq "every refusal above is in ACL LOG" $((log0 + 39)) "$(acl_log_len)"

# A user who is neither agent nor admin of the desk: refused even reads.
log0=$(acl_log_len)
as_denied "stranger may not TICKET.GET" stranger TICKET.GET $D "$T1"
assert_match "... the message says why" "DENIED user 'stranger' is neither an agent nor an admin of desk '$D'" \
    "$(rerrmsg --user stranger --pass pw --no-auth-warning TICKET.GET $D "$T1")"
as_denied "stranger may not TICKET.PEEK" stranger TICKET.PEEK $D
as_denied "stranger may not TICKET.CREATE" stranger TICKET.CREATE $D "x"
as_denied "stranger may not TICKET.NEXT as itself" stranger TICKET.NEXT $D stranger
assert_eq "... ACL LOG" "reason=command context=module object=ticket.next username=stranger" "$(acl_last)"
assert_eq "... 5 entries" $((log0 + 5)) "$(acl_log_len)"
# An agent of desk `shop` is no one on desk `shop2`.
assert_err "A1 is a stranger on another desk" DENIED --user A1 --pass pw --no-auth-warning TICKET.PEEK shop2
# Plain Redis ACLs apply first: the key pattern ~shop* keeps A1 off desk `help`.
assert_err "A1 gets NOPERM on a desk outside its key pattern" NOPERM \
    --user A1 --pass pw --no-auth-warning TICKET.GET help 1

# An agent of a desk that is offline / at capacity gets the normal errors,
# not DENIED, when the action itself is allowed.
assert_ok "A2 away" AGENT.AVAILABILITY $D A2 away
assert_err "A2 NEXT while away: UNAVAILABLE" UNAVAILABLE --user A2 --pass pw --no-auth-warning TICKET.NEXT $D A2
assert_ok "A2 online" AGENT.AVAILABILITY $D A2 online
assert_err "A1 closing its own closed ticket: DENIED (no longer its ticket)" DENIED \
    --user A1 --pass pw --no-auth-warning TICKET.CLOSE $D "$T4"

# ==== DESK.ADMIN ============================================================
access_desk shop-admin
as_allowed_left_it

assert_eq "DESK.ADMIN LIST is empty at first" "[]" "$(rj DESK.ADMIN $D LIST)"
as_denied "boss is not an admin yet" boss AGENT.CREATE $D A3 "Cid"
assert_ok "default adds boss" DESK.ADMIN $D ADD boss
assert_eq "LIST shows boss" boss "$(r DESK.ADMIN $D LIST)"
assert_eq "D:admins is a plain set" boss "$(r SMEMBERS $D:admins)"
assert_eq "boss: AGENT.CREATE" OK "$(as boss AGENT.CREATE $D A3 "Cid" SKILLS billing)"
T6=$(as boss TICKET.CREATE $D "six" PRIORITY 5 CATEGORY billing)
assert_match "boss: TICKET.CREATE" "[0-9]*" "$T6"
assert_eq "boss: TICKET.ASSIGN to another agent with FORCE" OK "$(as boss TICKET.ASSIGN $D "$T6" A2 FORCE)"
assert_eq "boss: TICKET.CLOSE someone else's ticket" OK "$(as boss TICKET.CLOSE $D "$T6")"
assert_eq "boss: TICKET.CLAIM for an agent" "$T2" "$(as boss TICKET.CLAIM $D A2 COUNT 1)"
assert_eq "boss: DESK.CONFIG SET" OK "$(as boss DESK.CONFIG SET $D default-capacity 12)"
assert_eq "boss: DESK.CHECK" "[]" "$(asj boss DESK.CHECK $D)"
assert_eq "boss: DESK.ADMIN ADD another admin" OK "$(as boss DESK.ADMIN $D ADD A2)"
assert_eq "LIST shows both" "A2 boss" "$(r DESK.ADMIN $D LIST | sort | paste -sd' ')"
assert_eq "A2, now an admin, closes A1's ticket" OK "$(as A2 TICKET.CLOSE $D "$T1")"
assert_eq "boss: DESK.ADMIN REMOVE A2" OK "$(as boss DESK.ADMIN $D REMOVE A2)"
as_denied "A2 is an agent again: refused AGENT.CREATE" A2 AGENT.CREATE $D A8 "Eight"
assert_eq "REMOVE of a non-admin is OK" OK "$(r DESK.ADMIN $D REMOVE nobody)"
assert_err "DESK.ADMIN ADD with an empty user: INVALID" INVALID DESK.ADMIN $D ADD ""
assert_err "DESK.ADMIN ADD with a 129-byte user: INVALID" INVALID DESK.ADMIN $D ADD "$(printf 'u%.0s' $(seq 129))"
assert_err "DESK.ADMIN with an unknown action: ERR" ERR DESK.ADMIN $D DROP boss
assert_err "DESK.ADMIN ADD without a user: ERR" ERR DESK.ADMIN $D ADD
assert_err "DESK.ADMIN LIST with an extra argument: ERR" ERR DESK.ADMIN $D LIST x
# Admin of `shop` only: on desk `shop2` boss is nobody.
assert_err "boss is not an admin of shop2" DENIED --user boss --pass pw --no-auth-warning AGENT.CREATE shop2 A1 Ann
assert_ok "default removes boss" DESK.ADMIN $D REMOVE boss
assert_eq "LIST is empty again" "[]" "$(rj DESK.ADMIN $D LIST)"
as_denied "boss refused once removed" boss TICKET.CREATE $D "seven"
# The `default` user is always an admin, even when not listed.
T7=$(r TICKET.CREATE $D "seven" PRIORITY 5 CATEGORY billing)
assert_match "default: TICKET.CREATE" "[0-9]*" "$T7"
assert_eq "default: DESK.CHECK" "[]" "$(rj DESK.CHECK $D)"

# A blocked TICKET.NEXT of an agent for itself is served later.
r DESK.PURGE q >/dev/null
assert_ok "agent W1 on desk q" AGENT.CREATE q W1 Walt SKILLS billing
r ACL SETUSER W1 on '>pw' '~q*' '+@all' >/dev/null
as W1 TICKET.NEXT q W1 BLOCK 0 >"$SERVER_DIR/w1.out" &
w1=$!
wait_for 1 info_field clients blocked_clients
TQ=$(r TICKET.CREATE q "card declined" PRIORITY 10 CATEGORY billing)
wait "$w1"
assert_eq "W1's blocked NEXT got the new ticket" "$TQ" "$(mapfield id <"$SERVER_DIR/w1.out")"
check_desk q

# ==== enforcement off: everything works as before ===========================
access_desk shop-off
as_allowed_left_it

# Another desk PURGE must not touch, with an agent and a ticket; and T7 as
# the admin section leaves it (the most urgent unassigned ticket).
r AGENT.CREATE q-$D W1 Walt SKILLS billing >/dev/null
r TICKET.CREATE q-$D "card declined" PRIORITY 10 CATEGORY billing >/dev/null
T7=$(r TICKET.CREATE $D "seven" PRIORITY 5 CATEGORY billing)
assert_ok "enforcement off" CONFIG SET helpdesk.enforce-identity no
log0=$(acl_log_len)
assert_eq "A1: AGENT.CREATE works" OK "$(as A1 AGENT.CREATE $D A9 "Nine" SKILLS billing)"
T8=$(as A1 TICKET.CREATE $D "eight" PRIORITY 5 CATEGORY billing)
assert_match "A1: TICKET.CREATE works" "[0-9]*" "$T8"
assert_eq "A1: TICKET.ASSIGN to A2 works" OK "$(as A1 TICKET.ASSIGN $D "$T8" A2)"
assert_eq "A1: TICKET.NOTE on A2's ticket works" OK "$(as A1 TICKET.NOTE $D "$T8" "by A1")"
v=$(tget "$T8" version)
assert_eq "A1: TICKET.UPDATE on A2's ticket works" $((v + 1)) "$(as A1 TICKET.UPDATE $D "$T8" priority 10)"
assert_match "A1: TICKET.MSG on A2's ticket works" "[0-9]*-[0-9]*" "$(as A1 TICKET.MSG $D "$T8" x y)"
assert_eq "A1: TICKET.CLOSE A2's ticket works" OK "$(as A1 TICKET.CLOSE $D "$T8")"
assert_eq "A1: TICKET.CLAIM for A2 works" "$T2 $T7" "$(as A1 TICKET.CLAIM $D A2 COUNT 2 | paste -sd' ')"
assert_eq "stranger: TICKET.GET works" "$T1" "$(as stranger TICKET.GET $D "$T1" | mapfield id)"
assert_eq "stranger: DESK.CHECK works" "[]" "$(asj stranger DESK.CHECK $D)"
assert_eq "stranger: DESK.ADMIN ADD works" OK "$(as stranger DESK.ADMIN $D ADD x)"
assert_eq "no ACL LOG entry without enforcement" "$log0" "$(acl_log_len)"
n=$(r DBSIZE)
assert_eq "A1: DESK.PURGE works" "$n" "$(( $(as A1 DESK.PURGE $D) + $(r DBSIZE) ))"
assert_eq "... desk gone" 0 "$(r --scan --pattern "$D:*" | wc -l)"
assert_eq "... the other desk is not" W1 "$(r AGENT.GET q-$D W1 | mapfield id)"
check_desk q-$D
finish
