#!/usr/bin/env bash
# /openapi.json against the real routes, /metrics (Prometheus text: INFO
# helpdesk counters, requests by route and status, latency histograms),
# /health, the access log, and --help.
. "$(dirname "$0")/http_lib.sh"
start_server
start_gateway
D=obs

# --help lists every flag of SPEC section 10 (and ours).
help=$("$GATEWAY" --help)
for flag in --listen --redis --desk --user --pass --require-auth --static --max-body \
            --idle-timeout --redis-timeout --max-headers --session-ttl --sse-keepalive --cluster; do
    assert_match "--help lists $flag" "*$flag*" "$help"
done
"$GATEWAY" --bogus >/dev/null 2>&1
assert_eq "an unknown flag exits 2" 2 $?
assert_match "an unknown flag is named" "*--bogus*" "$("$GATEWAY" --bogus 2>&1)"

http GET /health
assert_eq "/health" "ok ok" "$(hj '.status + " " + .redis')"

# ---- OpenAPI ----
http GET /openapi.json
assert_eq "OpenAPI 3.1" 3.1.0 "$(hj .openapi)"
assert_eq "every operation has an operationId" "" \
    "$(hj '[.paths[][] | select(.operationId == null)] | length | select(. > 0)')"
assert_eq "POST /tickets documents its body schema" "subject" \
    "$(hj '.paths["/v1/desks/{desk}/tickets"].post.requestBody.content["application/json"].schema.required | join(",")')"
