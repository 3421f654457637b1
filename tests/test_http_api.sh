#!/usr/bin/env bash
# Native routes of the gateway (SPEC section 10), /v1/desks/{desk}/...: each
# route's happy path and errors, status codes and the error body, and that a
# failed request changed nothing (DEBUG DIGEST before/after).
. "$(dirname "$0")/http_lib.sh"
start_server
start_gateway
V=/v1/desks/api

# ---- customers ----
http POST $V/customers '{"name":"Ada","email":"ada@example.com","phone":"+4912345"}'
assert_http "POST /customers 201" 201
assert_eq "customer id" 1 "$(hj .id)"
assert_eq "customer Location" "$V/customers/1" "$(hh location)"
assert_eq "customer body has the email" ada@example.com "$(hj .email)"
assert_http_nochange "duplicate email: 409 EXISTS" 409 EXISTS POST $V/customers '{"name":"A2","email":"ada@example.com"}'
assert_http_nochange "missing email: 400" 400 INVALID POST $V/customers '{"name":"A2"}'
http GET "$V/customers?email=ADA@example.com"
assert_eq "GET /customers?email= finds her" 1 "$(hj .id)"
http GET "$V/customers?email=nobody@example.com"
assert_http "unknown email: 404" 404 NOTFOUND
http GET "$V/customers"
assert_http "find without email: 400" 400 INVALID
http PATCH $V/customers/1 '{"name":"Ada L."}'
assert_http "PATCH /customers/1" 200
assert_eq "name changed" "Ada L." "$(r HGET api:user:1 name)"
assert_http_nochange "PATCH unknown field: 400" 400 INVALID PATCH $V/customers/1 '{"age":3}'
assert_http_nochange "PATCH unknown customer: 404" 404 NOTFOUND PATCH $V/customers/77 '{"name":"x"}'

# ---- agents ----
http POST $V/agents '{"id":"A1","name":"Ann","skills":["billing","technical"],"capacity":3}'
assert_http "POST /agents 201" 201
assert_eq "agent skills" "billing technical" "$(hj '.skills|sort|join(" ")')"
assert_eq "agent capacity is a number" number "$(hj '.capacity|type')"
http POST $V/agents '{"id":"A2","name":"Ben","skills":["billing"]}'
assert_http_nochange "agent exists: 409" 409 EXISTS POST $V/agents '{"id":"A1","name":"x"}'
assert_http_nochange "agent skills not an array of strings: 400" 400 INVALID POST $V/agents '{"id":"A3","name":"x","skills":[1]}'
http GET $V/agents
assert_eq "GET /agents lists 2" 2 "$(hj '.agents|length')"
http GET "$V/agents?skill=technical"
assert_eq "GET /agents?skill=technical: A1" A1 "$(hj '.agents[0].id')"
http GET $V/agents/A1
assert_eq "GET /agents/A1" Ann "$(hj .name)"
http GET $V/agents/NOPE
assert_http "unknown agent: 404" 404 NOTFOUND
http POST $V/agents/A2/skills '{"add":["legal"]}'
assert_eq "skills add" "billing legal" "$(hj '.skills|sort|join(" ")')"
http POST $V/agents/A2/skills '{"remove":["legal"]}'
assert_eq "skills remove" billing "$(hj '.skills|join(" ")')"
assert_http_nochange "skills: both add and remove: 400" 400 INVALID POST $V/agents/A2/skills '{"add":["x"],"remove":["y"]}'
http PUT $V/agents/A2/availability '{"availability":"away"}'
assert_http "PUT availability" 200
assert_eq "A2 away" away "$(r HGET api:agent:A2 availability)"
assert_http_nochange "bad availability: 400" 400 INVALID PUT $V/agents/A2/availability '{"availability":"asleep"}'
http PUT $V/agents/A2/availability '{"availability":"online"}'

# ---- tickets ----
http POST $V/tickets '{"subject":"Refund for order 9","body":"charged twice","customer":1,"category":"billing","priority":10}'
assert_http "POST /tickets 201" 201
T1=$(hj .id)
assert_eq "ticket id is a number" number "$(hj '.id|type')"
assert_eq "Location" "$V/tickets/$T1" "$(hh location)"
assert_eq "ticket body: subject" "Refund for order 9" "$(hj .subject)"
http POST $V/tickets '{"subject":"Server down","body":"outage","route":true}'
T2=$(hj .id)
assert_eq "classified: urgency is a JSON number" number "$(hj '.urgency|type')"
assert_eq "route:true assigns at once" A1 "$(hj .assigned_agent)"
assert_http_nochange "create: subject missing: 400" 400 INVALID POST $V/tickets '{"body":"x"}'
assert_http_nochange "create: unknown customer: 404" 404 NOTFOUND POST $V/tickets '{"subject":"x","customer":999}'
assert_http_nochange "create: bad priority: 400" 400 INVALID POST $V/tickets '{"subject":"x","priority":5000}'
assert_http_nochange "create: priority as a string: 400" 400 INVALID POST $V/tickets '{"subject":"x","priority":"high"}'
assert_http_nochange "create: bad desk name: 400" 400 INVALID POST /v1/desks/bad:desk/tickets '{"subject":"x"}'

