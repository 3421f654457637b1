#!/usr/bin/env bash
# Flash floods: near-duplicate detection, master incidents, TICKET.MERGE,
# closing and deleting masters, and the replica's digest after all of it.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"


start_server
trap 'stop_replica; stop_server' EXIT
start_replica

field() { r HGET "$1:ticket:$2" "$3"; }
check_clean() { assert_eq "$1: DESK.CHECK finds nothing" "" "$(r DESK.CHECK "$2")"; }
# Number of events of a type (optionally for one ticket) in D:events.
events_of() {
    r XRANGE "$1:events" - + | awk -v t="$2" -v id="$3" '
        prev == "type" { type = $0 } prev == "ticket" { tk = $0 }
        /^[0-9]+-[0-9]+$/ { if (type == t && (id == "" || tk == id)) n++; type = ""; tk = "" }
        { prev = $0 }
        END { if (type == t && (id == "" || tk == id)) n++; print n + 0 }'
}

ALIKE=(
    "Server outage, cannot log in"
    "server outage - can't login!!"
    "Server outage: can’t log in"
    "SERVER OUTAGE, cannot log-in"
    "server outage... cannot log in (user 42)"
    "Server outage cannot login"
    "server outage, can not log in"
    "Server outage - unable to log in"
    "server outage!! can't log in"
    "Server outage, couldn't log in"
    "server outage: cannot log in, please help"
    "Server outage, cannot log in"
)

# ---- a flood of 11 alike tickets ------------------------------------------
section f1
r AGENT.CREATE $D A1 Ann SKILLS general technical account >/dev/null
r AGENT.CREATE $D A2 Bob SKILLS general technical account >/dev/null
urgent=$(r TICKET.CREATE $D "Invoice PDF has the wrong VAT number" PRIORITY 20)
ids=()
for i in $(seq 0 8); do ids+=("$(r TICKET.CREATE $D "${ALIKE[$i]}" PRIORITY 5)"); done
assert_ok "assign a flood ticket to A1" TICKET.ASSIGN $D "${ids[2]}" A1 FORCE
assert_ok "assign another to A2" TICKET.ASSIGN $D "${ids[5]}" A2 FORCE
assert_ok "one of them in progress" TICKET.STATUS $D "${ids[5]}" in_progress
assert_eq "9 alike tickets (threshold 10): no master yet" "" "$(r HKEYS $D:flood:masters)"
assert_eq "9 alike tickets: nothing merged" "0" "$(r HGET $D:stats status:merged | sed 's/^$/0/')"

ids+=("$(r TICKET.CREATE $D "${ALIKE[9]}" PRIORITY 5)")
mtid=$(r HKEYS $D:flood:masters)
assert_match "the 10th alike ticket opens a master incident" "[0-9]*" "$mtid"
assert_eq "master: status open" open "$(field $D "$mtid" status)"
assert_eq "master: master=self" self "$(field $D "$mtid" master)"
assert_eq "master: priority raised to the desk maximum in use" 20 "$(field $D "$mtid" priority)"
assert_eq "master: subject names the first ticket" "Incident: ${ALIKE[0]}" "$(field $D "$mtid" subject)"
assert_eq "master: in the priority queue" 20 "$(r ZSCORE $D:queue:priority ticket:$mtid)"
assert_match "master: log says incident" "*: incident*" "$(r TICKET.LOG $D "$mtid")"
assert_eq "one incident event" 1 "$(events_of $D incident)"

ids+=("$(r TICKET.CREATE $D "${ALIKE[10]}" PRIORITY 5)")
assert_eq "11th alike ticket merged at once" "merged $mtid" \
    "$(field $D "${ids[10]}" status) $(field $D "${ids[10]}" master)"
ok=1
for id in "${ids[@]}"; do
    st=$(field $D "$id" status) m=$(field $D "$id" master)
    cat=$(field $D "$id" category)
    if [ "$st $m" != "merged $mtid" ] ||
       [ -n "$(r ZSCORE $D:queue:priority ticket:"$id")" ] ||
       [ -n "$(r ZSCORE $D:queue:sla ticket:"$id")" ] ||
       [ -n "$(r ZSCORE "$D:queue:unassigned:$cat" ticket:"$id")" ] ||
       [ -n "$(field $D "$id" assigned_agent)" ]; then
        ok=0; echo "# ticket $id: $st master=$m"
    fi
