#!/usr/bin/env bash
# Seed 001 (the FastAPI ticket router): its "How to test" section replayed
# with curl against the gateway's seed-compatible routes, unchanged but for
# host and port. Classification and routing happen inside TICKET.CREATE, so
# "completed" is the status at once (the seed polled until its worker ran).
. "$(dirname "$0")/http_lib.sh"
start_server
start_gateway
B=$BASE

# The seed's two agents: Agent1 serves technical (and account) tickets,
# Agent2 billing.
r AGENT.CREATE help Agent1 "Agent One" SKILLS technical account >/dev/null
r AGENT.CREATE help Agent2 "Agent Two" SKILLS billing >/dev/null

# 1. Health check
out=$(curl -s "$B/health")
assert_eq "1. health status ok" ok "$(jq -r .status <<<"$out")"

# 2. Submit ticket (async 202)
hdr=$(curl -s -i -X POST "$B/tickets" -H "Content-Type: application/json" \
  -d '{"subject":"Login broken ASAP","body":"Cannot log in."}')
assert_match "2. HTTP/1.1 202 Accepted" "HTTP/1.1 202 Accepted*" "$hdr"
body=$(tail -n 1 <<<"$hdr")
TICKET_ID=$(jq -r .ticket_id <<<"$body")
assert_eq "2. status accepted" accepted "$(jq -r .status <<<"$body")"
assert_eq "2. status_url" "/tickets/$TICKET_ID/status" "$(jq -r .status_url <<<"$body")"
assert_eq "2. ticket_id is a JSON number" number "$(jq -r '.ticket_id|type' <<<"$body")"

# 3. Check status lifecycle: completed at once, classified and routed.
st=$(curl -s "$B/tickets/$TICKET_ID/status")
assert_eq "3. completed" completed "$(jq -r .status <<<"$st")"
cat=$(r HGET help:ticket:$TICKET_ID category)
assert_eq "3. category capitalised from the module's" "${cat^}" "$(jq -r .category <<<"$st")"
assert_eq "3. urgency_score is a number" number "$(jq -r '.urgency_score|type' <<<"$st")"
score=$(jq -r .urgency_score <<<"$st")
label=$(awk -v s="$score" 'BEGIN{print (s>=0.8)?"high":(s>=0.4)?"medium":"low"}')
assert_eq "3. urgency_label matches the score" "$label" "$(jq -r .urgency_label <<<"$st")"
assert_eq "3. assigned_agent Agent1" Agent1 "$(jq -r .assigned_agent <<<"$st")"

# 4. Queue priority: low + critical. Agent1 is away while they arrive, so the
# critical (technical) ticket waits unassigned until /tickets/next routes it.
curl -s -o /dev/null -X PUT "$B/v1/desks/help/agents/Agent1/availability" \
  -H "Content-Type: application/json" -d '{"availability":"away"}'
low=$(curl -s -X POST "$B/tickets" -H "Content-Type: application/json" \
  -d '{"description":"Minor UI issue"}' | jq -r .ticket_id)
crit=$(curl -s -X POST "$B/tickets" -H "Content-Type: application/json" \
  -d '{"description":"CRITICAL server outage immediately"}' | jq -r .ticket_id)
q=$(curl -s "$B/queue")
assert_eq "4. /queue: the critical ticket first" "$crit" "$(jq -r '.[0].ticket_id' <<<"$q")"
pos_low=$(jq -r --argjson id "$low" 'map(.ticket_id) | index($id)' <<<"$q")
assert_match "4. /queue lists the low ticket after it" "[1-9]*" "$pos_low"
curl -s -o /dev/null -X PUT "$B/v1/desks/help/agents/Agent1/availability" \
  -H "Content-Type: application/json" -d '{"availability":"online"}'
http GET /tickets/next
assert_http "4. /tickets/next 200" 200
assert_eq "4. /tickets/next pops the critical ticket" "$crit" "$(hj .ticket_id)"
assert_eq "4. popped ticket now assigned" Agent1 "$(r HGET help:ticket:$crit assigned_agent)"
http GET /tickets/next
assert_http "4. /tickets/next again: the low ticket is still unassigned" 200
assert_eq "4. ... and it is the one popped next" "$low" "$(hj .ticket_id)"
http GET /tickets/next
assert_http "4. /tickets/next a third time: 404 when none" 404 NOTFOUND

