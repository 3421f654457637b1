# Tiny test harness for shell suites (tests/test_*.sh). Usage:
#
#   . "$(dirname "$0")/lib.sh"
#   start_server
#   assert_eq  "get"      bar  "$(r GET foo)"
#   assert_err "missing"  NOTFOUND TICKET.GET 999
#   assert_nochange "bad create leaves db alone" TICKET.CREATE
#   finish
#
# What redis-cli 7.0 prints when stdout is not a tty (what `r` returns):
#   status/bulk string  the text            (OK, hello)
#   integer             the number          (42)
#   nil                 an empty line       (same as an empty string!)
#   array               one element per line, nested arrays flattened,
#                       empty array = empty line
#   RESP3 map (-3)      one "key value" line per entry (space separated)
#   RESP3 bool (-3)     (true) / (false); double: 3.14
#   error               the message on STDOUT followed by an extra empty line,
#                       exit code 0 -- indistinguishable from a string.
#   error with -e       the message on STDERR, nothing on stdout, exit code 1.
# So: `r` for values, `rerr`/`assert_err` (which use -e) for errors, and
# `rj` (RESP3 + --json) when nil vs "" or the structure matters:
#   rj GET nope -> null, rj HGETALL h -> {"f":"v"}, errors -> error:"MSG".

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Every suite answers --help (this file sees the suite's arguments): its
# header comment, how to run it and what it prints.
if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
    echo "usage: [SERVER=redis|valkey] bash $0 [--help]"
    echo
    awk 'NR > 1 && /^# shellcheck/ { next } NR > 1 && /^#/ { sub(/^# ?/, ""); print; next }
         NR > 1 { exit }' "$0"
    echo
    echo "Prints 'ok - CHECK' or 'FAIL - CHECK: why' per check, '# ...' notes, and as"
    echo "the last line 'N passed, N failed'; exits 0 only when nothing failed."
    echo "tests/run runs every suite (tests/run --help)."
    exit 0
fi
# The launcher tests, bench and run-server share: SERVER_BIN, the ASan
# preload, free ports, the PING wait (hd_* functions and port_busy).
# shellcheck source=scripts/server.sh
. "$ROOT/scripts/server.sh"
# The server every suite runs against: SERVER=redis (default, redis-server)
# or SERVER=valkey (valkey-server); `make test SERVER=valkey` sets it. Suites
# start servers only through start_server / start_replica / start_extra
# below (or "$SERVER_BIN"), never by name. redis-cli stays the client for
# both (Valkey speaks the same protocol).
SERVER=${SERVER:-redis}
hd_server_bin || { echo "FATAL: expected SERVER=redis or SERVER=valkey" >&2; exit 1; }
command -v "$SERVER_BIN" >/dev/null ||
    { echo "FATAL: $SERVER_BIN not found (SERVER=$SERVER make setup installs it)" >&2; exit 1; }
# Debian's valkey-server 8.0.1 crashes in jemalloc at startup, before any
# module loads, when the ASan runtime is preloaded: sanitizer runs are Redis only.
if [ "$SERVER" = valkey ] && hd_module_is_asan; then
    echo "FATAL: an ASan module (make SANITIZE=1) needs SERVER=redis: valkey-server crashes at startup with the ASan runtime preloaded" >&2
    exit 1
fi
PASS=0
FAIL=0
PORT=
SERVER_PID=
SERVER_DIR=

# ---- server --------------------------------------------------------------

start_server() {
    [ -f "$HELPDESK_SO" ] || { echo "FATAL: module $HELPDESK_SO not found (run make)" >&2; exit 1; }
    SERVER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/helpdesk-test.XXXXXX")
    trap stop_server EXIT
    if hd_start "$SERVER_DIR" --enable-debug-command yes --enable-module-command yes \
            --loadmodule "$HELPDESK_SO"; then
        PORT=$HD_PORT SERVER_PID=$HD_PID
        apply_replication_mode
        return 0
    fi
    PORT=$HD_PORT
    echo "FATAL: $SERVER_BIN did not answer PING on port $PORT; log tail:" >&2
    tail -n 20 "$SERVER_DIR/server.log" >&2
    exit 1
}

# restart_server [SERVER ARGS...]: start the suite's server again on the same
# port and directory (after a kill), log appended; does not fail the suite by
# itself: the caller asserts it answers (PING) within ~10 s.
restart_server() {
    hd_launch "$SERVER_DIR" "$PORT" --enable-debug-command yes --enable-module-command yes \
        --loadmodule "$HELPDESK_SO" "$@"
    SERVER_PID=$HD_PID
    hd_wait_ping "$PORT" "$SERVER_PID" && apply_replication_mode
}

# HD_REPLICATION=commands|effects runs a suite with the module's replication
# mode set (helpdesk.replication) on the suite's server, so every suite's
# digest checks can be run against either mode; unset keeps the default.
apply_replication_mode() {
    [ -n "${HD_REPLICATION:-}" ] || return 0
    redis-cli -p "$PORT" CONFIG SET helpdesk.replication "$HD_REPLICATION" >/dev/null
}

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
    # A crash or a sanitizer report (ASan aborts, UBSan only prints) is a
    # failure even if every assertion passed; show it, it is the clue.
    if grep -qE 'runtime error|Sanitizer' "$SERVER_DIR/server.log"; then
        FAIL=$((FAIL + 1))
        echo "FAIL - sanitizer report in server log:"
        grep -E -A 30 'runtime error|Sanitizer' "$SERVER_DIR/server.log" | head -n 60
    elif grep -qE 'crashed by signal|ASSERTION FAILED|Guru Meditation' "$SERVER_DIR/server.log"; then
        FAIL=$((FAIL + 1))
        echo "FAIL - $SERVER_BIN crashed:"
        grep -E -A 40 'crashed by signal|ASSERTION FAILED|Guru Meditation' "$SERVER_DIR/server.log" | head -n 60
    fi
    rm -rf "$SERVER_DIR"
}

