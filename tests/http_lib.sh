# Helpers for the HTTP gateway suites (tests/test_http_*.sh), on top of
# tests/lib.sh:
#
#   . "$(dirname "$0")/http_lib.sh"
#   start_server; start_gateway [extra gateway flags]
#   http POST /v1/desks/help/tickets '{"subject":"x"}' [curl args...]
#   assert_eq "created" 201 "$H_STATUS"; assert_eq "id" 1 "$(hj .id)"
#   finish
#
# http sets H_STATUS (the status code, 000 when no response), H_BODY and
# H_HEADERS (the response headers; hh NAME reads one). hj FILTER runs jq on
# H_BODY. The gateway listens on a free port of 32000-32699 (below Linux's
# ephemeral ports, where an outgoing connection may hold a port that looks
# free) and logs to $SERVER_DIR/gateway.log.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GATEWAY=${GATEWAY:-$ROOT/build/helpdesk-http}
HTTP_PORT= GW_PID= BASE=

start_gateway() {
    [ -x "$GATEWAY" ] || { echo "FATAL: $GATEWAY not built (run make)" >&2; exit 1; }
    local attempt
    for attempt in 1 2 3 4 5; do
        HTTP_PORT=$((32000 + RANDOM % 700))
        while port_busy "$HTTP_PORT"; do HTTP_PORT=$((32000 + RANDOM % 700)); done
        "$GATEWAY" --listen "127.0.0.1:$HTTP_PORT" --redis "127.0.0.1:$PORT" "$@" \
            2>>"$SERVER_DIR/gateway.log" &
        GW_PID=$!
        BASE=http://127.0.0.1:$HTTP_PORT
        trap 'stop_gateway; stop_server' EXIT
        wait_until gateway_up_or_gone && kill -0 "$GW_PID" 2>/dev/null && return 0
        kill -0 "$GW_PID" 2>/dev/null || continue   # lost the port race: try another
        break
    done
    echo "FATAL: the gateway did not start; log:" >&2
    tail -n 20 "$SERVER_DIR/gateway.log" >&2
    exit 1
}

# The gateway answers, or its process is gone (no use waiting longer).
gateway_up_or_gone() {
    curl -s -o /dev/null "$BASE/openapi.json" 2>/dev/null || ! kill -0 "$GW_PID" 2>/dev/null
}

# Stops the gateway; a crash or sanitizer report in its log fails the suite.
stop_gateway() {
    [ -n "$GW_PID" ] || return 0
    if ! kill -0 "$GW_PID" 2>/dev/null; then
        fail "gateway alive at the end" "it exited early; log tail: $(tail -n 5 "$SERVER_DIR/gateway.log")"
    fi
    kill "$GW_PID" 2>/dev/null
    wait "$GW_PID" 2>/dev/null
    GW_PID=
    if grep -qE 'runtime error|Sanitizer|LeakSanitizer' "$SERVER_DIR/gateway.log"; then
        fail "gateway sanitizer report" "$(grep -E -A 30 'runtime error|Sanitizer' "$SERVER_DIR/gateway.log" | head -n 40)"
    fi
}

# The suite's total, after stopping the gateway too.
http_finish() {
    stop_gateway
    finish
}

# http METHOD PATH [JSON-BODY|-] [curl args...]
http() {
    local method=$1 path=$2 body=${3:--}
    shift 2; [ $# -gt 0 ] && shift
    local args=(-s -X "$method" -o "$SERVER_DIR/h.body" -D "$SERVER_DIR/h.head"
                -w '%{http_code}' --max-time 20)
    if [ "$body" != - ]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$body")
    fi
    H_STATUS=$(curl "${args[@]}" "$@" "$BASE$path" 2>/dev/null)
    [ -n "$H_STATUS" ] || H_STATUS=000
    H_BODY=$(cat "$SERVER_DIR/h.body" 2>/dev/null)
    H_HEADERS=$(tr -d '\r' <"$SERVER_DIR/h.head" 2>/dev/null)
}

# jq over the last body (raw output).
hj() { printf '%s' "$H_BODY" | jq -r "$@" 2>/dev/null; }
# A header of the last response (name lower-case).
hh() { printf '%s\n' "$H_HEADERS" | awk -v n="$1" 'BEGIN { n = tolower(n) ": " }
    tolower(substr($0, 1, length(n))) == n { print substr($0, length(n) + 1); exit }'; }

# assert_http NAME STATUS [ERROR-CODE]: the last response's status (and the
# error body's code when given).
assert_http() {
    local name=$1 status=$2 code=${3:-}
    if [ "$H_STATUS" != "$status" ]; then
        fail "$name" "expected HTTP $status got $H_STATUS: $H_BODY"; return
    fi
    if [ -n "$code" ] && [ "$(hj .error.code)" != "$code" ]; then
        fail "$name" "expected error code $code got: $H_BODY"; return
    fi
    pass "$name"
}

# assert_http_nochange NAME STATUS CODE METHOD PATH [BODY] [curl args]: the
# request fails as expected and the dataset is unchanged (DEBUG DIGEST).
assert_http_nochange() {
    local name=$1 status=$2 code=$3 before after; shift 3
    before=$(dbdigest)
    http "$@"
    after=$(dbdigest)
    if [ "$before" != "$after" ]; then
        fail "$name" "dataset changed by a failed request (HTTP $H_STATUS $H_BODY)"; return
    fi
    assert_http "$name" "$status" "$code"
}

# DESK.CHECK of a desk must be clean (an empty reply).
assert_desk_clean() {
    local out
    out=$(r DESK.CHECK "${1:-help}")
    assert_eq "DESK.CHECK ${1:-help} clean" "" "$out"
}

# DESK.CONFIG SET D name value; a refusal is a failed check, not a silent skip.
desk_config_set() {
    local out
    out=$(r DESK.CONFIG SET "$1" "$2" "$3" 2>&1)
    [ "$out" = OK ] || fail "desk_config_set $*" "$out"
}