# 5. Flash flood test
for i in {1..11}; do
  last=$(curl -s -X POST "$B/tickets" -H "Content-Type: application/json" \
    -d '{"description":"Server outage broken login"}' | jq -r .ticket_id)
done
assert_eq "5. last of 11 identical: master_incident" master_incident \
  "$(curl -s "$B/tickets/$last/status" | jq -r .status)"
first_flood=$((last - 10))
assert_eq "5. first of the flood: master_incident too" master_incident \
  "$(curl -s "$B/tickets/$first_flood/status" | jq -r .status)"

# Skill-based routing (the PowerShell part): technical -> Agent1, billing -> Agent2.
t1=$(curl -s -X POST "$B/tickets" -H "Content-Type: application/json" \
  -d '{"description":"API server crash and error"}' | jq -r .ticket_id)
s1=$(curl -s "$B/tickets/$t1/status")
assert_eq "technical category" Technical "$(jq -r .category <<<"$s1")"
assert_eq "technical -> Agent1" Agent1 "$(jq -r .assigned_agent <<<"$s1")"
t2=$(curl -s -X POST "$B/tickets" -H "Content-Type: application/json" \
  -d '{"description":"Refund and billing charge issue"}' | jq -r .ticket_id)
s2=$(curl -s "$B/tickets/$t2/status")
assert_eq "billing category" Billing "$(jq -r .category <<<"$s2")"
assert_eq "billing -> Agent2" Agent2 "$(jq -r .assigned_agent <<<"$s2")"

# Circuit breaker: heavy tickets keep being answered.
codes=""
for i in 1 2 3 4; do
  codes+=$(curl -s -o /dev/null -w '%{http_code} ' -X POST "$B/tickets" \
    -H "Content-Type: application/json" \
    -d '{"description":"Complex legal compliance GDPR violation urgent review"}')
done
assert_eq "4 heavy tickets all accepted" "202 202 202 202 " "$codes"

# Concurrency: 15 simultaneous POSTs, all accepted with distinct ids.
pids=()
for i in $(seq 15); do
  curl -s -X POST "$B/tickets" -H "Content-Type: application/json" \
    -d "{\"subject\":\"parallel $i\",\"body\":\"load test\"}" >"$SERVER_DIR/par.$i" &
  pids+=($!)
done
wait "${pids[@]}"
ids=$(cat "$SERVER_DIR"/par.* | jq -r .ticket_id | sort -n | uniq | grep -c '^[0-9][0-9]*$')
assert_eq "15 parallel POSTs: 15 distinct ids" 15 "$ids"
acc=$(cat "$SERVER_DIR"/par.* | jq -r .status | grep -c accepted)
assert_eq "15 parallel POSTs all accepted" 15 "$acc"
total=$(curl -s "$B/queue?count=1000" | jq length)
assert_eq "/queue holds every active ticket" "$(r ZCARD help:queue:priority)" "$total"

# Validation before any command: nothing changes on a bad request.
assert_http_nochange "no text at all: 400" 400 INVALID POST /tickets '{}'
assert_http_nochange "unknown field named: 400" 400 INVALID POST /tickets '{"subjekt":"x"}'
assert_match "unknown field is named in the message" "*subjekt*" "$(hj .error.message)"
assert_http_nochange "wrong type: 400" 400 INVALID POST /tickets '{"subject":5}'
assert_http_nochange "malformed JSON: 400" 400 INVALID POST /tickets '{"subject":'
assert_http_nochange "not JSON content type: 415" 415 UNSUPPORTED POST /tickets - \
  -H 'Content-Type: text/plain' --data-binary '{"subject":"x"}'
http GET /tickets/999999/status
assert_http "status of an unknown ticket: 404" 404 NOTFOUND

assert_desk_clean help
http_finish