done
assert_eq "all 11 alike tickets merged into the master and out of every queue" 1 "$ok"
assert_eq "exactly one master" "$mtid" "$(r HKEYS $D:flood:masters)"
assert_eq "the master lists its 11 children" 11 "$(r SCARD $D:flood:children:$mtid)"
assert_eq "merged count in D:stats" 11 "$(r HGET $D:stats status:merged)"
assert_match "TICKET.COUNTS: 2 open (unrelated + master), 11 merged" \
    "open 2 *merged 11 " "$(r -3 TICKET.COUNTS $D | tr '\n' ' ')"
assert_eq "A1's load back to 0" 0 "$(r HGET $D:agent:A1 load)"
assert_eq "A2's load back to 0 (in_progress ticket merged)" 0 "$(r HGET $D:agent:A2 load)"
assert_eq "A1's open set empty" 0 "$(r SCARD $D:agent:A1:open_tickets)"
assert_eq "11 merged events" 11 "$(events_of $D merged)"
assert_match "a merged ticket's log says where it went" "*merged into $mtid*" \
    "$(r TICKET.LOG $D "${ids[2]}")"
assert_eq "the unrelated ticket is untouched" open "$(field $D "$urgent" status)"
assert_match "INFO helpdesk counts merged tickets" "*tickets_merged:11*" \
    "$(r INFO helpdesk | tr -d '\r')"
check_clean "after the flood" $D

# closing the master closes its merged tickets
assert_ok "close the master" TICKET.CLOSE $D "$mtid" RESOLUTION "fixed the load balancer"
ok=1
for id in "${ids[@]}"; do
    [ "$(field $D "$id" status)" = closed ] && [ -n "$(field $D "$id" closed_at)" ] || ok=0
done
assert_eq "every merged ticket is closed with closed_at" 1 "$ok"
assert_eq "D:stats: no merged left" 0 "$(r HGET $D:stats status:merged)"
assert_eq "D:stats: 12 closed" 12 "$(r HGET $D:stats status:closed)"
assert_eq "the incident is no longer an open master" "" "$(r HKEYS $D:flood:masters)"
assert_match "a child's log says it closed with the master" "*closed with master $mtid*" \
    "$(r TICKET.LOG $D "${ids[0]}")"
after=$(r TICKET.CREATE $D "${ALIKE[11]}")
assert_eq "after the master closed, an alike ticket stays open" open "$(field $D "$after" status)"
check_clean "after closing the master" $D

# ---- unlike tickets never merge --------------------------------------------
section f2
r DESK.CONFIG SET $D flood-threshold 2 >/dev/null
UNLIKE=(
    "Server outage, cannot log in"
    "Refund request for order 123"
    "Printer is out of toner"
    "Cannot log in after password reset"
    "Invoice amount is wrong"
    "Website shows wrong prices"
    "Package delivered to wrong address"
    "Need VPN access for a new hire"
    "Server room air conditioning broken"
    "Cannot log in to email"
    "Cannot log in to VPN"
    "Login page has a typo"
    "Login page not loading"
    "hi"
    "hi"
)
for t in "${UNLIKE[@]}"; do r TICKET.CREATE $D "$t" >/dev/null; done
assert_eq "15 different texts (threshold 2): nothing merged" "" \
    "$(r HGET $D:stats status:merged)"
assert_eq "no master incident" "" "$(r HKEYS $D:flood:masters)"
check_clean "unlike tickets" $D

# pairs that are alike (threshold 2: the second opens an incident)
n=0
while IFS='|' read -r a b; do
    n=$((n + 1))
    r DESK.CONFIG SET "p$n" flood-threshold 2 >/dev/null
    r TICKET.CREATE "p$n" "$a" >/dev/null
    t2=$(r TICKET.CREATE "p$n" "$b")
    assert_eq "alike: '$a' ~ '$b'" merged "$(field "p$n" "$t2" status)"
done <<'EOF'
Server outage, cannot log in|server outage - can't login!!
Payment failed at checkout|payment failing on check out
Cannot connect to the wifi|can't connect to wi-fi
Order #1234 charged twice|order #5678 was charged twice
Email not working since this morning|e-mail is not working this morning
App crashes on startup|the app crashed at start up
Server outage—cannot log in|server outage – can’t log in…
Störung: Anmeldung nicht möglich|störung — anmeldung nicht möglich!
EOF

