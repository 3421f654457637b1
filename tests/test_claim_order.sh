#!/usr/bin/env bash
# TICKET.CLAIM's work follows what it returns (issue 11, item 2): ORDER
# CREATED reads one creation-order twin per category queue
# (D:queue:created:<cat>, score = id) instead of seeking every priority band.
# The work is counted, not timed: INFO helpdesk_queue_seeks counts the seeks
# into routing queues, so the checks hold on a busy machine. Also: the order
# itself, a desk without twins (written before them) served correctly and
# rebuilt by DESK.REPAIR, damaged twins refused with nothing written, and a
# replica that ends with the master's digest.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
trap 'stop_replica; stop_server' EXIT

seeks() { info_field helpdesk helpdesk_queue_seeks; }
DK=co
S=20                    # categories (and skills)
P=50                    # distinct priorities
cats=$(for i in $(seq 1 $S); do printf 'c%d ' "$i"; done)

start_replica

section "set-up: $S categories x $P priorities, one ticket per pair"
assert_ok "categories" DESK.CONFIG SET $DK categories "$(echo $cats | tr ' ' ',')"
assert_ok "flood detection off" DESK.CONFIG SET $DK flood-threshold 0
# shellcheck disable=SC2086
assert_ok "agent A has every skill" AGENT.CREATE $DK A "Agent A" SKILLS $cats CAPACITY 100000
# shellcheck disable=SC2086
assert_ok "agent B has every skill" AGENT.CREATE $DK B "Agent B" SKILLS $cats CAPACITY 100000
# Priority falls as ids rise in each round, so creation order and priority
# order disagree everywhere.
for p in $(seq 1 $P); do
    for c in $cats; do
        printf 'TICKET.CREATE %s t PRIORITY %d CATEGORY %s\n' $DK $((P + 1 - p)) "$c"
    done
done | redis-cli -p "$PORT" >/dev/null
N=$((S * P))
assert_eq "$N tickets" $N "$(r GET $DK:seq:tickets)"
assert_eq "the twin of c1 holds its tickets" "$(r ZCARD $DK:queue:unassigned:c1)" "$(r ZCARD $DK:queue:created:c1)"
assert_eq "the twin scores by id" "1 $((S + 1))" "$(r ZRANGE $DK:queue:created:c1 0 1 WITHSCORES | awk 'NR % 2 == 0' | paste -sd' ')"

section "ORDER CREATED: the oldest first, one seek per queue plus one per ticket"
K=100
before=$(seeks)
got=$(r TICKET.CLAIM $DK A COUNT $K ORDER CREATED | paste -sd' ')
after=$(seeks)
assert_eq "ids 1..$K in creation order" "$(seq 1 $K | paste -sd' ')" "$got"
used=$((after - before)) created_used=$((after - before))
# general + S queues to set up, then one seek per ticket taken (+1 at the end).
limit=$((S + 1 + K + 1))
if [ "$used" -gt "$K" ] && [ "$used" -le "$limit" ]; then pass "CREATED used $used seeks (<= $limit; per band it would be >= $((S * P)))"
else fail "CREATED seeks" "used $used, more than $limit"; fi

section "ORDER PRIORITY: the most urgent first, ties by id"
before=$(seeks)
got=$(r TICKET.CLAIM $DK B COUNT $K ORDER PRIORITY | paste -sd' ')
after=$(seeks)
# Priority P was given to the first round (ids 1..S), taken by A already;
# the next rounds follow: ids S+1.. at priority P-1 and so on, minus A's.
want=$(seq $((K + 1)) $((K + K)) | paste -sd' ')
assert_eq "the next $K by priority (A took the first $K ids)" "$want" "$got"
used=$((after - before))
if [ "$used" -gt "$K" ] && [ "$used" -le "$limit" ]; then pass "PRIORITY used $used seeks (<= $limit)"
else fail "PRIORITY seeks" "used $used, more than $limit"; fi
assert_eq "DESK.CHECK clean after claiming" "[]" "$(rj DESK.CHECK $DK)"