# ---- commands ------------------------------------------------------------

# Reply as redis-cli prints it (see table above). Errors land on stdout too.
r() { redis-cli -p "$PORT" "$@"; }
# RESP3 reply as JSON: distinguishes nil (null) from "" and shows structure.
rj() { redis-cli -3 --json -p "$PORT" "$@"; }
# Run a command once with -e: R_OUT gets stdout, R_ERR the error text (-e
# sends it to stderr); the status is 1 for an error reply (or no connection).
_rune() {
    local rc
    R_OUT=$(redis-cli -e -p "$PORT" "$@" 2>"$SERVER_DIR/stderr"); rc=$?
    R_ERR=$(<"$SERVER_DIR/stderr")
    return $rc
}
# Print the error message of the reply; status 1 (no output) if not an error.
rerrmsg() { _rune "$@" && return 1; printf '%s\n' "$R_ERR"; }
# rerr CODE ARGS...: true if the reply is an error "CODE <some sentence>".
# Leaves what came back in $RERR_GOT for messages.
rerr() {
    local code=$1; shift
    if _rune "$@"; then RERR_GOT="non-error reply: $R_OUT"; return 1; fi
    RERR_GOT=$R_ERR
    [[ "$RERR_GOT" == "$code "?* ]]
}
dbdigest() { r DEBUG DIGEST; }

# ---- assertions ----------------------------------------------------------

pass() { PASS=$((PASS + 1)); echo "ok - $1"; }
fail() {
    FAIL=$((FAIL + 1)); echo "FAIL - $1: $2"
    [ -z "$SECTION" ] || [[ " $FAILED_SECTIONS " == *" $SECTION "* ]] ||
        FAILED_SECTIONS="${FAILED_SECTIONS:+$FAILED_SECTIONS }$SECTION"
}

