#!/usr/bin/env bash
# Server-Sent Events: GET /v1/desks/{desk}/events and
# /tickets/{id}/messages/stream, fed by XREAD BLOCK on a connection per
# stream; id: = stream id, event: = type, data: = JSON; Last-Event-ID and
# ?after= resume exactly after that entry; a comment line per keep-alive.
. "$(dirname "$0")/http_lib.sh"
start_server
start_gateway --sse-keepalive 300
V=/v1/desks/sse
SSE_PID=

# sse_open FILE PATH [curl args]: stream into FILE in the background.
sse_open() {
    local file=$1 path=$2; shift 2
    : >"$file"
    curl -sN --max-time 60 "$@" "$BASE$path" >"$file" 2>/dev/null &
    SSE_PID=$!
}
sse_close() { [ -n "$SSE_PID" ] && kill "$SSE_PID" 2>/dev/null; wait "$SSE_PID" 2>/dev/null; SSE_PID=; }
# Wait (bounded) until FILE has at least N lines matching PATTERN.
sse_has() { [ "$(grep -c -- "$2" "$1")" -ge "${3:-1}" ]; }
sse_wait() { wait_until sse_has "$@"; }
# The events of FILE as "id type ticket" lines.
sse_events() {
    awk '/^id: /{id=$2} /^event: /{ev=$2} /^data: /{sub(/^data: /,""); print id " " ev " " $0}' "$1" |
        while read -r id ev data; do echo "$id $ev $(jq -r .ticket <<<"$data")"; done
}
gwconns() { r CLIENT LIST | grep -c 'cmd=xread'; }

F=$SERVER_DIR/events.txt
sse_open "$F" $V/events
sse_wait "$F" '^: stream' || fail "stream opened" "no preamble: $(cat "$F")"
t1=$(r TICKET.CREATE sse "Printer jammed" CATEGORY general PRIORITY 1)
sse_wait "$F" '^event: created' && pass "created event arrives live" || fail "created event" "$(cat "$F")"
line=$(sse_events "$F" | tail -n 1)
read -r id1 ev1 tk1 <<<"$line"
assert_eq "event: is the type, data.ticket the id" "created $t1" "$ev1 $tk1"
assert_eq "id: is the stream id" "$(r XREVRANGE sse:events + - COUNT 1 | head -n 1)" "$id1"
data=$(grep '^data: ' "$F" | tail -n 1 | sed 's/^data: //')
assert_eq "data is a JSON object with a numeric ticket" number "$(jq -r '.ticket|type' <<<"$data")"
sse_wait "$F" '^: keep-alive' && pass "a comment line per keep-alive period" || fail "keep-alive" "$(cat "$F")"
content_type=$(curl -s -o /dev/null -w '%{content_type}' --max-time 1 "$BASE$V/events")
assert_match "Content-Type text/event-stream" "text/event-stream*" "$content_type"

# Disconnect, three tickets meanwhile, reconnect with Last-Event-ID.
sse_close
ids=()
for i in 1 2 3; do ids+=("$(r TICKET.CREATE sse "Missed $i" CATEGORY general PRIORITY 1)"); done
sse_open "$F" $V/events -H "Last-Event-ID: $id1"
sse_wait "$F" '^event: ' 3
got=$(sse_events "$F" | awk '{print $2 ":" $3}' | tr '\n' ' ' | sed 's/ $//')
assert_eq "Last-Event-ID: exactly the three missed" "created:${ids[0]} created:${ids[1]} created:${ids[2]}" "$got"
t5=$(r TICKET.CREATE sse "Live again" CATEGORY general PRIORITY 1)
sse_wait "$F" '^event: ' 4
assert_eq "then live ones" "created $t5" "$(sse_events "$F" | tail -n 1 | cut -d' ' -f2-)"
sse_close
sse_open "$F" "$V/events?after=$id1"
sse_wait "$F" '^event: ' 4
assert_eq "?after= resumes the same way" 4 "$(grep -c '^event: ' "$F")"
sse_close
wait_for 0 gwconns
assert_eq "closed streams release their Redis connection" 0 "$(gwconns)"

http GET $V/events - -H 'Last-Event-ID: bogus'
assert_http "bad Last-Event-ID: 400" 400 INVALID

# Chat stream.
C=$SERVER_DIR/chat.txt
sse_open "$C" $V/tickets/$t1/messages/stream
sse_wait "$C" '^: stream'
http POST $V/tickets/$t1/messages '{"sender":"customer","text":"hello there"}'
mid=$(hj .id)
sse_wait "$C" '^event: message' && pass "chat message arrives live" || fail "chat" "$(cat "$C")"
assert_eq "chat id: is the message id" "$mid" "$(awk '/^id: /{print $2}' "$C" | tail -n 1)"
assert_eq "chat data: sender and text" "customer hello there" \
    "$(grep '^data: ' "$C" | tail -n 1 | sed 's/^data: //' | jq -r '.sender + " " + .text')"
sse_close
http GET $V/tickets/abc/messages/stream
assert_http "chat stream of a bad id: 400" 400 INVALID

# Identity: a user that may not read streams gets Redis's refusal, as JSON.
r ACL SETUSER nostream on '>pw' '~sse*' +ping >/dev/null
http GET $V/events - -u nostream:pw
assert_http "no XREAD permission: 403 NOPERM" 403 NOPERM
r ACL SETUSER reader on '>pw' '~sse*' +ping +xread +xrevrange >/dev/null
sse_open "$F" $V/events -u reader:pw
sse_wait "$F" '^: stream' && pass "a user with XREAD may stream" || fail "reader" "$(cat "$F")"
sse_close

assert_desk_clean sse
http_finish
