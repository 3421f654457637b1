#!/usr/bin/env bash
# Seed 004 (the Django batch assignment API) against the gateway: two agent
# users and an admin user, each a Redis ACL user. Permissions come from
# Redis only (ACLs + helpdesk.enforce-identity); the gateway passes the
# caller's identity through, so every 403 below is Redis's DENIED or NOPERM.
. "$(dirname "$0")/http_lib.sh"
start_server
start_gateway

AGENT_ACL=('~help*' +ping +ticket.claim +ticket.close +ticket.get +ticket.next +agent.get)
r ACL SETUSER boss on '>bosspw' '~help*' +@all >/dev/null
r ACL SETUSER A1 on '>pw1' "${AGENT_ACL[@]}" >/dev/null
r ACL SETUSER A2 on '>pw2' "${AGENT_ACL[@]}" >/dev/null
SKILLS=(billing technical legal returns shipping account)
r AGENT.CREATE help A1 "Agent One" SKILLS "${SKILLS[@]}" >/dev/null
r AGENT.CREATE help A2 "Agent Two" SKILLS "${SKILLS[@]}" >/dev/null
r DESK.ADMIN help ADD boss >/dev/null
desk_config_set help flood-threshold 0   # 40 look-alike tickets are not a flood here
r CONFIG SET helpdesk.enforce-identity yes >/dev/null
ADMIN=(-u boss:bosspw) AG1=(-u A1:pw1) AG2=(-u A2:pw2)

# Admin creates 40 tickets.
created=0
for i in $(seq 40); do
    http POST /api/admin/tickets/ "{\"title\":\"Ticket $i\",\"description\":\"printer $i jams\"}" "${ADMIN[@]}"
    [ "$H_STATUS" = 201 ] && [ "$(hj .id)" = "$i" ] && created=$((created + 1))
done
assert_eq "admin creates 40 tickets (201, ids in order)" 40 "$created"
assert_eq "Location of the last one" "/api/admin/tickets/40/" "$(hh location)"

# Batches of 15 in creation order.
http GET /api/agent/tickets/assign/ - "${AG1[@]}"
assert_http "A1 fetches its batch" 200
assert_eq "A1: tickets 1-15 in creation order" "$(seq -s ' ' 1 15)" "$(hj '[.[].id] | join(" ")')"
assert_eq "A1: each ticket assigned to A1" A1 "$(hj '[.[].assigned_agent] | unique | join(",")')"
http GET /api/agent/tickets/assign/ - "${AG2[@]}"
assert_eq "A2: tickets 16-30" "$(seq -s ' ' 16 30)" "$(hj '[.[].id] | join(" ")')"
http GET /api/agent/tickets/assign/ - "${AG1[@]}"
assert_eq "A1 again: the same 15, nothing new" "$(seq -s ' ' 1 15)" "$(hj '[.[].id] | join(" ")')"
http GET /api/agent/tickets/assign/
assert_http "assign without credentials: 401" 401 UNAUTHORIZED

# Selling.
http POST /api/agent/tickets/sell/3/ - "${AG1[@]}"
assert_http "A1 sells its ticket 3" 200
assert_eq "ticket 3 closed" closed "$(r HGET help:ticket:3 status)"
assert_match "resolution sold logged" "*sold*" "$(r LRANGE help:ticket:3:log 0 -1)"
http GET /api/agent/tickets/assign/ - "${AG1[@]}"
assert_eq "A1 topped up with the oldest unassigned (31)" \
    "1 2 4 5 6 7 8 9 10 11 12 13 14 15 31" "$(hj '[.[].id] | join(" ")')"
assert_http_nochange "A1 selling A2's ticket: 403" 403 DENIED POST /api/agent/tickets/sell/16/ - "${AG1[@]}"
assert_eq "ticket 16 still A2's and open" "A2 open" "$(r HMGET help:ticket:16 assigned_agent status | tr '\n' ' ' | sed 's/ $//')"
assert_http_nochange "selling an unknown ticket: 404" 404 NOTFOUND POST /api/agent/tickets/sell/999/ - "${ADMIN[@]}"

# Agents get 403 on the admin routes (Redis refuses: NOPERM or DENIED).
for req in "GET /api/admin/tickets/" "POST /api/admin/tickets/ {\"title\":\"mine\"}" \
           "PUT /api/admin/tickets/16/ {\"title\":\"hijack\"}" "DELETE /api/admin/tickets/16/"; do
    read -r m p b <<<"$req"
    assert_http_nochange "agent: $m $p -> 403" 403 "" "$m" "$p" "${b:--}" "${AG1[@]}"