# ---- polling -------------------------------------------------------------
# What happens in another process or on a server timer is polled, never
# slept for: the condition is checked every 0.05 s until it holds. The bound
# (-t SECONDS, default 10) only stops a broken feature from hanging the
# suite; a passing run never waits for it, so no test depends on timing.
#
#   wait_until [-t SECONDS] CMD [ARGS...]       until CMD succeeds (exit 0)
#   wait_for   [-t SECONDS] WANT CMD [ARGS...]  until CMD prints exactly WANT
#   stays_false CHECKS CMD [ARGS...]            CMD fails at each of CHECKS
#                                               checks, 0.05 s apart
#
# Each returns 1 on a timeout (or, for stays_false, as soon as CMD succeeds)
# after printing a "# ..." line naming what was waited for, so the caller
# decides what that means: `wait_until is_blocked 1 || fail "..." "..."`, or
# carry on to the assertion that then fails with the real value. CMD is a
# command or a suite function; wait_for drops its stderr and leaves its last
# output in WAIT_GOT.
WAIT_GOT=
_wait_steps() { awk -v s="$1" 'BEGIN { n = int(s * 20 + 0.5); print (n < 1 ? 1 : n) }'; }
wait_until() {
    local secs=10 n _
    if [ "$1" = -t ]; then secs=$2; shift 2; fi
    n=$(_wait_steps "$secs")
    for _ in $(seq "$n"); do
        "$@" && return 0
        sleep 0.05
    done
    echo "# wait_until: still false after ${secs} s: $*"
    return 1
}
wait_for() {
    local secs=10 want n _
    if [ "$1" = -t ]; then secs=$2; shift 2; fi
    want=$1; shift
    n=$(_wait_steps "$secs")
    for _ in $(seq "$n"); do
        WAIT_GOT=$("$@" 2>/dev/null)
        [ "$WAIT_GOT" = "$want" ] && return 0
        sleep 0.05
    done
    echo "# wait_for: '$*' did not print '$want' within ${secs} s (last: '$WAIT_GOT')"
    return 1
}
stays_false() {
    local n=$1 i; shift
    for i in $(seq "$n"); do
        if "$@"; then echo "# stays_false: became true at check $i of $n: $*"; return 1; fi
        [ "$i" -eq "$n" ] || sleep 0.05
    done
    return 0
}

# ---- sections ------------------------------------------------------------
# A long suite is a list of sections that stand on their own, so one early
# failure stays local:
#
#   section update          # D=update: a desk no earlier section touched
#   ticket_fixtures         # (the suite's own) customers, agents, settings
#
# `section NAME` sets D to NAME (so every section name is a fresh desk name;
# pick names unique in the suite) and prints "# ---- section NAME";
# `section NAME DESK` is a section that builds on an earlier one's DESK (the
# dependency written down where it is). If the server died in an earlier
# section it is restarted (one FAIL; its log still shows the crash at finish)
# so the later sections still run. finish names the sections that failed.
SECTION= FAILED_SECTIONS=
section() {
    # The failure belongs to the section the server died in: check first.
    if [ -n "$SERVER_PID" ] && [ "$(r PING 2>/dev/null)" != PONG ]; then
        fail "server up at the end of section ${SECTION:-(none)}" "it died; restarting it for section $1"
        restart_server ||
            { echo "FATAL: $SERVER_BIN did not come back on port $PORT" >&2; finish; }
    fi
    SECTION=$1 D=${2:-$1}
    echo "# ---- section $1${2:+ (on desk $2)}"
}

assert_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2' got '$3'"; fi
}
# GLOB is a bash pattern: * ? [..]
assert_match() {
    # shellcheck disable=SC2053   # unquoted on purpose: it is a pattern
    if [[ "$3" == $2 ]]; then pass "$1"; else fail "$1" "expected match '$2' got '$3'"; fi
}
assert_ok() {
    local name=$1; shift
    assert_eq "$name" OK "$(r "$@")"
}
assert_err() {
    local name=$1 code=$2; shift 2
    if rerr "$code" "$@"; then pass "$name"
    else fail "$name" "expected error '$code <message>' got '$RERR_GOT'"; fi
}
# assert_nochange NAME [-c CODE] ARGS...: the command must fail (with CODE if
# given) and leave the dataset exactly as it was (DEBUG DIGEST unchanged).
assert_nochange() {
    local name=$1 code='' before after; shift
    if [ "$1" = -c ]; then code=$2; shift 2; fi
    before=$(dbdigest)
    if [ -n "$code" ]; then
        rerr "$code" "$@" || { fail "$name" "expected error '$code <message>' got '$RERR_GOT'"; return; }
    else
        _rune "$@" && { fail "$name" "expected an error got '$R_OUT'"; return; }
    fi
    after=$(dbdigest)
    if [ "$before" = "$after" ]; then pass "$name"
    else fail "$name" "dataset changed by failing command (digest $before -> $after)"; fi
}

# Print the suite total (parsed by tests/run) and exit non-zero on failure.
finish() {
    stop_server
    [ -z "$FAILED_SECTIONS" ] || echo "# sections with failures: $FAILED_SECTIONS"
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
    exit
}