http GET $V/tickets
assert_eq "GET /tickets (PEEK): 2" 2 "$(hj '.tickets|length')"
http GET "$V/tickets?unassigned=true"
assert_eq "unassigned only: T1" "$T1" "$(hj '.tickets[0].id')"
http GET "$V/tickets?category=billing&count=5"
assert_eq "category=billing: T1" "$T1" "$(hj '.tickets[0].id')"
http GET "$V/tickets?count=abc"
assert_http "count not a number: 400" 400 INVALID
http GET $V/tickets/overdue
assert_http "GET /tickets/overdue" 200
assert_eq "nothing overdue" 0 "$(hj '.tickets|length')"

http GET $V/tickets/$T1
assert_eq "GET ticket" "Refund for order 9" "$(hj .subject)"
ver=$(r HGET api:ticket:$T1 version)
http PATCH $V/tickets/$T1 '{"subject":"Refund for order 9 (urgent)"}' -H "If-Match: $ver"
assert_http "PATCH with If-Match" 200
assert_eq "new version" $((ver + 1)) "$(hj .version)"
assert_http_nochange "PATCH with a stale If-Match: 412" 412 CONFLICT PATCH $V/tickets/$T1 '{"subject":"x"}' -H "If-Match: $ver"
assert_http_nochange "PATCH unknown field: 400" 400 INVALID PATCH $V/tickets/$T1 '{"colour":"red"}'
assert_http_nochange "PATCH empty: 400" 400 INVALID PATCH $V/tickets/$T1 '{}'
assert_http_nochange "PATCH If-Match not a number: 400" 400 INVALID PATCH $V/tickets/$T1 '{"subject":"x"}' -H 'If-Match: abc'
http GET $V/tickets/999
assert_http "unknown ticket: 404" 404 NOTFOUND

http POST $V/tickets/$T1/assign '{"agent":"A2"}'
assert_http "assign" 200
assert_eq "assigned" A2 "$(r HGET api:ticket:$T1 assigned_agent)"
assert_http_nochange "assign to an agent without the skill: 400" 400 INVALID POST $V/tickets/$T2/assign '{"agent":"A2"}'
http POST $V/tickets/$T1/status '{"status":"in_progress","note":"on it"}'
assert_http "status in_progress" 200
assert_http_nochange "illegal status: 409 STATE" 409 STATE POST $V/tickets/$T1/status '{"status":"merged"}'
http POST $V/tickets/$T1/notes '{"text":"called the customer"}'
assert_http "note: 201" 201
assert_http_nochange "note without text: 400" 400 INVALID POST $V/tickets/$T1/notes '{}'
http GET "$V/tickets/$T1/log?count=2"
assert_eq "log: the last 2 entries" 2 "$(hj '.log|length')"
assert_match "log ends with the note" "*called the customer*" "$(hj '.log[-1]')"
http POST $V/tickets/$T1/messages '{"sender":"customer","text":"any news?"}'
assert_http "post a message: 201" 201
mid=$(hj .id)
assert_match "message id is a stream id" "*-*" "$mid"
http GET $V/tickets/$T1/messages
assert_eq "messages list" "any news?" "$(hj '.messages[0].text')"
assert_http_nochange "message without sender: 400" 400 INVALID POST $V/tickets/$T1/messages '{"text":"x"}'
http POST $V/tickets/$T1/unassign
assert_http "unassign (no body)" 200
assert_http_nochange "unassign again: 409 STATE" 409 STATE POST $V/tickets/$T1/unassign
http POST $V/tickets/$T1/route
assert_http "route" 200
assert_eq "routed to the least loaded billing agent" A2 "$(hj .agent)"
assert_http_nochange "route an assigned ticket: 409 STATE" 409 STATE POST $V/tickets/$T1/route
assert_http_nochange "route with a body field: 400" 400 INVALID POST $V/tickets/$T1/route '{"agent":"A1"}'

