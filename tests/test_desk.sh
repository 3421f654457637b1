#!/usr/bin/env bash
# DESK.CONFIG (every setting, bad values, unknown names, sla.<p> fallback seen
# through TICKET.CREATE), DESK.STATS, DESK.PURGE, the desk-name checks of the
# dispatcher, arity, and the docs / key specs of every module command.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server

rep() { printf "%${2}s" '' | tr ' ' "$1"; }
# sla_due_at - created_at of a ticket, in seconds.
slasecs() {
    local c s
    c=$(r HGET "$1:ticket:$2" created_at) s=$(r HGET "$1:ticket:$2" sla_due_at)
    echo $(( (s - c) / 1000 ))
}
# SLA seconds a new ticket of priority P gets on desk $D.
SEQ=0
sla_for() {
    SEQ=$((SEQ + 1))
    slasecs $D "$(r TICKET.CREATE $D "sla probe $SEQ for priority $1" PRIORITY "$1" CATEGORY general)"
}

# ---------------------------------------------------------------- CONFIG GET
section hq
assert_eq "GET of a fresh desk: every setting with its default" \
    '{"alert-threshold":0.8,"flood-window":60,"flood-threshold":10,"default-capacity":15,"auto-route":"no","events-maxlen":100000,"chat-maxlen":10000,"state-ttl":1800,"state-history-max":200,"categories":"billing,technical,legal,returns,shipping,account,general","learn-from-corrections":"no","hours":"mon-fri 09:00-17:00","timezone":"UTC","holidays":"","sla-hours":"calendar","sla-pause-on-hold":"no","sla-warn-percent":80,"skill-timeout":0,"reassign-after":0,"sla.1":259200,"sla.5":86400,"sla.10":14400,"sla.20":3600}' \
    "$(rj DESK.CONFIG GET $D)"
assert_eq "GET with no setting stored writes nothing" 0 "$(r EXISTS $D:config)"
for kv in alert-threshold=0.8 flood-window=60 flood-threshold=10 default-capacity=15 \
          auto-route=no events-maxlen=100000 chat-maxlen=10000 state-ttl=1800 \
          state-history-max=200 sla.1=259200 sla.5=86400 sla.10=14400 sla.20=3600 \
          categories=billing,technical,legal,returns,shipping,account,general; do
    assert_eq "GET ${kv%%=*} (default)" "${kv#*=}" "$(r DESK.CONFIG GET $D "${kv%%=*}")"
done
assert_eq "GET names ignore case" 60 "$(r DESK.CONFIG get $D FLOOD-Window)"
assert_eq "GET sla.<p> without its own target shows the next lower one" 14400 \
    "$(r DESK.CONFIG GET $D sla.15)"
assert_eq "GET sla.1000 falls back to sla.20" 3600 "$(r DESK.CONFIG GET $D sla.1000)"
for bad in nope alert_threshold sla sla. sla.0 sla.1001 sla.05 sla.x sla.-1 sla.+5 'sla. 5' \
           '' "$(rep a 70)"; do
    assert_nochange "GET of unknown setting '${bad:0:12}' fails INVALID" -c INVALID \
        DESK.CONFIG GET $D "$bad"
done

# ---------------------------------------------------------------- CONFIG SET
section cfgset
# name, value given, value read back
while read -r name given want; do
    assert_ok "SET $name $given" DESK.CONFIG SET $D "$name" "$given"
    assert_eq "GET $name after SET" "$want" "$(r DESK.CONFIG GET $D "$name")"
    assert_eq "stored in $D:config as $want" "$want" "$(r HGET $D:config "$name")"
done <<'EOF'
alert-threshold 0.5 0.5
alert-threshold 0.1234567 0.1234567
alert-threshold 1 1
alert-threshold 0 0
alert-threshold 5e-1 0.5
alert-threshold .25 0.25
alert-threshold 0.9 0.9
flood-window 1 1
flood-window 86400 86400
flood-window 120 120
flood-threshold 0 0
flood-threshold 1000000 1000000
flood-threshold 25 25
default-capacity 0 0
default-capacity 100000 100000
default-capacity 3 3
auto-route YES yes
auto-route no no
events-maxlen 0 0
events-maxlen 1000000000 1000000000
events-maxlen 500 500
chat-maxlen 1 1
chat-maxlen 20000 20000
state-ttl 1 1
state-ttl 31536000 31536000
state-ttl 60 60
state-history-max 1 1
state-history-max 1000000 1000000
state-history-max 50 50
sla.20 60 60
sla.1000 1 1
sla.1000 315360000 315360000
EOF
assert_ok "SET names ignore case" DESK.CONFIG SET $D STATE-TTL 70
assert_eq "stored under the lower-case name" "70 0" \
    "$(echo "$(r HGET $D:config state-ttl) $(r HEXISTS $D:config STATE-TTL)")"