# ---- the window ------------------------------------------------------------
section f3
r DESK.CONFIG SET $D flood-window 1 >/dev/null
r DESK.CONFIG SET $D flood-threshold 3 >/dev/null
old1=$(r TICKET.CREATE $D "Checkout page shows error 500")
old2=$(r TICKET.CREATE $D "checkout page shows error 502")
# the one wait of this suite: until the server's clock is past the 1 s window
wait_until clock_past $(($(field $D "$old2" created_at) + 1100))
# one redis-cli call so the three tickets land well inside one window
mapfile -t new < <(printf 'TICKET.CREATE %s "%s"\n' \
    $D "Checkout page shows error 500" $D "checkout page shows error 503!" \
    $D "Checkout page shows error 500" | r)
assert_eq "tickets older than the window are not merged" "open open" \
    "$(field $D "$old1" status) $(field $D "$old2" status)"
m3=$(r HKEYS $D:flood:masters)
assert_match "3 alike tickets inside the window open an incident" "[0-9]*" "$m3"
assert_eq "the window's 3 tickets are merged" "merged merged merged" \
    "$(for t in "${new[@]}"; do field $D "$t" status; done | tr '\n' ' ' | sed 's/ $//')"
assert_eq "the master has exactly the window's 3 tickets" 3 "$(r SCARD $D:flood:children:$m3)"
check_clean "window" $D

# ---- threshold 0 turns detection off ---------------------------------------
section f4
r DESK.CONFIG SET $D flood-threshold 0 >/dev/null
for i in $(seq 0 11); do r TICKET.CREATE $D "${ALIKE[$i]}" >/dev/null; done
assert_eq "threshold 0: 12 alike tickets stay open" 12 "$(r HGET $D:stats status:open)"
assert_eq "threshold 0: no flood state at all" "" "$(r KEYS "$D:flood:*")"
check_clean "threshold 0" $D

# ---- TICKET.MERGE by hand ---------------------------------------------------
section f5
r AGENT.CREATE $D A1 Ann SKILLS general billing technical account >/dev/null
for i in 1 2 3 4 5 6 7 8; do r TICKET.CREATE $D "manual ticket number $i about topic $i$i" >/dev/null; done
r TICKET.ASSIGN $D 1 A1 FORCE >/dev/null
r TICKET.CLOSE $D 8 >/dev/null
assert_nochange "MERGE without INTO" -c ERR TICKET.MERGE $D 1 WITH 2
assert_nochange "MERGE arity" -c ERR TICKET.MERGE $D 1 INTO
assert_nochange "MERGE missing ticket" -c NOTFOUND TICKET.MERGE $D 99 INTO 2
assert_nochange "MERGE missing master" -c NOTFOUND TICKET.MERGE $D 1 INTO 99
assert_nochange "MERGE into itself" -c INVALID TICKET.MERGE $D 1 INTO 1
assert_nochange "MERGE bad id" -c INVALID TICKET.MERGE $D x INTO 2
assert_nochange "MERGE a closed ticket" -c STATE TICKET.MERGE $D 8 INTO 2
assert_nochange "MERGE into a closed ticket" -c STATE TICKET.MERGE $D 1 INTO 8
assert_nochange "MERGE bad desk" -c INVALID TICKET.MERGE "bad:desk" 1 INTO 2
r SET $D:flood:children:2 oops >/dev/null
assert_nochange "MERGE with a wrong-type children key" -c INVALID TICKET.MERGE $D 1 INTO 2
r DEL $D:flood:children:2 >/dev/null

merged_before=$(info_field helpdesk helpdesk_tickets_merged)
assert_ok "merge assigned ticket 1 into 2" TICKET.MERGE $D 1 into 2
assert_eq "ticket 1 merged into 2" "merged 2" "$(field $D 1 status) $(field $D 1 master)"
assert_eq "2 became a master" self "$(field $D 2 master)"
assert_eq "A1's load decremented" 0 "$(r HGET $D:agent:A1 load)"
assert_eq "ticket 1 off A1's set" 0 "$(r SISMEMBER $D:agent:A1:open_tickets ticket:1)"
assert_eq "ticket 1 has no agent" "" "$(field $D 1 assigned_agent)"
assert_nochange "MERGE a merged ticket" -c STATE TICKET.MERGE $D 1 INTO 3
assert_nochange "MERGE into a merged ticket" -c STATE TICKET.MERGE $D 3 INTO 1
assert_nochange "STATUS of a merged ticket to open" -c STATE TICKET.STATUS $D 1 open
assert_ok "merge 3 into 2" TICKET.MERGE $D 3 INTO 2
assert_eq "INFO tickets_merged counts the 2 manual merges" "$((merged_before + 2))" \
    "$(info_field helpdesk helpdesk_tickets_merged)"
