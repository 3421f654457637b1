#!/usr/bin/env bash
# Crash safety (SPEC.md section 8): with appendonly yes and appendfsync
# always, a server killed with SIGKILL while many clients create, assign and
# close tickets restarts from its AOF with every acknowledged write: each
# acknowledged ticket exists, its state is at least as far along as the last
# acknowledged step (created < assigned < closed), ids are not handed out
# twice, and DESK.CHECK is empty.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server

D=crash
CLIENTS=6
TARGET=${CRASH_TARGET:-600}     # acknowledged steps before the kill
ACK=$SERVER_DIR/ack
mkdir -p "$ACK"

# Turn the AOF on at run time and wait for its first rewrite to finish, so
# that everything from here on is in the AOF.
assert_ok "CONFIG SET appendonly yes" CONFIG SET appendonly yes
assert_ok "CONFIG SET appendfsync always" CONFIG SET appendfsync always
wait_until aof_settled
assert_eq "the AOF is on" 1 "$(info_field persistence aof_enabled)"
assert_eq "its first rewrite is done" "0 ok" \
    "$(info_field persistence aof_rewrite_in_progress) $(info_field persistence aof_last_bgrewrite_status)"
# Same-wording tickets: no flood merging. No alerts. No SLA breach marks.
r DESK.CONFIG SET $D flood-threshold 0 >/dev/null
r DESK.CONFIG SET $D alert-threshold 1 >/dev/null
for c in $(seq $CLIENTS); do
    assert_ok "agent W$c" AGENT.CREATE $D "W$c" "Worker $c" SKILLS general CAPACITY 100000
done

# One client: create, assign to its own agent, close every other ticket.
# A step is written to $ACK/<client> only after its reply came back; the
# loop ends at the first failure (the server is gone).
client() {
    local c=$1 i tid out
    for i in $(seq 100000); do
        tid=$(redis-cli -p "$PORT" TICKET.CREATE $D "crash $c $i" PRIORITY 5 CATEGORY general 2>/dev/null)
        [[ "$tid" =~ ^[0-9]+$ ]] || return 0
        echo "$tid created W$c" >>"$ACK/$c"
        out=$(redis-cli -p "$PORT" TICKET.ASSIGN $D "$tid" "W$c" 2>/dev/null)
        [ "$out" = OK ] || return 0
        echo "$tid assigned W$c" >>"$ACK/$c"
        if ((i % 2)); then
            out=$(redis-cli -p "$PORT" TICKET.CLOSE $D "$tid" RESOLUTION "done $i" 2>/dev/null)
            [ "$out" = OK ] || return 0
            echo "$tid closed W$c" >>"$ACK/$c"
        fi
    done
}
acked() { cat "$ACK"/* 2>/dev/null | wc -l; }

pids=()
for c in $(seq $CLIENTS); do
    : >"$ACK/$c"
    client "$c" &
    pids+=($!)
done
# Wait for enough acknowledged steps (no timing assumption: we count).
enough_acked() { [ "$(acked)" -ge "$TARGET" ]; }
wait_until -t 60 enough_acked
running=0
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && running=$((running + 1)); done
assert_eq "all $CLIENTS clients are still writing when the server is killed" "$CLIENTS" "$running"
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
for p in "${pids[@]}"; do wait "$p"; done
n_acked=$(acked)
echo "# killed after $n_acked acknowledged steps"
assert_eq "at least $TARGET steps were acknowledged" yes \
    "$([ "$n_acked" -ge "$TARGET" ] && echo yes || echo "only $n_acked")"

# ---- restart from the same directory ---------------------------------------

# Same port and directory; restart_server polls PING for up to ~10 s.
restart_server --appendonly yes --appendfsync always
assert_eq "the server restarts and answers" PONG "$(r PING)"
assert_eq "it loaded the AOF" 1 "$(info_field persistence aof_enabled)"

# Every acknowledged ticket, checked with TICKET.GET (RESP3 JSON, one line
# per ticket, in the order of the acknowledgements).
ids=$SERVER_DIR/ids
cat "$ACK"/* | awk '{print $1}' | sort -n -u >"$ids"
sed "s/^/TICKET.GET $D /" "$ids" | redis-cli -p "$PORT" -3 --json >"$SERVER_DIR/tickets.json"
report=$(python3 - "$ids" "$SERVER_DIR/tickets.json" "$ACK" <<'EOF'
import json, os, sys
ids = [int(l) for l in open(sys.argv[1])]
got = dict(zip(ids, (json.loads(l) for l in open(sys.argv[2]))))
rank = {"created": 0, "assigned": 1, "closed": 2}
acked = {}                                  # tid -> (highest step, agent)
for f in os.listdir(sys.argv[3]):
    for line in open(os.path.join(sys.argv[3], f)):
        tid, step, agent = line.split()
        tid = int(tid)
        if tid not in acked or rank[step] > rank[acked[tid][0]]:
            acked[tid] = (step, agent)
missing = behind = 0
for tid, (step, agent) in sorted(acked.items()):
    t = got.get(tid)
    if t is None:
        missing += 1
        print("MISSING ticket %d (acknowledged %s)" % (tid, step), file=sys.stderr)
        continue
    status, owner = t["status"], t["assigned_agent"]
    ok = {"created": status == "closed" or owner in (None, agent),
          "assigned": status == "closed" or owner == agent,
          "closed": status == "closed" and t["resolved_by"] == agent}[step]
    if not ok:
        behind += 1
        print("BEHIND ticket %d: acknowledged %s by %s, found %s/%s"
              % (tid, step, agent, status, owner), file=sys.stderr)
print(len(acked), missing, behind, max(acked),
      sum(1 for s, _ in acked.values() if s == "closed"))
EOF
)
read -r n_tickets n_missing n_behind max_id n_closed <<<"$report"
echo "# $n_tickets acknowledged tickets, $n_closed acknowledged closed, highest id $max_id"
assert_match "acknowledged tickets were checked" "[1-9]*" "$n_tickets"
assert_eq "every acknowledged ticket exists after the restart" 0 "$n_missing"
assert_eq "every ticket is at least as far as acknowledged" 0 "$n_behind"
assert_eq "DESK.CHECK is empty after the restart" "[]" "$(rj DESK.CHECK $D)"
seq_now=$(r GET $D:seq:tickets)
assert_match "the id counter is at or past the highest acknowledged id" "yes" \
    "$([ "$seq_now" -ge "$max_id" ] && echo yes || echo "no: $seq_now < $max_id")"
closed=$(r TICKET.COUNTS $D | awk 'p {print; exit} $0 == "closed" {p=1}')
assert_match "closed count covers the acknowledged closes" "yes" \
    "$([ "$closed" -ge "$n_closed" ] && echo yes || echo "no: $closed < $n_closed")"
# Work goes on: a new ticket gets a fresh id, is assigned and closed.
T=$(r TICKET.CREATE $D "after the crash" PRIORITY 5 CATEGORY general)
assert_match "a new ticket after the restart gets a fresh id" "yes" \
    "$([ "$T" -gt "$seq_now" ] && echo yes || echo "no: $T <= $seq_now")"
assert_ok "... it can be assigned" TICKET.ASSIGN $D "$T" W1
assert_ok "... and closed" TICKET.CLOSE $D "$T"
assert_eq "DESK.CHECK still empty" "[]" "$(rj DESK.CHECK $D)"
finish