assert_ok "SET categories: case, blanks, commas, duplicates" \
    DESK.CONFIG SET $D categories 'Billing, tech  legal , billing'
assert_eq "categories are normalised and general is added" billing,tech,legal,general \
    "$(r DESK.CONFIG GET $D categories)"
assert_eq "the normalised form is what is stored" billing,tech,legal,general \
    "$(r HGET $D:config categories)"
assert_ok "SET categories with general in the middle keeps its place" \
    DESK.CONFIG SET $D categories 'general,billing,technical,tech,legal,returns,shipping,account'
assert_eq "GET categories" general,billing,technical,tech,legal,returns,shipping,account \
    "$(r DESK.CONFIG GET $D categories)"
cats=$(for i in $(seq -w 1 63); do printf 'c%s%s,' "$i" "$(rep x 29)"; done)
assert_ok "SET 63 categories of 32 bytes" DESK.CONFIG SET $D categories "${cats%,}"
assert_eq "all 63 and general are kept, nothing cut" "${cats}general" \
    "$(r DESK.CONFIG GET $D categories)"
assert_nochange "a 64th category fails INVALID" -c INVALID \
    DESK.CONFIG SET $D categories "${cats}c64"
short=$(seq -s, -f 'k%g' 1 63)
assert_ok "SET 63 short categories" DESK.CONFIG SET $D categories "$short"
assert_eq "they load back with general (64 in all), not the defaults" "$short,general" \
    "$(r DESK.CONFIG GET $D categories)"
assert_ok "general first, then 63 more" DESK.CONFIG SET $D categories "general,$short"
assert_eq "64 in all, general first" "general,$short" "$(r DESK.CONFIG GET $D categories)"
r DESK.CONFIG SET $D categories 'general,billing,technical,tech,legal,returns,shipping,account' >/dev/null
after_all=$(rj DESK.CONFIG GET $D)
assert_eq "GET of everything reflects every SET" \
    '{"alert-threshold":0.9,"flood-window":120,"flood-threshold":25,"default-capacity":3,"auto-route":"no","events-maxlen":500,"chat-maxlen":20000,"state-ttl":70,"state-history-max":50,"categories":"general,billing,technical,tech,legal,returns,shipping,account","learn-from-corrections":"no","hours":"mon-fri 09:00-17:00","timezone":"UTC","holidays":"","sla-hours":"calendar","sla-pause-on-hold":"no","sla-warn-percent":80,"skill-timeout":0,"reassign-after":0,"sla.1":259200,"sla.5":86400,"sla.10":14400,"sla.20":60,"sla.1000":315360000}' \
    "$after_all"

while read -r name bad; do
    [ "$bad" = "''" ] && bad=''
    assert_nochange "SET $name '$bad' fails INVALID" -c INVALID DESK.CONFIG SET $D "$name" "$bad"
done <<'EOF'
alert-threshold 1.5
alert-threshold -0.1
alert-threshold abc
alert-threshold ''
alert-threshold nan
alert-threshold inf
alert-threshold 0.5x
alert-threshold +0.5
alert-threshold -0
alert-threshold 0x1p-1
flood-window 0
flood-window 86401
flood-window 1.5
flood-window +60
flood-window ''
flood-threshold -1
flood-threshold 1000001
flood-threshold ten
default-capacity -1
default-capacity 100001
auto-route maybe
auto-route 1
auto-route ''
events-maxlen -1
events-maxlen 1000000001
chat-maxlen 0
state-ttl 0
state-ttl 31536001
state-history-max 0
state-history-max 1000001
categories bad!
categories a;b
sla.5 0
sla.5 abc
sla.5 315360001
sla.5 -5
EOF
assert_nochange "SET flood-window ' 60' (leading blank) fails INVALID" -c INVALID \
    DESK.CONFIG SET $D flood-window ' 60'