check_clean "manual merge" $D

# a merged ticket closed on its own leaves its master's list
assert_ok "close merged ticket 3 on its own" TICKET.CLOSE $D 3
assert_eq "3 left the master's children" 0 "$(r SISMEMBER $D:flood:children:2 ticket:3)"
assert_ok "close master 2" TICKET.CLOSE $D 2
assert_eq "its remaining child closed" closed "$(field $D 1 status)"
assert_eq "children list gone" 0 "$(r EXISTS $D:flood:children:2)"
check_clean "closing a manual master" $D

# merging a master into another moves its children
assert_ok "6 into 5" TICKET.MERGE $D 6 INTO 5
assert_ok "master 5 into 7" TICKET.MERGE $D 5 INTO 7
assert_eq "5 merged into 7" "merged 7" "$(field $D 5 status) $(field $D 5 master)"
assert_eq "5's child now points at 7" "merged 7" "$(field $D 6 status) $(field $D 6 master)"
assert_eq "7 lists both" "ticket:5 ticket:6" "$(r SMEMBERS $D:flood:children:7 | sort | tr '\n' ' ' | sed 's/ $//')"
assert_eq "5's list is gone" 0 "$(r EXISTS $D:flood:children:5)"
check_clean "merging a master" $D

# ---- deleting a master reopens its merged tickets --------------------------
section f6
for i in 1 2 3; do r TICKET.CREATE $D "delete scenario ticket $i with words $i$i$i" PRIORITY 10 >/dev/null; done
due1=$(field $D 1 sla_due_at)
r TICKET.MERGE $D 1 INTO 3 >/dev/null
r TICKET.MERGE $D 2 INTO 3 >/dev/null
assert_eq "delete the master" 1 "$(r TICKET.DEL $D 3)"
assert_eq "its merged tickets are open again" "open open" "$(field $D 1 status) $(field $D 2 status)"
assert_eq "without a master field" "" "$(field $D 1 master)"
assert_eq "back in the priority queue" 10 "$(r ZSCORE $D:queue:priority ticket:1)"
assert_eq "with their own SLA" "$due1" "$(r ZSCORE $D:queue:sla ticket:1)"
cat1=$(field $D 1 category)
assert_match "back in the routing queue" "[0-9]*" "$(r ZSCORE "$D:queue:unassigned:$cat1" ticket:1)"
assert_match "logged" "*reopened: master 3 was deleted*" "$(r TICKET.LOG $D 1)"
assert_eq "no flood keys left" "" "$(r KEYS "$D:flood:*")"
check_clean "deleting a master" $D
assert_eq "deleting a merged ticket" 1 "$(r TICKET.MERGE $D 1 INTO 2 >/dev/null; r TICKET.DEL $D 1)"
assert_eq "it left its master's list" 0 "$(r SISMEMBER $D:flood:children:2 ticket:1)"
check_clean "deleting a merged ticket" $D

# ---- wrong-type flood keys: a create fails cleanly --------------------------
section f7
r SET $D:flood:recent oops >/dev/null
assert_nochange "TICKET.CREATE with a wrong-type D:flood:recent" -c INVALID \
    TICKET.CREATE $D "anything at all"

# ---- the window in memory follows the data ----------------------------------
# The module keeps a copy of D:flood:recent in memory. Whatever happens to the
# key, the decisions are the ones its contents give.
statuses() { local d=$1; shift; for t in "$@"; do field "$d" "$t" status; done | tr '\n' ' ' | sed 's/ $//'; }
member_of() { r ZRANGE "$1:flood:recent" 0 -1 | grep "^$2:"; }