# ---------------------------------------------------------------------------
# A replica of the test server (suites that compare master and replica).
REPLICA_PORT= REPLICA_PID= REPLICA_DIR=

# A replica of the test server, with the module (and the ASan runtime when
# the module is an ASan build, as start_server does). Stopped by stop_replica,
# which fails the suite if the replica's log shows a crash or sanitizer report.
start_replica() {
    r CONFIG SET repl-diskless-sync-delay 0 >/dev/null   # sync now, not in 5 s
    start_extra replica --enable-debug-command yes --loadmodule "$HELPDESK_SO" \
        --replicaof 127.0.0.1 "$PORT"
    wait_until replica_up_or_gone && [ "$(replica_link)" = up ] && return 0
    echo "FATAL: replica did not sync; log tail:" >&2
    tail -n 20 "$REPLICA_DIR/server.log" >&2
    exit 1
}
# start_extra NAME [SERVER ARGS...]: a second server (in the replica's slots:
# REPLICA_PORT above PORT, REPLICA_PID, REPLICA_DIR; rr talks to it; stopped
# and its log checked by stop_replica). ARGS name the module if it needs one.
start_extra() {
    local name=$1; shift
    REPLICA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/helpdesk-$name.XXXXXX")
    if HD_FROM_PORT=$((PORT + 1)) hd_start "$REPLICA_DIR" "$@"; then
        REPLICA_PORT=$HD_PORT REPLICA_PID=$HD_PID
        return 0
    fi
    echo "FATAL: $name server did not answer PING; log tail:" >&2
    tail -n 20 "$REPLICA_DIR/server.log" >&2
    exit 1
}
stop_replica() {
    [ -n "$REPLICA_PID" ] && kill "$REPLICA_PID" 2>/dev/null && wait "$REPLICA_PID" 2>/dev/null
    REPLICA_PID=
    [ -n "$REPLICA_DIR" ] || return 0
    if grep -qE 'runtime error|Sanitizer|crashed by signal|ASSERTION FAILED' "$REPLICA_DIR/server.log"; then
        fail "replica server log" "$(grep -E -A 30 'runtime error|Sanitizer|crashed by signal|ASSERTION FAILED' "$REPLICA_DIR/server.log" | head -n 40)"
    fi
    rm -rf "$REPLICA_DIR"
    REPLICA_DIR=
}
rr() { redis-cli -p "$REPLICA_PORT" "$@"; }
# The replica's master_link_status (up/down); start_replica waits until it
# is up or the replica died (no point waiting for a dead one).
replica_link() { info_field_of rr replication master_link_status 2>/dev/null; }
replica_up_or_gone() { [ "$(replica_link)" = up ] || ! kill -0 "$REPLICA_PID" 2>/dev/null; }

# ---- shared probes -------------------------------------------------------

# info_field SECTION FIELD: one field of INFO SECTION, e.g.
# `info_field helpdesk helpdesk_claims`, `info_field clients blocked_clients`.
info_field() { info_field_of r "$@"; }
# info_field_of CLIENT SECTION FIELD: the same through another client
# function (rr: the replica).
info_field_of() { "$1" INFO "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2 }'; }
# server_ms: the server's clock (TIME) in ms. clock_past MS: it is past MS,
# e.g. `wait_until clock_past "$due"`, or let 1 ms pass with
# `wait_until clock_past "$(server_ms)"` (the server's clock, not sleep).
server_ms() { r TIME | { read -r s; read -r us; echo $((s * 1000 + us / 1000)); }; }
clock_past() { [ "$(server_ms)" -gt "$1" ]; }
# aof_settled: the AOF is on and no rewrite is running or scheduled (after
# CONFIG SET appendonly yes: `wait_until aof_settled`), so what follows lands
# in the AOF.
aof_settled() {
    [ "$(info_field persistence aof_enabled)" = 1 ] &&
        [ "$(info_field persistence aof_rewrite_in_progress)" = 0 ] &&
        [ "$(info_field persistence aof_rewrite_scheduled)" = 0 ]
}
# check_desk DESK: DESK.CHECK finds nothing wrong (one assertion).
check_desk() { assert_eq "DESK.CHECK $1 is empty" "[]" "$(rj DESK.CHECK "$1")"; }