assert_nochange "SET a 33-byte category fails INVALID" -c INVALID \
    DESK.CONFIG SET $D categories "billing,$(rep c 33)"
assert_nochange "SET a 5000-byte value fails INVALID" -c INVALID \
    DESK.CONFIG SET $D categories "$(rep a 5000)"
for bad in nope alert_threshold sla sla.0 sla.1001 sla.05 sla.x sla.+5 'sla. 5' ''; do
    assert_nochange "SET of unknown setting '$bad' fails INVALID" -c INVALID \
        DESK.CONFIG SET $D "$bad" 10
done
assert_nochange "CONFIG with neither GET nor SET fails ERR" -c ERR DESK.CONFIG $D DEL x
assert_nochange "CONFIG GET with two names fails ERR" -c ERR DESK.CONFIG GET $D state-ttl chat-maxlen
assert_nochange "CONFIG SET without a value fails ERR" -c ERR DESK.CONFIG SET $D state-ttl
assert_nochange "CONFIG SET with an extra argument fails ERR" -c ERR DESK.CONFIG SET $D state-ttl 1 2
assert_nochange "CONFIG without an action fails ERR" -c ERR DESK.CONFIG $D
assert_eq "nothing changed through the failures" "$after_all" "$(rj DESK.CONFIG GET $D)"

# Values written by hand outside DESK.CONFIG.
r HSET $D:config flood-window abc categories 'foo,BAD!' state-ttl 5 >/dev/null
assert_eq "a tampered integer reads as its default" 60 "$(r DESK.CONFIG GET $D flood-window)"
assert_eq "a tampered category list reads as the default list, not half of it" \
    billing,technical,legal,returns,shipping,account,general "$(r DESK.CONFIG GET $D categories)"
assert_eq "a valid hand-written value is used" 5 "$(r DESK.CONFIG GET $D state-ttl)"
r DEL $D:config >/dev/null

# ---------------------------------------------------------------- settings at work
section work
# Many look-alike tickets follow: keep flood detection from merging them.
r DESK.CONFIG SET $D flood-threshold 0 >/dev/null
assert_eq "default SLA of priority 1" 259200 "$(sla_for 1)"
assert_eq "priority 3 takes sla.1" 259200 "$(sla_for 3)"
assert_eq "default SLA of priority 5" 86400 "$(sla_for 5)"
assert_eq "priority 7 takes sla.5" 86400 "$(sla_for 7)"
assert_eq "default SLA of priority 10" 14400 "$(sla_for 10)"
assert_eq "priority 15 takes sla.10" 14400 "$(sla_for 15)"
assert_eq "default SLA of priority 20" 3600 "$(sla_for 20)"
assert_eq "priority 1000 takes sla.20" 3600 "$(sla_for 1000)"
assert_ok "SET sla.15 7000" DESK.CONFIG SET $D sla.15 7000
assert_eq "priority 15 now has its own target" 7000 "$(sla_for 15)"
assert_eq "priority 17 takes sla.15" 7000 "$(sla_for 17)"
assert_eq "priority 14 still takes sla.10" 14400 "$(sla_for 14)"
assert_eq "priority 20 keeps sla.20" 3600 "$(sla_for 20)"
assert_eq "GET sla.17 shows the target in use" 7000 "$(r DESK.CONFIG GET $D sla.17)"
assert_ok "SET sla.1 200000 changes the lowest target" DESK.CONFIG SET $D sla.1 200000
assert_eq "priority 4 takes the new sla.1" 200000 "$(sla_for 4)"
assert_ok "SET sla.3 100000" DESK.CONFIG SET $D sla.3 100000
assert_eq "priority 4 takes sla.3" 100000 "$(sla_for 4)"
assert_eq "priority 2 takes sla.1" 200000 "$(sla_for 2)"
assert_eq "SLA on TICKET.CREATE overrides the target" 7777 \
    "$(slasecs $D "$(r TICKET.CREATE $D x PRIORITY 4 SLA 7777)")"

assert_nochange "CATEGORY outside the desk's categories fails INVALID" -c INVALID \
    TICKET.CREATE $D x CATEGORY warranty
assert_ok "SET categories adds warranty" DESK.CONFIG SET $D categories billing,warranty
assert_match "now CATEGORY warranty is accepted" '[0-9]*' "$(r TICKET.CREATE $D x CATEGORY warranty)"
assert_nochange "a category no longer listed fails INVALID" -c INVALID \
    TICKET.CREATE $D x CATEGORY technical

