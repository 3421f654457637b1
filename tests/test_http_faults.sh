#!/usr/bin/env bash
# Faults at the gateway: Redis down (503 + Retry-After at once, reconnect by
# itself, no acknowledged write lost or doubled across a kill -9 under load),
# unknown outcomes (503, never 201), and bad input: bodies over --max-body,
# header floods, slow clients, non-UTF-8, wrong content types.
. "$(dirname "$0")/http_lib.sh"
start_server        # lib.sh's server (unused but for its temp dir and digest helpers)

# A Redis of our own that survives kill -9 with every acknowledged write:
# appendfsync always writes the AOF before the reply leaves.
RDIR=$SERVER_DIR/own
mkdir -p "$RDIR"
# Below Linux's ephemeral range (32768+), where an outgoing connection may
# hold a port that looks free; the first start retries the next port when
# the bind fails, later restarts (after kill -9) need the same port.
RPORT=$((30000 + RANDOM % 1000)); while port_busy $RPORT; do RPORT=$((RPORT + 1)); done
RPID=
own_start() {
    local try
    for try in 1 2 3 4 5; do
        "$SERVER_BIN" --port $RPORT --bind 127.0.0.1 --dir "$RDIR" --appendonly yes \
            --appendfsync always --save '' --loadmodule "$HELPDESK_SO" --daemonize no \
            >>"$RDIR/log" 2>&1 &
        RPID=$!
        wait_for PONG redis-cli -p $RPORT PING && return 0
        kill -0 $RPID 2>/dev/null && break          # up but not answering: give up
        [ -n "${OWN_STARTED:-}" ] && break          # a restart must keep its port
        RPORT=$((RPORT + 1))
    done
    echo "FATAL: own redis did not start on port $RPORT; log tail:" >&2
    tail -n 5 "$RDIR/log" >&2
    exit 1
}
own_kill() { kill -9 $RPID 2>/dev/null; wait $RPID 2>/dev/null; RPID=; }
ro() { redis-cli -p $RPORT "$@"; }
own_start
OWN_STARTED=1
trap 'stop_gateway; own_kill; stop_server' EXIT
PORT_SAVE=$PORT; PORT=$RPORT
start_gateway --redis-timeout 500 --max-body 2000 --idle-timeout 2 --max-headers 8192
PORT=$PORT_SAVE
trap 'stop_gateway; own_kill; stop_server' EXIT
V=/v1/desks/flt

http POST $V/tickets '{"subject":"before the outage"}'
assert_http "serving before the outage" 201

# ---- Redis down ----
own_kill
start=$(date +%s%N)
http POST $V/tickets '{"subject":"during the outage"}'
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_http "Redis down: 503" 503 UNAVAILABLE
assert_eq "Retry-After" 1 "$(hh retry-after)"
assert_match "answered at once (< 2 s), no hang" "[0-9]*" "$([ $elapsed_ms -lt 2000 ] && echo $elapsed_ms)"
http GET /health
assert_http "health: 503 while down" 503
assert_eq "health says redis down" down "$(hj .redis)"
fast=0
for i in $(seq 20); do
    http GET $V/stats
    [ "$H_STATUS" = 503 ] && fast=$((fast + 1))
done
assert_eq "20 requests while down: all 503" 20 "$fast"
own_start
wait_for 200 bash -c "curl -s -o /dev/null -w '%{http_code}' $BASE/health" &&
    pass "reconnects by itself when Redis returns" || fail "reconnect" "health never 200"
http POST $V/tickets '{"subject":"after the outage"}'
assert_http "serving after the outage" 201