section c1    # the copy is dropped by DEBUG RELOAD: the flood is still seen
r DESK.CONFIG SET $D flood-threshold 3 >/dev/null
a=$(r TICKET.CREATE $D "${ALIKE[0]}") b=$(r TICKET.CREATE $D "${ALIKE[1]}")
assert_ok "DEBUG RELOAD between alike tickets" DEBUG RELOAD
c=$(r TICKET.CREATE $D "${ALIKE[2]}")
assert_eq "a flood spanning DEBUG RELOAD is detected" "merged merged merged" "$(statuses $D $a $b $c)"
assert_eq "its incident has the 3 tickets" 3 "$(r SCARD "$D:flood:children:$(r HKEYS $D:flood:masters)")"

section c2    # DEL of the window: what it held no longer counts
r DESK.CONFIG SET $D flood-threshold 3 >/dev/null
a=$(r TICKET.CREATE $D "${ALIKE[0]}") b=$(r TICKET.CREATE $D "${ALIKE[1]}")
r DEL $D:flood:recent >/dev/null
c=$(r TICKET.CREATE $D "${ALIKE[2]}")
assert_eq "after DEL D:flood:recent, earlier alike tickets do not count" "open open open" \
    "$(statuses $D $a $b $c)"
d=$(r TICKET.CREATE $D "${ALIKE[3]}") e=$(r TICKET.CREATE $D "${ALIKE[4]}")
assert_eq "three alike tickets after the DEL make a flood, without the earlier two" \
    "open open merged merged merged" "$(statuses $D $a $b $c $d $e)"

section c3    # ZREM of one entry by hand: that ticket is left out
r DESK.CONFIG SET $D flood-threshold 3 >/dev/null
a=$(r TICKET.CREATE $D "${ALIKE[0]}") b=$(r TICKET.CREATE $D "${ALIKE[1]}")
r ZREM $D:flood:recent "$(member_of $D "$b")" >/dev/null
c=$(r TICKET.CREATE $D "${ALIKE[2]}")
assert_eq "an entry removed by hand does not count" "open open open" "$(statuses $D $a $b $c)"
d=$(r TICKET.CREATE $D "${ALIKE[3]}")
assert_eq "the flood is the tickets still in the window" "merged open merged merged" \
    "$(statuses $D $a $b $c $d)"

section c4    # an entry replaced by hand (same size): the new one counts like any other
r DESK.CONFIG SET $D flood-threshold 3 >/dev/null
u=$(r TICKET.CREATE $D "Printer is out of toner")
a=$(r TICKET.CREATE $D "${ALIKE[0]}")
m=$(member_of $D "$a")
r ZREM $D:flood:recent "$(member_of $D "$u")" >/dev/null
r ZADD $D:flood:recent "$(r ZSCORE $D:flood:recent "$m")" "$u:${m#*:}" >/dev/null
c=$(r TICKET.CREATE $D "${ALIKE[1]}")
assert_eq "a ticket given an alike entry by hand joins the flood" "merged merged merged" \
    "$(statuses $D $u $a $c)"

section c5    # DESK.PURGE deletes the window without an event; ids start again at 1
r DESK.CONFIG SET $D flood-threshold 2 >/dev/null
r TICKET.CREATE $D "${ALIKE[0]}" >/dev/null
r DESK.PURGE $D >/dev/null
r DESK.CONFIG SET $D flood-threshold 2 >/dev/null
p=$(r TICKET.CREATE $D "Printer is out of toner")
s=$(r TICKET.CREATE $D "${ALIKE[1]}")
assert_eq "after DESK.PURGE ids are reused" 1 "$p"
assert_eq "after DESK.PURGE the purged window is not used" "open open" "$(statuses $D $p $s)"

section c6    # SWAPDB: each db's window is its own, even with the same sizes
r DESK.CONFIG SET $D flood-threshold 2 >/dev/null
r TICKET.CREATE $D "${ALIKE[0]}" >/dev/null
r -n 1 DESK.CONFIG SET $D flood-threshold 2 >/dev/null
r -n 1 TICKET.CREATE $D "Printer is out of toner" >/dev/null
r SWAPDB 0 1 >/dev/null
s=$(r TICKET.CREATE $D "${ALIKE[1]}")
assert_eq "after SWAPDB the window of the db's own data is used" "open open" \
    "$(statuses $D 1 "$s")"
r SWAPDB 0 1 >/dev/null
s=$(r TICKET.CREATE $D "${ALIKE[1]}")
assert_eq "swapped back, the flood of that db is seen" "merged merged" "$(statuses $D 1 "$s")"