n=$(r XLEN $D:events)
assert_ok "SET events-maxlen 0" DESK.CONFIG SET $D events-maxlen 0
r TICKET.CREATE $D quiet >/dev/null
assert_eq "events-maxlen 0: no event is added" "$n" "$(r XLEN $D:events)"
r DESK.CONFIG SET $D events-maxlen 100000 >/dev/null

assert_ok "SET default-capacity 2" DESK.CONFIG SET $D default-capacity 2
r AGENT.CREATE $D A1 Ann SKILLS billing >/dev/null
assert_eq "a new agent gets capacity 2" 2 "$(r HGET $D:agent:A1 capacity)"
t=$(r TICKET.CREATE $D "not routed" CATEGORY billing)
assert_eq "auto-route no: a new ticket stays unassigned" 0 "$(r HEXISTS $D:ticket:$t assigned_agent)"
assert_ok "SET auto-route yes" DESK.CONFIG SET $D auto-route yes
t=$(r TICKET.CREATE $D "routed" CATEGORY billing)
assert_eq "auto-route yes: a new ticket goes to the online agent" A1 "$(r HGET $D:ticket:$t assigned_agent)"

# ---------------------------------------------------------------- STATS
section st
before=$(dbdigest)
assert_eq "STATS of an empty desk" \
    '{"status":{"open":0,"in_progress":0,"on_hold":0,"closed":0,"merged":0},"category":{"billing":0,"technical":0,"legal":0,"returns":0,"shipping":0,"account":0,"general":0},"unassigned":0,"overdue":0,"agents":0,"agents_online":0,"total_load":0,"total_capacity":0}' \
    "$(rj DESK.STATS st)"
assert_eq "STATS writes nothing" "$before" "$(dbdigest)"
r AGENT.CREATE $D A1 Ann SKILLS billing CAPACITY 5 >/dev/null
r AGENT.CREATE $D A2 Bob SKILLS technical CAPACITY 2 >/dev/null
r AGENT.CREATE $D A3 Cy CAPACITY 1 >/dev/null
r AGENT.AVAILABILITY $D A3 offline >/dev/null
t1=$(r TICKET.CREATE $D a CATEGORY billing PRIORITY 10)
t2=$(r TICKET.CREATE $D b CATEGORY billing PRIORITY 5)
t3=$(r TICKET.CREATE $D c CATEGORY technical PRIORITY 5)
t4=$(r TICKET.CREATE $D d CATEGORY general PRIORITY 5)
t5=$(r TICKET.CREATE $D e CATEGORY legal PRIORITY 5)
t6=$(r TICKET.CREATE $D f CATEGORY billing PRIORITY 5)
r TICKET.ASSIGN $D "$t1" A1 >/dev/null
r TICKET.ASSIGN $D "$t2" A1 >/dev/null
r TICKET.STATUS $D "$t2" in_progress >/dev/null
r TICKET.ASSIGN $D "$t3" A2 >/dev/null
r TICKET.STATUS $D "$t4" on_hold >/dev/null
r TICKET.CLOSE $D "$t5" >/dev/null
# Overdue by hand: the SLA timer is held off so no breach mark lands between
# the digests of the failing commands below (it would be a timing race).
SLA_MS=$(r CONFIG GET helpdesk.sla-timer-ms | tail -n 1)
r CONFIG SET helpdesk.sla-timer-ms 0 >/dev/null
r TICKET.UPDATE $D "$t6" sla_due_at 1 >/dev/null
r TICKET.UPDATE $D "$t4" sla_due_at 2 >/dev/null
assert_eq "STATS counts statuses, categories, unassigned, overdue, agents" \
    '{"status":{"open":3,"in_progress":1,"on_hold":1,"closed":1,"merged":0},"category":{"billing":3,"technical":1,"legal":1,"returns":0,"shipping":0,"account":0,"general":1},"unassigned":2,"overdue":2,"agents":3,"agents_online":2,"total_load":3,"total_capacity":8}' \
    "$(rj DESK.STATS $D)"
assert_eq "RESP2 STATS is a flat array" "status open 3" "$(r DESK.STATS $D | head -n 3 | paste -sd' ')"
# t3 (technical) is still active: removing its category needs FORCE; the
# closed legal ticket does not count.
assert_nochange "dropping a category with an active ticket fails STATE" -c STATE \
    DESK.CONFIG SET $D categories billing