done
http DELETE /api/admin/tickets/16/ - "${AG2[@]}"
case $(hj .error.code) in DENIED|NOPERM) pass "agent's 403 comes from Redis ($(hj .error.code))" ;;
    *) fail "agent's 403 comes from Redis" "got $H_BODY" ;; esac
http DELETE /api/admin/tickets/16/ - "${AG1[@]}"
r ACL SETUSER A1 +ticket.del >/dev/null     # past the ACL, the module's identity rule
http DELETE /api/admin/tickets/16/ - "${AG1[@]}"
assert_http "agent allowed TICKET.DEL by ACL: the module still says DENIED" 403 DENIED
r ACL SETUSER A1 -ticket.del >/dev/null
assert_match "an ACL LOG entry was written" "*ticket.del*" "$(r ACL LOG)"

# Admin CRUD.
http GET /api/admin/tickets/ - "${ADMIN[@]}"
assert_http "admin lists tickets" 200
assert_eq "admin list: every active ticket" 39 "$(hj length)"
http PUT /api/admin/tickets/20/ '{"title":"Renamed","priority":20}' "${ADMIN[@]}"
assert_http "admin updates a ticket" 200
assert_eq "update: subject" Renamed "$(hj .subject)"
assert_eq "update: stored" "Renamed 20" "$(r HMGET help:ticket:20 subject priority | tr '\n' ' ' | sed 's/ $//')"
assert_http_nochange "admin update with an unknown field: 400" 400 INVALID \
    PUT /api/admin/tickets/20/ '{"titel":"x"}' "${ADMIN[@]}"
http DELETE /api/admin/tickets/20/ - "${ADMIN[@]}"
assert_http "admin deletes a ticket: 204" 204
assert_eq "ticket 20 gone" 0 "$(r EXISTS help:ticket:20)"
assert_http_nochange "delete again: 404" 404 NOTFOUND DELETE /api/admin/tickets/20/ - "${ADMIN[@]}"
assert_http_nochange "create without a title: 400" 400 INVALID POST /api/admin/tickets/ '{"description":"x"}' "${ADMIN[@]}"
assert_desk_clean help

# Concurrency: 20 simultaneous batch requests (10 per agent) on a fresh desk
# with 60 tickets: never one ticket in both agents' batches.
r CONFIG SET helpdesk.enforce-identity no >/dev/null
r DESK.PURGE help >/dev/null
r AGENT.CREATE help A1 "Agent One" SKILLS "${SKILLS[@]}" >/dev/null
r AGENT.CREATE help A2 "Agent Two" SKILLS "${SKILLS[@]}" >/dev/null
r DESK.ADMIN help ADD boss >/dev/null
desk_config_set help flood-threshold 0
r CONFIG SET helpdesk.enforce-identity yes >/dev/null
for i in $(seq 60); do
    curl -s -o /dev/null -u boss:bosspw -X POST "$BASE/api/admin/tickets/" \
        -H 'Content-Type: application/json' -d "{\"title\":\"c$i\"}"
done
pids=()
for i in $(seq 20); do
    who=$(( i % 2 + 1 ))
    curl -s -u "A$who:pw$who" "$BASE/api/agent/tickets/assign/" >"$SERVER_DIR/batch.$who.$i" &
    pids+=($!)
done
wait "${pids[@]}"
a1=$(cat "$SERVER_DIR"/batch.1.* | jq -r '.[] | select(.assigned_agent=="A1") | .id' | sort -u)
a2=$(cat "$SERVER_DIR"/batch.2.* | jq -r '.[] | select(.assigned_agent=="A2") | .id' | sort -u)
both=$(comm -12 <(echo "$a1") <(echo "$a2") | grep -c .)
assert_eq "20 concurrent requests: no ticket in both batches" 0 "$both"
assert_eq "A1 holds exactly 15" 15 "$(echo "$a1" | grep -c .)"
assert_eq "A2 holds exactly 15" 15 "$(echo "$a2" | grep -c .)"
bad=$(cat "$SERVER_DIR"/batch.* | jq -r 'if type=="array" then empty else "x" end' | grep -c x)
assert_eq "every concurrent response was a batch" 0 "$bad"
assert_eq "assignments in Redis match: 30 assigned" 30 \
    "$(( $(r SCARD help:agent:A1:open_tickets) + $(r SCARD help:agent:A2:open_tickets) ))"
assert_desk_clean help
http_finish
