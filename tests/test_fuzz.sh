#!/usr/bin/env bash
# Hostile input (SPEC.md section 8: "No crash, leak or hang on any input"):
# tests/fuzz.py sends thousands of seeded, random and malformed argument
# lists to every module command (COMMAND LIST FILTERBY MODULE helpdesk):
# empty strings, huge / negative / NaN / inf numbers, binary bytes, invalid
# UTF-8, 1 MiB strings, keywords out of place, on desks holding keys of the
# wrong type planted first and on a clean desk, over RESP2 and RESP3, a few
# inside MULTI/EXEC and from EVAL.
# Checked: the server answers PING after every batch, no command hangs,
# every error is "CODE sentence" with a known code word, and DESK.CHECK of
# every desk is empty at the end (planted keys removed). A pass as an agent
# with helpdesk.enforce-identity on covers the access checks with the same
# garbage. The argument lists depend on the seed only; the code words seen
# are printed. A sanitizer report or crash in the server log fails the suite
# (tests/lib.sh).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server

FUZZ=$ROOT/tests/fuzz.py
PER_COMMAND=${FUZZ_PER_COMMAND:-120}
NCMDS=$(r COMMAND LIST FILTERBY MODULE helpdesk | wc -l)

# fact NAME: the value of a "NAME value" line of the last fuzz run.
fact() { awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print; exit }' "$OUT"; }
# run_fuzz LABEL ARGS...: one fuzz run, then the checks on its report.
run_fuzz() {
    local label=$1; shift
    OUT=$SERVER_DIR/fuzz-$label.out
    python3 "$FUZZ" --port "$PORT" "$@" >"$OUT" 2>&1
    assert_eq "$label: fuzz.py ran to the end" 0 $?
    assert_eq "$label: every module command was fuzzed" "$NCMDS" "$(fact commands)"
    local calls; calls=$(fact calls)
    assert_match "$label: thousands of calls" "[0-9][0-9][0-9][0-9]*" "$calls"
    assert_eq "$label: no malformed reply or error shape" 0 "$(fact bad)"
    grep '^BAD ' "$OUT" | head -n 20
    assert_eq "$label: no command hung" 0 "$(fact hangs)"
    assert_eq "$label: server answered PING after every batch" "$(fact batches)" "$(fact alive)"
    assert_match "$label: at least one batch" "[1-9]*" "$(fact batches)"
    assert_eq "$label: server is alive" PONG "$(r PING)"
    assert_match "$label: some calls went through MULTI/EXEC" "[1-9]*" "$(fact multi)"
    assert_match "$label: some calls went through EVAL" "[1-9]*" "$(fact eval)"
    echo "# $label: $calls calls ($(fact multi) in MULTI, $(fact eval) in EVAL)," \
         "$(fact ok) ok, $(fact errors) errors;" \
         "codes: $(fact codes); untemplated: $(fact untemplated)"
}
# Every "check <desk> <json>" line of the last run is an empty array.
checks_clean() {
    local label=$1 n
    n=$(grep -c '^check ' "$OUT")
    assert_eq "$label: DESK.CHECK ran on the clean and the 6 planted desks" 7 "$n"
    assert_eq "$label: DESK.CHECK of every desk is empty" "" "$(grep '^check ' "$OUT" | grep -v ' \[\]$')"
}

# ---- as the default user (an admin), three seeds --------------------------

for seed in 1 2 3; do
    r FLUSHALL >/dev/null
    run_fuzz "seed$seed" --seed "$seed" --per-command "$PER_COMMAND"
    checks_clean "seed$seed"
    codes=$(fact codes)
    assert_match "seed$seed: refusals reached validation (INVALID)" "*INVALID=*" "$codes"
    assert_match "seed$seed: ... syntax / arity (ERR)" "*ERR=*" "$codes"
    assert_match "seed$seed: ... lookups (NOTFOUND)" "*NOTFOUND=*" "$codes"
    assert_match "seed$seed: ... and some calls succeeded" "[1-9]*" "$(fact ok)"
done

# The same seed gives the same argument lists (fuzz.py prints their SHA-1).
plan_of() { awk '$1 == "plan" {print $2}' "$SERVER_DIR/fuzz-$1.out"; }
r FLUSHALL >/dev/null
run_fuzz "seed1-again" --seed 1 --per-command "$PER_COMMAND"
assert_match "seed 1 has a plan digest" "[0-9a-f]*" "$(plan_of seed1)"
assert_eq "seed 1 twice: the same argument lists" "$(plan_of seed1)" "$(plan_of seed1-again)"
if [ "$(plan_of seed1)" != "$(plan_of seed2)" ]; then pass "seeds 1 and 2 differ"
else fail "seeds 1 and 2 differ" "same plan $(plan_of seed2)"; fi

# ---- as an agent with enforce-identity on ---------------------------------

# The agent may use desks f* (fc, fz0-5, fg): other desk names get NOPERM.
r FLUSHALL >/dev/null
r ACL SETUSER A1 on '>pw' '~f*' '+@all' >/dev/null
run_fuzz "admin-before-agent" --seed 4 --per-command "$PER_COMMAND"
assert_ok "enforce-identity on" CONFIG SET helpdesk.enforce-identity yes
run_fuzz "agent-A1" --seed 5 --per-command "$PER_COMMAND" --user A1 --password pw
assert_match "agent-A1: refusals are DENIED" "*DENIED=*" "$(fact codes)"
assert_match "agent-A1: desks outside ~f* are NOPERM" "*NOPERM=*" "$(fact codes)"
checks_clean "agent-A1"
assert_ok "enforce-identity off" CONFIG SET helpdesk.enforce-identity no

assert_eq "no TICKET.NEXT waiter left blocked" 0 \
    "$(r INFO helpdesk | tr -d '\r' | awk -F: '$1 == "helpdesk_blocked_next_waiters" {print $2}')"
assert_eq "server still answers" PONG "$(r PING)"
finish