assert_match "the STATE error says how many tickets" "STATE 1 active ticket is still in*" \
    "$(rerrmsg DESK.CONFIG SET $D categories billing)"
assert_nochange "FORCE applies only to categories" -c ERR DESK.CONFIG SET $D state-ttl 5 FORCE
r CONFIG SET helpdesk.sla-timer-ms "$SLA_MS" >/dev/null
assert_ok "drop technical and legal from the categories with FORCE" \
    DESK.CONFIG SET $D categories billing FORCE
assert_eq "FORCE moved the active technical ticket to general" general \
    "$(r HGET $D:ticket:$t3 category)"
assert_eq "the closed legal ticket keeps its category" legal "$(r HGET $D:ticket:$t5 category)"
assert_match "the move is logged" "*category technical -> general (category removed)*" \
    "$(r TICKET.LOG $D "$t3")"
assert_eq "DESK.CHECK is clean after FORCE" "" "$(r DESK.CHECK $D)"
assert_eq "STATS still counts tickets of categories no longer listed" \
    '{"status":{"open":3,"in_progress":1,"on_hold":1,"closed":1,"merged":0},"category":{"billing":3,"general":2,"legal":1},"unassigned":2,"overdue":2,"agents":3,"agents_online":2,"total_load":3,"total_capacity":8}' \
    "$(rj DESK.STATS $D)"
r DEL $D:config >/dev/null
# Overdue tickets get marked by the SLA timer at any moment, which would
# change the digest under the no-change checks below: give them a due time
# far ahead again.
far=$(( $(r HGET $D:ticket:$t1 sla_due_at) + 86400000 ))
r TICKET.UPDATE $D "$t6" sla_due_at $far >/dev/null
r TICKET.UPDATE $D "$t4" sla_due_at $far >/dev/null
assert_eq "no ticket is overdue any more" 0 "$(r -3 DESK.STATS $D | sed -n 's/^overdue //p')"
for k in stats queue:sla agents config queue:unassigned:billing queue:unassigned:legal; do
    had=$(r EXISTS $D:$k)
    [ "$had" = 1 ] && r RENAME $D:$k $D:saved >/dev/null
    r SET $D:$k x >/dev/null
    assert_nochange "STATS with $D:$k a string fails INVALID" -c INVALID DESK.STATS $D
    r DEL $D:$k >/dev/null
    [ "$had" = 1 ] && r RENAME $D:saved $D:$k >/dev/null
done
assert_eq "STATS is back to normal" 3 "$(r -3 DESK.STATS $D | sed -n 's/^status open //p')"

# ---------------------------------------------------------------- wrong types, desk names, arity
section names
r SET $D:config x >/dev/null
assert_nochange "CONFIG GET with $D:config a string fails INVALID" -c INVALID DESK.CONFIG GET $D
assert_nochange "CONFIG SET with $D:config a string fails INVALID" -c INVALID \
    DESK.CONFIG SET $D state-ttl 5
assert_nochange "TICKET.CREATE with $D:config a string fails INVALID" -c INVALID TICKET.CREATE $D x
r DEL $D:config >/dev/null
for c in "DESK.CONFIG|GET @" "DESK.CONFIG|SET @ state-ttl 5" "DESK.STATS @" "DESK.PURGE @"; do
    read -ra w <<<"$c"
    IFS='|' read -ra name <<<"${w[0]}"   # a subcommand comes before the desk
    assert_nochange "${w[0]} with a desk name with ':' fails INVALID" -c INVALID \
        "${name[@]}" st:x "${w[@]:2}"
    assert_nochange "${w[0]} with a 65-byte desk name fails INVALID" -c INVALID \
        "${name[@]}" "$(rep s 65)" "${w[@]:2}"
done
assert_nochange "DESK.PURGE of 'st:*' (a ':' desk) deletes nothing" -c INVALID DESK.PURGE 'st:*'
assert_nochange "DESK.PURGE of '*' deletes nothing" -c INVALID DESK.PURGE '*'
assert_nochange "DESK.PURGE of 's?' deletes nothing" -c INVALID DESK.PURGE 's?'
assert_eq "DESK.STATS on a 64-byte desk name works" 0 \
    "$(r -3 DESK.STATS "$(rep s 64)" | sed -n 's/^agents //p')"