section c7    # detection turned off after entries were recorded: closing still forgets
r DESK.CONFIG SET $D flood-threshold 3 >/dev/null
a=$(r TICKET.CREATE $D "${ALIKE[0]}") b=$(r TICKET.CREATE $D "${ALIKE[1]}")
r DESK.CONFIG SET $D flood-threshold 0 >/dev/null
r TICKET.CLOSE $D "$a" >/dev/null
assert_eq "with detection off, closing a ticket still drops its entry" "$b" \
    "$(r ZRANGE $D:flood:recent 0 -1 | cut -d: -f1)"
r DESK.CONFIG SET $D flood-threshold 3 >/dev/null
c=$(r TICKET.CREATE $D "${ALIKE[2]}")
assert_eq "turned on again, the closed ticket does not count" "open open" "$(statuses $D "$b" "$c")"
d=$(r TICKET.CREATE $D "${ALIKE[3]}")
assert_eq "... and the others do" "merged merged merged" "$(statuses $D "$b" "$c" "$d")"

# ---- the replica saw the same ----------------------------------------------
r WAIT 1 5000 >/dev/null
assert_eq "replica digest equals the master's" "$(dbdigest)" "$(rr DEBUG DIGEST)"
assert_eq "replica: a flood ticket closed with its master" "closed $mtid" \
    "$(rr HGET f1:ticket:"${ids[0]}" status) $(rr HGET f1:ticket:"${ids[0]}" master)"

# ---- the copy follows the module's own writes --------------------------------
# Its own ZADD of each new ticket (and ZREM of a merged or closed one) is
# mirrored into the copy: the copy is built once, not once per create (a
# build decodes the whole window).
section c9
D_SAVED=$D D=fc9
builds() { info_field helpdesk helpdesk_flood_window_builds; }
r TICKET.CREATE $D "copy probe zero: printer jammed on the third floor" >/dev/null
before=$(builds)
# Thirty texts that share no words (so none is alike another and merges).
WORDS=(invoice refund card payment login password error page crash update parcel
    tracking delivery address label return shoes jacket mug size account email phone
    profile data privacy contract terms store hours coupon discount voucher renewal
    cancel upgrade plan price tax printer scanner laptop battery screen keyboard mouse
    cable charger router wifi network server outage slow timeout database backup
    restore sync calendar meeting invite message chat notification alert report export
    import warranty repair broken damaged missing wrong late early duplicate blocked
    verify identity document passport bank transfer wallet balance statement fee
    garden kitchen bicycle tent camera lens tripod helmet gloves scarf umbrella)
for i in $(seq 0 29); do
    r TICKET.CREATE $D "${WORDS[3*i]} ${WORDS[3*i+1]} ${WORDS[3*i+2]}" >/dev/null
done
t=$(r TICKET.CREATE $D "copy probe closed: the scanner is broken")
r TICKET.CLOSE $D "$t" >/dev/null
r TICKET.CREATE $D "copy probe after the close: login page is slow" >/dev/null
assert_eq "32 creates and a close build the desk's copy at most once" 1 \
    "$([ $(( $(builds) - before )) -le 1 ] && echo 1 || echo "$(( $(builds) - before )) builds")"
assert_eq "the window holds every open ticket of the desk" 32 "$(r ZCARD $D:flood:recent)"
r ZREM $D:flood:recent "$(r ZRANGE $D:flood:recent 0 0)" >/dev/null
before=$(builds)
r TICKET.CREATE $D "copy probe after a hand ZREM: the invoice total is wrong" >/dev/null
assert_eq "a client's ZREM of the window drops the copy: it is built again" 1 \
    "$(( $(builds) - before ))"
D=$D_SAVED

# ---- a promoted replica goes on from the data it received ------------------
section c8
r DESK.CONFIG SET $D flood-threshold 3 >/dev/null
a=$(r TICKET.CREATE $D "${ALIKE[0]}") b=$(r TICKET.CREATE $D "${ALIKE[1]}")
r WAIT 1 5000 >/dev/null
rr REPLICAOF NO ONE >/dev/null
c=$(rr TICKET.CREATE $D "${ALIKE[2]}")
assert_eq "a flood spanning a promotion is seen by the promoted replica" "merged merged merged" \
    "$(for t in "$a" "$b" "$c"; do rr HGET "$D:ticket:$t" status; done | tr '\n' ' ' | sed 's/ $//')"
stop_replica
finish