# Assistant state
http PUT $V/tickets/$T1/state '{"facts":{"order":9}}'
assert_http "PUT state" 200
sv=$(hj .version)
http GET $V/tickets/$T1/state
assert_eq "GET state is the JSON document" 9 "$(hj .facts.order)"
http PATCH $V/tickets/$T1/state '{"refund":true}' -H "If-Match: $sv"
assert_http "PATCH state (merge patch)" 200
http GET $V/tickets/$T1/state
assert_eq "merged fact" true "$(hj .facts.refund)"
assert_http_nochange "PUT state unknown field: 400" 400 INVALID PUT $V/tickets/$T1/state '{"fax":{}}'
assert_http_nochange "PATCH state stale version: 412" 412 CONFLICT PATCH $V/tickets/$T1/state '{"a":1}' -H "If-Match: $sv"
http DELETE $V/tickets/$T1/state
assert_http "DELETE state: 204" 204
http GET $V/tickets/$T1/state
assert_http "state gone: 404" 404 NOTFOUND

# Agent pulls
http POST $V/tickets '{"subject":"Invoice question","category":"billing"}'
T3=$(hj .id)
http POST $V/agents/A2/next
assert_http "next: 200 with the ticket" 200
assert_eq "next ticket" "$T3" "$(hj .id)"
http POST $V/agents/A2/next
assert_http "next with nothing waiting: 204" 204
http POST "$V/agents/A2/next?block=100"
assert_http "next ?block=100 with nothing: 204 after the wait" 204
http POST "$V/agents/A2/next?block=abc"
assert_http "next ?block=abc: 400" 400 INVALID
http POST $V/agents/NOPE/next
assert_http "next for an unknown agent: 404" 404 NOTFOUND
http POST $V/agents/A1/claim '{"count":3}'
assert_http "claim" 200
assert_eq "claim returns the open ticket ids" "$T2" "$(hj '.tickets|join(",")')"
assert_http_nochange "claim: bad order: 400" 400 INVALID POST $V/agents/A1/claim '{"order":"random"}'
http GET $V/agents/A2/tickets
assert_eq "agent tickets" 2 "$(hj '.tickets|length')"

# close / reopen / merge / delete
http POST $V/tickets/$T1/close '{"resolution":"refunded"}'
assert_http "close" 200
assert_http_nochange "close again: 409" 409 STATE POST $V/tickets/$T1/close
http POST $V/tickets/$T1/reopen
assert_http "reopen" 200
http POST $V/tickets '{"subject":"Refund for order 9 again","category":"billing"}'
T4=$(hj .id)
http POST $V/tickets/$T4/merge "{\"into\":$T1}"
assert_http "merge" 200
assert_eq "merged" merged "$(r HGET api:ticket:$T4 status)"
assert_http_nochange "merge into itself: 4xx" 400 INVALID POST $V/tickets/$T1/merge "{\"into\":$T1}"
http DELETE $V/tickets/$T4
assert_http "DELETE ticket: 204" 204
assert_http_nochange "DELETE again: 404" 404 NOTFOUND DELETE $V/tickets/$T4

# desk
http GET $V/stats
assert_eq "stats: open count is a number" number "$(hj '.status.open|type')"
assert_eq "stats: agents" 2 "$(hj .agents)"
http POST $V/classify '{"text":"refund my double charge"}'
assert_eq "classify: billing" billing "$(hj .category)"
assert_eq "classify: urgency is a number" number "$(hj '.urgency|type')"
assert_http_nochange "classify without text: 400" 400 INVALID POST $V/classify '{}'
http GET $V/customers/1/tickets
assert_eq "customer tickets" "$T1" "$(hj '.tickets|join(",")')"
http DELETE $V/agents/A2
assert_http "DELETE agent: 204" 204
http DELETE $V/customers/1
assert_http "DELETE customer: 204" 204
assert_http_nochange "DELETE customer again: 404" 404 NOTFOUND DELETE $V/customers/1

# routing errors of the gateway itself
http GET /v1/desks/api/nothing-here
assert_http "unknown route: 404" 404 NOTFOUND
http PUT $V/tickets/$T1/close
assert_http "wrong method: 405" 405 METHOD
assert_match "405 carries Allow" "*POST*" "$(hh allow)"
assert_eq "error body shape" "true true" "$(hj '(.error.code|type=="string"), (.error.message|type=="string")' | tr '\n' ' ' | sed 's/ $//')"

assert_desk_clean api
http_finish