for c in "DESK.STATS" "DESK.STATS $D x" "DESK.PURGE" "DESK.PURGE $D x" "DESK.CONFIG" \
         "DESK.CONFIG $D" "DESK.CONFIG GET" "DESK.CONFIG GET $D a b" "DESK.CONFIG SET $D x" \
         "DESK.CONFIG SET $D a b c d" "DESK.CHECK" "DESK.REPAIR" "DESK.REPAIR $D x"; do
    # shellcheck disable=SC2086  # split on purpose
    assert_nochange "wrong arity: $c" -c ERR $c
done

# ---------------------------------------------------------------- PURGE
section purge
P=pz
r CUSTOMER.CREATE $P Ann ann@example.com >/dev/null
r AGENT.CREATE $P A1 Ann SKILLS billing >/dev/null
r TICKET.CREATE $P x CATEGORY billing CUSTOMER 1 ROUTE >/dev/null
r TICKET.CREATE $P y >/dev/null
r DESK.CONFIG SET $P state-ttl 9 >/dev/null
r SET $P:stray x >/dev/null
# Neighbours that must survive: other desks, and keys that only look alike.
for k in pz2:x pzz:x xpz:x pz p:z "{pz}:x" "pz.:x"; do r SET "$k" keep >/dev/null; done
r CUSTOMER.CREATE pz2 Ann ann@example.com >/dev/null
keep_before=$(for k in pz2:x pzz:x xpz:x pz p:z "{pz}:x" "pz.:x" pz2:user:1; do r DEBUG DIGEST-VALUE "$k"; done)
n=$(r KEYS "$P:*" | grep -c .)
if [ "$n" -ge 15 ]; then pass "the desk has keys of every kind ($n)"
else fail "the desk has keys of every kind" "only $n keys"; fi
assert_eq "PURGE returns the number of keys it deleted" "$n" "$(r DESK.PURGE $P)"
assert_eq "no key of the desk is left" "" "$(r KEYS "$P:*")"
assert_eq "other desks' keys and look-alike keys are untouched" "$keep_before" \
    "$(for k in pz2:x pzz:x xpz:x pz p:z "{pz}:x" "pz.:x" pz2:user:1; do r DEBUG DIGEST-VALUE "$k"; done)"
assert_eq "PURGE of an empty desk returns 0" 0 "$(r DESK.PURGE $P)"
before=$(dbdigest)
r DESK.PURGE nothing-here >/dev/null
assert_eq "PURGE of an empty desk writes nothing" "$before" "$(dbdigest)"
assert_eq "the purged desk starts again from scratch" 1 "$(r CUSTOMER.CREATE $P Ann ann@example.com)"
r DESK.PURGE $P >/dev/null

