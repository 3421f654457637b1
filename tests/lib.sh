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
HELPDESK_SO=${HELPDESK_SO:-$ROOT/build/helpdesk.so}
# The server every suite runs against: SERVER=redis (default, redis-server)
# or SERVER=valkey (valkey-server); `make test SERVER=valkey` sets it. Suites
# start servers only as "$SERVER_BIN", never by name. redis-cli stays the
# client for both (Valkey speaks the same protocol).
SERVER=${SERVER:-redis}
case $SERVER in
    redis)  SERVER_BIN=${SERVER_BIN:-redis-server} ;;
    valkey) SERVER_BIN=${SERVER_BIN:-valkey-server} ;;
    *) echo "FATAL: SERVER=$SERVER: expected redis or valkey" >&2; exit 1 ;;
esac
command -v "$SERVER_BIN" >/dev/null ||
    { echo "FATAL: $SERVER_BIN not found (SERVER=$SERVER make setup installs it)" >&2; exit 1; }
# Debian's valkey-server 8.0.1 crashes in jemalloc at startup, before any
# module loads, when the ASan runtime is preloaded: sanitizer runs are Redis only.
if [ "$SERVER" = valkey ] && [ -f "$HELPDESK_SO" ] && grep -q 'libasan\.so' "$HELPDESK_SO"; then
    echo "FATAL: an ASan module (make SANITIZE=1) needs SERVER=redis: valkey-server crashes at startup with the ASan runtime preloaded" >&2
    exit 1
fi
PASS=0
FAIL=0
PORT=
SERVER_PID=
SERVER_DIR=

# ---- server --------------------------------------------------------------

# Is anything accepting connections on 127.0.0.1:$1? (pure bash, no ss needed)
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_server() {
    [ -f "$HELPDESK_SO" ] || { echo "FATAL: module $HELPDESK_SO not found (run make)" >&2; exit 1; }
    SERVER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/helpdesk-test.XXXXXX")
    trap stop_server EXIT
    local env=()
    # An ASan build of the module (make SANITIZE=1) must have the ASan runtime
    # loaded first; only the server gets it, not redis-cli.
    if grep -q 'libasan\.so' "$HELPDESK_SO"; then
        env=(LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
             ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}")
    fi
    local _
    PORT=$((20000 + RANDOM % 10000))
    for _ in 1 2 3 4 5; do
        while port_busy "$PORT"; do PORT=$((PORT + 1 > 29999 ? 20000 : PORT + 1)); done
        env "${env[@]}" "$SERVER_BIN" --port "$PORT" --bind 127.0.0.1 \
            --save '' --appendonly no --dir "$SERVER_DIR" \
            --enable-debug-command yes --enable-module-command yes \
            --loadmodule "$HELPDESK_SO" --daemonize no \
            >"$SERVER_DIR/server.log" 2>&1 &
        SERVER_PID=$!
        # Up to ~10 s in 0.05 s steps.
        for _ in $(seq 200); do
            [ "$(redis-cli -p "$PORT" PING 2>/dev/null)" = PONG ] && return 0
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.05
        done
        # Lost a race for the port with someone else: try the next one.
        if ! kill -0 "$SERVER_PID" 2>/dev/null &&
           grep -q 'Address already in use' "$SERVER_DIR/server.log"; then
            PORT=$((PORT + 1)); continue
        fi
        break
    done
    echo "FATAL: $SERVER_BIN did not answer PING on port $PORT; log tail:" >&2
    tail -n 20 "$SERVER_DIR/server.log" >&2
    exit 1
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
fail() { FAIL=$((FAIL + 1)); echo "FAIL - $1: $2"; }

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
    local _ attempt env=()
    if grep -q 'libasan\.so' "$HELPDESK_SO"; then
        env=(LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
             ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}")
    fi
    r CONFIG SET repl-diskless-sync-delay 0 >/dev/null   # sync now, not in 5 s
    REPLICA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/helpdesk-replica.XXXXXX")
    REPLICA_PORT=$((PORT + 1))
    for attempt in 1 2 3 4 5; do
        while port_busy "$REPLICA_PORT"; do REPLICA_PORT=$((REPLICA_PORT + 1)); done
        env "${env[@]}" "$SERVER_BIN" --port "$REPLICA_PORT" --bind 127.0.0.1 --save '' \
            --appendonly no --dir "$REPLICA_DIR" --enable-debug-command yes \
            --loadmodule "$HELPDESK_SO" --replicaof 127.0.0.1 "$PORT" --daemonize no \
            >"$REPLICA_DIR/server.log" 2>&1 &
        REPLICA_PID=$!
        for _ in $(seq 200); do
            redis-cli -p "$REPLICA_PORT" INFO replication 2>/dev/null |
                grep -q 'master_link_status:up' && return 0
            kill -0 "$REPLICA_PID" 2>/dev/null || break
            sleep 0.05
        done
        # Lost a race for the port: try the next one.
        kill -0 "$REPLICA_PID" 2>/dev/null ||
            ! grep -q 'Address already in use' "$REPLICA_DIR/server.log" || {
            REPLICA_PORT=$((REPLICA_PORT + 1)); continue; }
        break
    done
    echo "FATAL: replica did not sync; log tail:" >&2
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