section "work does not grow with the distinct priorities"
# The same claim on a desk with one priority: the same seeks.
D1=co1
r DESK.CONFIG SET $D1 categories "$(echo $cats | tr ' ' ',')" >/dev/null
r DESK.CONFIG SET $D1 flood-threshold 0 >/dev/null
# shellcheck disable=SC2086
r AGENT.CREATE $D1 A "Agent A" SKILLS $cats CAPACITY 100000 >/dev/null
for p in $(seq 1 $P); do
    for c in $cats; do printf 'TICKET.CREATE %s t PRIORITY 5 CATEGORY %s\n' $D1 "$c"; done
done | redis-cli -p "$PORT" >/dev/null
before=$(seeks)
r TICKET.CLAIM $D1 A COUNT $K ORDER CREATED >/dev/null
one=$(( $(seeks) - before ))
assert_eq "$P priorities cost the seeks of 1" "$one" "$created_used"

section "a desk without twins (written before them) is served, then repaired"
D2=old
r DESK.CONFIG SET $D2 categories billing,technical >/dev/null
r DESK.CONFIG SET $D2 flood-threshold 0 >/dev/null
r AGENT.CREATE $D2 A "Agent A" SKILLS billing technical CAPACITY 100 >/dev/null
for i in $(seq 1 12); do
    cat=billing; [ $((i % 2)) = 0 ] && cat=technical
    r TICKET.CREATE $D2 "t$i" PRIORITY $(( (i * 7) % 5 + 1 )) CATEGORY $cat >/dev/null
done
r DEL $D2:queue:created:billing $D2:queue:created:technical $D2:queue:created:general >/dev/null
assert_match "DESK.CHECK reports the missing entries" "*missing from old:queue:created:billing*" "$(r DESK.CHECK $D2)"
assert_eq "CLAIM ORDER CREATED still takes the oldest" "1 2 3 4" "$(r TICKET.CLAIM $D2 A COUNT 4 ORDER CREATED | paste -sd' ')"
r DESK.REPAIR $D2 >/dev/null
assert_eq "DESK.CHECK clean after the repair" "[]" "$(rj DESK.CHECK $D2)"
assert_eq "twin of billing rebuilt (ids 5 7 9 11)" "ticket:5 ticket:7 ticket:9 ticket:11" "$(r ZRANGE $D2:queue:created:billing 0 -1 | paste -sd' ')"
assert_eq "after the repair, creation order (CLAIM replies all it holds)" "1 2 3 4 5 6 7" "$(r TICKET.CLAIM $D2 A COUNT 7 ORDER CREATED | paste -sd' ')"

section "a damaged twin: refused, nothing written"
D3=bad
r DESK.CONFIG SET $D3 categories billing >/dev/null
r AGENT.CREATE $D3 A "Agent A" SKILLS billing CAPACITY 10 >/dev/null
r TICKET.CREATE $D3 first CATEGORY billing >/dev/null
r SET $D3:queue:created:billing notazset >/dev/null
assert_nochange "TICKET.CREATE into that category" -c INVALID TICKET.CREATE $D3 t CATEGORY billing
assert_nochange "TICKET.CLAIM over it" -c INVALID TICKET.CLAIM $D3 A COUNT 1 ORDER CREATED
assert_nochange "TICKET.NEXT over it" -c INVALID TICKET.NEXT $D3 A
assert_match "DESK.CHECK names it" "*bad:queue:created:billing is a string*" "$(r DESK.CHECK $D3)"
r DESK.REPAIR $D3 >/dev/null
assert_eq "DESK.REPAIR rebuilds it" "ticket:1" "$(r ZRANGE $D3:queue:created:billing 0 -1)"
assert_eq "DESK.CHECK clean after the repair" "[]" "$(rj DESK.CHECK $D3)"

section "replica"
r WAIT 1 5000 >/dev/null
wait_until eval '[ "$(r DEBUG DIGEST)" = "$(rr DEBUG DIGEST)" ]'
assert_eq "replica digest equals master digest" "$(r DEBUG DIGEST)" "$(rr DEBUG DIGEST)"
for d in $DK $D1 $D2 $D3; do check_desk $d; done
assert_eq "DESK.CHECK $DK clean on the replica" "[]" "$(redis-cli -3 --json -p "$REPLICA_PORT" DESK.CHECK $DK)"

finish