# ---- kill -9 and restart under load: no acknowledged write lost or doubled ----
LOAD=$SERVER_DIR/load
mkdir -p "$LOAD"
load_worker() {   # $1 = worker id; 60 creates, each with a unique subject
    local i code
    for i in $(seq 60); do
        code=$(curl -s -o "$LOAD/$1.$i.body" -w '%{http_code}' --max-time 5 -X POST \
            -H 'Content-Type: application/json' -d "{\"subject\":\"load $1-$i\"}" \
            "$BASE$V/tickets")
        echo "$code load $1-$i" >>"$LOAD/$1.codes"
    done
}
pids=()
for w in 1 2 3 4; do load_worker $w & pids+=($!); done
# Kill once the load is under way (bounded wait), then restart.
codes_at_least() { [ "$(cat "$LOAD"/*.codes 2>/dev/null | grep -c "^$1")" -ge "$2" ]; }   # PREFIX N
wait_until codes_at_least '' 40
own_kill
wait_until codes_at_least 503 4
own_start
wait "${pids[@]}"
acked=$(cat "$LOAD"/*.codes | grep -c '^201')
down=$(cat "$LOAD"/*.codes | grep -c '^503')
other=$(cat "$LOAD"/*.codes | grep -vc '^20[1] \|^503 ')
assert_eq "every response under load is 201 or 503" 0 "$other"
assert_match "some writes were acknowledged, some refused" "ok" "$([ $acked -gt 0 ] && [ $down -gt 0 ] && echo ok)"
lost=0
while read -r code subject; do
    [ "$code" = 201 ] || continue
    w=${subject#load }
    id=$(jq -r .id "$LOAD/${w/-/.}.body" 2>/dev/null)
    [ "$(ro HGET flt:ticket:$id subject)" = "$subject" ] || lost=$((lost + 1))
done < <(cat "$LOAD"/*.codes)
assert_eq "no acknowledged write lost across kill -9 ($acked acknowledged)" 0 "$lost"
subjects=$(for id in $(ro ZRANGE flt:queue:priority 0 -1 | sed 's/ticket://'); do ro HGET flt:ticket:$id subject; done)
dups=$(grep '^load ' <<<"$subjects" | sort | uniq -d | grep -c .)
assert_eq "no write doubled" 0 "$dups"
assert_eq "DESK.CHECK clean after the restart" "" "$(ro DESK.CHECK flt)"

# ---- unknown outcome: no reply in time is a 503, never a 201 ----
ro CLIENT PAUSE 1500 WRITE >/dev/null
http POST $V/tickets '{"subject":"while paused"}'
assert_http "no reply within --redis-timeout: 503" 503 UNAVAILABLE
assert_match "the message says the outcome is unknown" "*unknown*" "$(hj .error.message)"
wait_for 200 bash -c "curl -s -o /dev/null -w '%{http_code}' $BASE/health"
http GET $V/stats
assert_http "serving again after the pause" 200

# ---- bad input ----
big=$(head -c 3000 /dev/zero | tr '\0' a)
http POST $V/tickets "{\"subject\":\"$big\"}"
assert_http "body over --max-body: 413" 413 TOOLARGE
huge=$SERVER_DIR/huge.json
{ printf '{"subject":"'; head -c 3000000 /dev/zero | tr '\0' a; printf '"}'; } >"$huge"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary @"$huge" "$BASE$V/tickets")
assert_eq "a 3 MB body: 413" 413 "$code"
hdrs=()
for i in $(seq 60); do hdrs+=(-H "X-Flood-$i: $(head -c 200 /dev/zero | tr '\0' x)"); done
code=$(curl -s -o /dev/null -w '%{http_code}' "${hdrs[@]}" "$BASE$V/stats")
assert_match "header flood: 4xx" "4[0-9][0-9]" "$code"
http POST $V/tickets $'{"subject":"caf\xe9"}'
assert_http "non-UTF-8 body: 400" 400 INVALID
assert_match "says UTF-8" "*UTF-8*" "$(hj .error.message)"
http GET "$V/tickets?category=%ff"
assert_http "non-UTF-8 query: 400" 400 INVALID
http GET "/v1/desks/%ff/stats"
assert_http "non-UTF-8 path: 400" 400 INVALID
http POST $V/tickets - -H 'Content-Type: text/plain' --data-binary '{"subject":"x"}'
assert_http "wrong content type: 415" 415 UNSUPPORTED
http POST $V/tickets '[1,2]'
assert_http "JSON but not an object: 400" 400 INVALID
http POST $V/tickets '{"subject":"a","subject":"b"}'
assert_http "duplicate keys: 400" 400 INVALID

# A slow client (half a request line, then silence) is cut off by --idle-timeout.
exec 5<>/dev/tcp/127.0.0.1/$HTTP_PORT
printf 'GET /health HTTP/1.1\r\nHost: x\r\n' >&5
closed=no
for _ in $(seq 100); do
    if ! read -r -t 0.1 -u 5 _line; then
        # read fails on timeout (>128) or EOF (1): EOF means the server closed it.
        [ $? -le 128 ] && { closed=yes; break; }
    fi
done
exec 5>&-
assert_eq "slow client closed by --idle-timeout" yes "$closed"
http GET /health
assert_http "still serving others" 200

http_finish