ops=$(hj '.paths | to_entries[] | .key as $p | .value | keys[] | "\(.) \($p)"')
assert_match "documents many operations" "[6-9][0-9]" "$(wc -l <<<"$ops")"
# Every route of SPEC section 10 is documented.
spec_routes="post /v1/desks/{desk}/tickets
get /v1/desks/{desk}/tickets
get /v1/desks/{desk}/tickets/overdue
get /v1/desks/{desk}/tickets/{id}
patch /v1/desks/{desk}/tickets/{id}
delete /v1/desks/{desk}/tickets/{id}
post /v1/desks/{desk}/tickets/{id}/status
post /v1/desks/{desk}/tickets/{id}/assign
post /v1/desks/{desk}/tickets/{id}/unassign
post /v1/desks/{desk}/tickets/{id}/close
post /v1/desks/{desk}/tickets/{id}/reopen
post /v1/desks/{desk}/tickets/{id}/notes
post /v1/desks/{desk}/tickets/{id}/merge
post /v1/desks/{desk}/tickets/{id}/route
get /v1/desks/{desk}/tickets/{id}/log
get /v1/desks/{desk}/tickets/{id}/messages
post /v1/desks/{desk}/tickets/{id}/messages
get /v1/desks/{desk}/tickets/{id}/state
put /v1/desks/{desk}/tickets/{id}/state
patch /v1/desks/{desk}/tickets/{id}/state
delete /v1/desks/{desk}/tickets/{id}/state
get /v1/desks/{desk}/tickets/{id}/sla
post /v1/desks/{desk}/agents/{aid}/next
post /v1/desks/{desk}/agents/{aid}/claim
get /v1/desks/{desk}/agents
post /v1/desks/{desk}/agents
get /v1/desks/{desk}/agents/{aid}
delete /v1/desks/{desk}/agents/{aid}
put /v1/desks/{desk}/agents/{aid}/availability
post /v1/desks/{desk}/agents/{aid}/skills
get /v1/desks/{desk}/agents/{aid}/tickets
post /v1/desks/{desk}/customers
get /v1/desks/{desk}/customers
get /v1/desks/{desk}/customers/{uid}
patch /v1/desks/{desk}/customers/{uid}
delete /v1/desks/{desk}/customers/{uid}
get /v1/desks/{desk}/customers/{uid}/tickets
get /v1/desks/{desk}/stats
get /v1/desks/{desk}/check
get /v1/desks/{desk}/config
put /v1/desks/{desk}/config
post /v1/desks/{desk}/classify
get /v1/desks/{desk}/report
get /v1/desks/{desk}/events
get /v1/desks/{desk}/tickets/{id}/messages/stream
get /health
get /metrics
get /openapi.json
post /v1/session
delete /v1/session
post /tickets
get /tickets/{id}/status
get /queue
get /tickets/next
get /api/agent/tickets/assign
post /api/agent/tickets/sell/{id}
get /api/admin/tickets
post /api/admin/tickets
put /api/admin/tickets/{id}
delete /api/admin/tickets/{id}"
missing=$(comm -23 <(sort <<<"$spec_routes") <(sort <<<"$ops") | tr '\n' ';')
assert_eq "every SPEC route is in /openapi.json" "" "$missing"
# Every documented operation is a real route: never the router's 404/405.
r AGENT.CREATE $D A1 Ann >/dev/null
r TICKET.CREATE $D "probe" >/dev/null
bad=
while read -r m p; do
    [[ "$p" == */stream || "$p" == */events ]] && continue    # streams: below
    path=${p//\{desk\}/$D}; path=${path//\{id\}/1}; path=${path//\{aid\}/A1}; path=${path//\{uid\}/1}
    code=$(curl -s -o "$SERVER_DIR/probe" -w '%{http_code}' --max-time 5 -X "${m^^}" "$BASE$path")
    msg=$(jq -r '.error.message // ""' "$SERVER_DIR/probe" 2>/dev/null)
    if [ "$code" = 405 ] || [[ "$msg" == "no such route"* ]]; then bad+="$m $p ($code) "; fi
done <<<"$ops"
assert_eq "every documented operation is routed" "" "$bad"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$BASE/v1/desks/$D/events")
assert_eq "the events stream is routed" 200 "$code"
http GET /v1/desks/$D/nope
assert_eq "an undocumented path is not routed" 404 "$H_STATUS"

# ---- metrics ----
metric() { curl -s "$BASE/metrics" | grep -F "$1" | awk '{print $NF}' | head -n 1; }
C201='helpdesk_http_requests_total{route="/v1/desks/{desk}/tickets",method="POST",status="201"}'
C404='helpdesk_http_requests_total{route="/v1/desks/{desk}/tickets/{id}",method="GET",status="404"}'
HINF='helpdesk_http_request_seconds_bucket{route="/v1/desks/{desk}/tickets",le="+Inf"}'
HCNT='helpdesk_http_request_seconds_count{route="/v1/desks/{desk}/tickets"}'
b201=$(metric "$C201"); b404=$(metric "$C404"); binf=$(metric "$HINF"); bcnt=$(metric "$HCNT")
for i in 1 2 3; do http POST /v1/desks/$D/tickets '{"subject":"metric me"}'; done
http GET /v1/desks/$D/tickets/999
assert_eq "requests by route/method/status: +3 201s" $((${b201:-0} + 3)) "$(metric "$C201")"
assert_eq "404s counted by route" $((${b404:-0} + 1)) "$(metric "$C404")"
assert_eq "latency histogram +Inf bucket +3" $((binf + 3)) "$(metric "$HINF")"
assert_eq "histogram count +3" $((bcnt + 3)) "$(metric "$HCNT")"
http GET /metrics
assert_match "Prometheus content type" "text/plain*" "$(hh content-type)"
created=$(grep '^helpdesk_tickets_created ' <<<"$H_BODY" | cut -d' ' -f2)
assert_eq "INFO helpdesk counters exported" "$(r INFO helpdesk | tr -d '\r' | sed -n 's/^helpdesk_tickets_created://p')" "$created"
assert_match "per-command calls from INFO" "*helpdesk_cmd_calls_total{cmd=\"ticket_create\"}*" "$H_BODY"
assert_match "helpdesk_up 1" "*helpdesk_up 1*" "$H_BODY"
bad_lines=$(grep -v '^#' <<<"$H_BODY" | grep -Evc '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? -?[0-9.e+-]+$')
assert_eq "every sample line is well-formed" 0 "$bad_lines"

# ---- access log: one line per request, method path status usec user ----
http POST /v1/desks/$D/tickets '{"subject":"logged"}' -u default:
assert_match "access log line" "*POST /v1/desks/$D/tickets 201 *us user=default*" "$(tail -n 5 "$SERVER_DIR/gateway.log")"

assert_desk_clean $D
http_finish