# ---------------------------------------------------------------- every command's docs and key spec
section docs
cmds=$(r COMMAND LIST FILTERBY MODULE helpdesk | sort)
want="agent.availability agent.create agent.del agent.get agent.list agent.skills agent.tickets customer.create customer.del customer.find customer.get customer.tickets customer.update desk.check desk.config desk.config|get desk.config|set desk.purge desk.repair desk.stats"
missing=$(for c in $want; do grep -qx "$c" <<<"$cmds" || echo "$c"; done)
assert_eq "COMMAND LIST FILTERBY MODULE helpdesk has every customer/agent/desk command" "" "$missing"
bad_docs="" bad_keys=""
for c in $cmds; do
    [ "$c" = desk.config ] && continue   # the container: no key, its subcommands have
    # HD.REPLAY carries a command: its desk is the carried command's (position 5).
    if [ "$c" = hd.replay ]; then
        keys=$(r COMMAND GETKEYS HD.REPLAY 1 0 "" TICKET.CREATE mydesk subject)
        [ "$keys" = mydesk ] || bad_keys+=" $c($keys)"
        summary=$(rj COMMAND DOCS "$c" | sed -nE 's/^\{"[^"]+":\{"summary":"([^"]*)".*/\1/p')
        [ -n "$summary" ] || bad_docs+=" $c"
        continue
    fi
    summary=$(rj COMMAND DOCS "$c" | sed -nE 's/^\{"[^"]+":\{"summary":"([^"]*)".*/\1/p')
    [ -n "$summary" ] || bad_docs+=" $c"
    arity=$(r COMMAND INFO "$c" | sed -n 2p)
    need=$(( arity < 0 ? -arity - 2 : arity - 2 ))
    args=()
    for ((i = 0; i < need; i++)); do args+=(x); done
    # "desk.config|get" is called as DESK.CONFIG GET desk ...; its arity
    # counts the subcommand name too.
    IFS='|' read -ra name <<<"$c"
    [ ${#name[@]} = 2 ] && args=("${args[@]:1}")
    keys=$(r COMMAND GETKEYS "${name[@]}" mydesk "${args[@]}")
    [ "$keys" = mydesk ] || bad_keys+=" $c($keys)"
done
assert_eq "every module command has a non-empty summary" "" "$bad_docs"
assert_eq "COMMAND GETKEYS of every module command returns the desk" "" "$bad_keys"
assert_match "there are module commands to check" '*desk.purge*' "$(echo $cmds)"
for sub in get set; do
    assert_match "COMMAND DOCS desk.config lists its $sub subcommand with the desk argument" \
        "*\"subcommands\":{*\"desk.config|$sub\":{*\"arguments\":\[{\"name\":\"desk\"*" \
        "$(rj COMMAND DOCS desk.config)"
done
assert_eq "DESK.CONFIG GET is readonly, SET is write" "readonly write" \
    "$(for c in 'desk.config|get' 'desk.config|set'; do r COMMAND INFO "$c" | sed -n 3p; done | paste -sd' ')"
assert_eq "the desk is the key after the subcommand name" "mydesk" \
    "$(r COMMAND GETKEYS DESK.CONFIG SET mydesk state-ttl 5)"
assert_eq "DESK.CHECK is readonly, DESK.REPAIR is write" "readonly write" \
    "$(for c in desk.check desk.repair; do r COMMAND INFO $c | sed -n 3p; done | paste -sd' ')"

# ------------------------------------------------- errors that change nothing
section errors
assert_nochange "DESK.CHECK unknown argument" -c ERR DESK.CHECK hq FIX
assert_nochange "DESK.CHECK REPAIR fails ERR" -c ERR DESK.CHECK hq REPAIR
assert_match "... naming DESK.REPAIR" "ERR *DESK.REPAIR hq*" "$(rerrmsg DESK.CHECK hq REPAIR)"
assert_nochange "DESK.CHECK too many arguments" -c ERR DESK.REPAIR hq now
assert_nochange "DESK.ADMIN bad action" -c ERR DESK.ADMIN hq PROMOTE someone
assert_nochange "DESK.ADMIN empty user" -c INVALID DESK.ADMIN hq ADD ""
r SET wt:admins notaset >/dev/null
assert_nochange "DESK.ADMIN over a wrong-type admins key" -c INVALID DESK.ADMIN wt ADD boss
assert_nochange "DESK.ADMIN LIST over a wrong-type admins key" -c INVALID DESK.ADMIN wt LIST
r SET wt:stats notahash >/dev/null
assert_nochange "TICKET.COUNTS over a wrong-type stats key" -c INVALID TICKET.COUNTS wt
r DEL wt:admins wt:stats >/dev/null
assert_ok "DESK.ADMIN ADD" DESK.ADMIN hq ADD boss
assert_eq "DESK.ADMIN LIST" boss "$(r DESK.ADMIN hq LIST)"
assert_ok "DESK.ADMIN REMOVE" DESK.ADMIN hq REMOVE boss
assert_eq "DESK.ADMIN LIST empty" "" "$(r DESK.ADMIN hq LIST)"

# ---------------------------------------------------------------- kept settings
# The module keeps a desk's parsed settings between commands; every way of
# changing D:config behind DESK.CONFIG must be seen by the next command.
section kept
fw() { r "$@" DESK.CONFIG GET kc flood-window; }
assert_eq "kept: defaults of a desk with no D:config" 60 "$(fw)"
r HSET kc:config flood-window 30 >/dev/null
assert_eq "kept: a client's HSET is seen" 30 "$(fw)"
r HDEL kc:config flood-window >/dev/null
assert_eq "kept: HDEL is seen" 60 "$(fw)"
r HSET kc:config flood-window 31 >/dev/null; fw >/dev/null
r DEL kc:config >/dev/null
assert_eq "kept: DEL is seen" 60 "$(fw)"
r HSET kc:config flood-window 32 >/dev/null; fw >/dev/null
assert_eq "kept: another db has its own settings" 60 "$(fw -n 5)"
r SWAPDB 0 5 >/dev/null
assert_eq "kept: SWAPDB is seen (db 0)" 60 "$(fw)"
assert_eq "kept: SWAPDB is seen (db 5)" 32 "$(fw -n 5)"
r SWAPDB 0 5 >/dev/null
r HSET kc:src flood-window 33 >/dev/null; fw >/dev/null
r RENAME kc:src kc:config >/dev/null
assert_eq "kept: RENAME onto D:config is seen" 33 "$(fw)"
dump=$(redis-cli -p "$PORT" --no-raw DUMP kc:config)
r HSET kc:config flood-window 34 >/dev/null; fw >/dev/null
r HSET kc:tmp flood-window 35 >/dev/null
r EVAL "redis.call('RESTORE', 'kc:config', 0, redis.call('DUMP', 'kc:tmp'), 'REPLACE')" 0 >/dev/null
assert_eq "kept: RESTORE REPLACE is seen" 35 "$(fw)"
printf 'MULTI\nHSET kc:config flood-window 36\nDESK.CONFIG GET kc flood-window\nEXEC\n' |
    redis-cli -p "$PORT" >"$SERVER_DIR/multi.out"
assert_eq "kept: an HSET earlier in the same MULTI is seen" 36 "$(tail -n 1 "$SERVER_DIR/multi.out")"
r EVAL "redis.call('HSET', 'kc:config', 'flood-window', '37'); return redis.call('DESK.CONFIG', 'GET', 'kc', 'flood-window')" 0 >/dev/null
assert_eq "kept: a script's HSET is seen" 37 "$(fw)"
r FLUSHALL >/dev/null
assert_eq "kept: FLUSHALL is seen" 60 "$(fw)"
r DESK.CONFIG SET kc flood-window 38 >/dev/null
r SAVE >/dev/null
r DESK.CONFIG SET kc flood-window 39 >/dev/null
assert_eq "kept: DESK.CONFIG SET is seen" 39 "$(fw)"
r DEBUG RELOAD NOSAVE >/dev/null
assert_eq "kept: a load (DEBUG RELOAD NOSAVE) is seen" 38 "$(fw)"
r PEXPIRE kc:config 200 >/dev/null
assert_eq "kept: a D:config with a TTL is read until it expires" 38 "$(fw)"
sleep 0.4
assert_eq "kept: its expiry is seen" 60 "$(fw)"
r HSET kc:config sla.10 100 >/dev/null
t=$(r TICKET.CREATE kc "kept settings probe" PRIORITY 10 CATEGORY general)
assert_eq "kept: commands other than DESK.CONFIG see it too" 100 "$(slasecs kc "$t")"
# Events of strings, lists, sets and streams are not watched: a D:config that
# another type replaces (or a missing one that another type creates) is seen
# by the kept settings' type look, and it is a hash again only after a DEL.
r HSET kc:config flood-window 40 >/dev/null; fw >/dev/null
r SET kc:config notahash >/dev/null
assert_err "kept: SET over D:config (a string now) is seen" INVALID DESK.CONFIG GET kc flood-window
r DEL kc:config >/dev/null; fw >/dev/null
r RPUSH kc:config a >/dev/null
assert_err "kept: a missing D:config made a list is seen" INVALID DESK.CONFIG GET kc flood-window
r DEL kc:config >/dev/null
r HSET kc:config flood-window 41 >/dev/null; fw >/dev/null
r SADD kc:tmpset a >/dev/null
r SUNIONSTORE kc:config kc:tmpset >/dev/null
assert_err "kept: SUNIONSTORE over D:config is seen" INVALID TICKET.CREATE kc "probe" PRIORITY 10 CATEGORY general
r DEL kc:config kc:tmpset >/dev/null
r HSET kc:config flood-window 42 >/dev/null
assert_eq "kept: a hash again after the DEL" 42 "$(fw)"
r DEL kc:config >/dev/null
r DESK.PURGE kc >/dev/null 2>&1

# ---------------------------------------------------------------- consistency
section consistency
for d in hq cfgset work st names; do
    assert_eq "DESK.CHECK $d finds nothing wrong" '[]' "$(rj DESK.CHECK $d)"
done
finish
