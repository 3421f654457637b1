#!/usr/bin/env bash
# The web console in a real browser: Debian's chromium, headless, driven by
# playwright-core (tests/browser/console.test.mjs) against redis-server with
# the module and build/helpdesk-http serving web/. Here: the users, the
# gateway, the CSRF checks that need no browser, and DESK.CHECK at the end.
# Screenshots land in build/screenshots/.
. "$(dirname "$0")/lib.sh"

GATEWAY=${HELPDESK_HTTP:-$ROOT/build/helpdesk-http}
GW_PID_FILE=
GW_DIR=

need() {   # a missing prerequisite is a failure, never a skip
    [ -e "$2" ] || { fail "$1" "$2 is missing (run make; scripts/dev/setup-deps installs it)"; finish; }
}

# A free port in this suite's range, 46000-46999.
free_port() {
    local p
    for _ in $(seq 50); do
        p=$((31000 + RANDOM % 1000))   # below the ephemeral range (32768+)
        port_busy "$p" || { echo "$p"; return; }
    done
    echo 31999
}

# The gateway PID answers /health, or is gone (no use waiting longer).
health_or_gone() {
    curl -fs "http://127.0.0.1:$HTTP_PORT/health" >/dev/null 2>&1 || ! kill -0 "$1" 2>/dev/null
}
# The range overlaps the kernel's ephemeral ports, so a port that takes no
# connections may still be bound by some client socket: on a failed bind,
# try another.
start_gateway() {
    GW_DIR=$(mktemp -d "${TMPDIR:-/tmp}/helpdesk-gw.XXXXXX")
    GW_PID_FILE=$GW_DIR/pid
    local attempt pid
    for attempt in 1 2 3 4 5; do
        HTTP_PORT=$(free_port)
        GW_ARGS=(--listen "127.0.0.1:$HTTP_PORT" --redis "127.0.0.1:$PORT" --desk help --static "$ROOT/web")
        "$GATEWAY" "${GW_ARGS[@]}" >>"$GW_DIR/gateway.log" 2>&1 &
        pid=$!
        echo "$pid" >"$GW_PID_FILE"
        wait_until health_or_gone "$pid" && kill -0 "$pid" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null && break
    done
    echo "FATAL: gateway did not answer /health on $HTTP_PORT; log:" >&2
    cat "$GW_DIR/gateway.log" >&2
    exit 1
}

stop_gateway() {
    [ -n "$GW_PID_FILE" ] && [ -f "$GW_PID_FILE" ] && kill "$(cat "$GW_PID_FILE")" 2>/dev/null
    [ -n "$GW_DIR" ] && rm -rf "$GW_DIR"
    GW_PID_FILE=
}

need "gateway binary" "$GATEWAY"
need "playwright-core" "$ROOT/node_modules/playwright-core/package.json"
need "chromium" /usr/bin/chromium
start_server
trap 'stop_gateway; stop_server' EXIT

# ---- desk: ACL users, identity enforcement, agents, a customer -------------
r ACL SETUSER boss on '>boss-pw' '~help*' '&*' +@all >/dev/null
for a in A201 A202 A203; do
    r ACL SETUSER "$a" on ">$a-pw" '~help*' '&*' +@all -@dangerous >/dev/null
done
r CONFIG SET helpdesk.enforce-identity yes >/dev/null
r DESK.ADMIN help ADD boss >/dev/null
r AGENT.CREATE help A201 "Maria Lopez" SKILLS billing technical CAPACITY 5 >/dev/null
r AGENT.CREATE help A202 "Tom Berg" SKILLS shipping returns CAPACITY 4 >/dev/null
r AGENT.CREATE help A203 "Ada Chen" SKILLS account legal CAPACITY 6 >/dev/null
r CUSTOMER.CREATE help "Jane Doe" jane@example.com >/dev/null
assert_eq "agents ready" 3 "$(r SCARD help:agents)"

start_gateway
BASE=http://127.0.0.1:$HTTP_PORT

# ---- CSRF: the cookie alone does not make a write -------------------------
JAR=$GW_DIR/cookies
login=$(curl -s -c "$JAR" -H 'Content-Type: application/json' \
    -d '{"user":"boss","password":"boss-pw"}' "$BASE/v1/session")
token=$(printf '%s' "$login" | sed -n 's/.*"csrf_token": *"\([^"]*\)".*/\1/p')
assert_match "sign-in returns a CSRF token" '?*' "$token"
assert_match "session cookie is HttpOnly and SameSite=Strict" '*HttpOnly*' \
    "$(curl -s -o /dev/null -D - -H 'Content-Type: application/json' \
        -d '{"user":"boss","password":"boss-pw"}' "$BASE/v1/session" | grep -i '^set-cookie' | grep -i 'samesite=strict')"
before=$(dbdigest)
code=$(curl -s -o "$GW_DIR/out" -w '%{http_code}' -b "$JAR" -H 'Content-Type: application/json' \
    -d '{"subject":"csrf probe"}' "$BASE/v1/desks/help/tickets")
assert_eq "cookie without X-CSRF-Token is refused (403)" 403 "$code"
assert_eq "the refused write changed nothing" "$before" "$(dbdigest)"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -H 'Content-Type: application/json' \
    -H 'X-CSRF-Token: not-the-token' -d '{"subject":"csrf probe"}' "$BASE/v1/desks/help/tickets")
assert_eq "cookie with a wrong X-CSRF-Token is refused (403)" 403 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -H 'Content-Type: application/json' \
    -H "X-CSRF-Token: $token" -d '{"text":"refund please"}' "$BASE/v1/desks/help/classify")
assert_eq "cookie with the token may write" 200 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -X DELETE -H "X-CSRF-Token: $token" "$BASE/v1/session")
assert_eq "sign-out ends the session (204)" 204 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" "$BASE/v1/desks/help/stats")
assert_eq "the old cookie is refused after sign-out (401)" 401 "$code"
assert_eq "console is served at /" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/")"
assert_match "index.html loads the app module" '*js/app.js*' "$(curl -s "$BASE/")"

# ---- the browser scenarios --------------------------------------------------
mkdir -p "$ROOT/build/screenshots"
out=$GW_DIR/browser.out
BASE=$BASE REDIS_PORT=$PORT GW_PID_FILE=$GW_PID_FILE GW_LOG=$GW_DIR/gateway.log \
GW_CMD="$(printf '%q ' "$GATEWAY" "${GW_ARGS[@]}")" SHOTS=$ROOT/build/screenshots \
    node "$ROOT/tests/browser/console.test.mjs" 2>&1 | tee "$out"
np=$(grep -c '^ok - ' "$out"); nf=$(grep -c '^FAIL - ' "$out")
PASS=$((PASS + np)); FAIL=$((FAIL + nf))
grep -q '^browser: done$' "$out" || fail "browser script" "it did not run to the end (see above)"

assert_eq "DESK.CHECK clean after the browser run" "" "$(r DESK.CHECK help)"
stop_gateway
finish
