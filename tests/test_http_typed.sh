#!/usr/bin/env bash
# Gateway routes over the module's typed replies and service levels (SPEC
# sections 4, 10 and 11): integers as JSON numbers (TICKET.GET priority,
# version, *_at), DESK.CONFIG GET|SET subcommands, read-only DESK.CHECK next
# to DESK.REPAIR, TICKET.SLA and DESK.REPORT.
. "$(dirname "$0")/http_lib.sh"
start_server
start_gateway
D=pend
V=/v1/desks/$D

# Typed values: integers are JSON numbers.
http POST $V/tickets '{"subject":"Printer on fire","priority":20}'
T=$(hj .id)
http GET $V/tickets/$T
for f in id priority version created_at updated_at sla_due_at; do
    assert_eq "TICKET.GET $f is a JSON number" number "$(hj ".$f|type")"
done
http GET $V/tickets
assert_eq "PEEK priority is a number" number "$(hj '.tickets[0].priority|type')"

# DESK.CONFIG GET|SET as subcommands.
http GET $V/config
assert_http "GET /config" 200
assert_eq "all settings: flood-threshold present" 10 "$(hj '."flood-threshold"')"
http PUT $V/config '{"name":"flood-threshold","value":5}'
assert_http "PUT /config" 200
http GET "$V/config?name=flood-threshold"
assert_eq "GET /config?name=" 5 "$(hj .value)"
assert_http_nochange "PUT /config unknown name: 400" 400 INVALID PUT $V/config '{"name":"nope","value":1}'
assert_http_nochange "PUT /config bad value: 400" 400 INVALID PUT $V/config '{"name":"flood-threshold","value":"lots"}'
assert_http_nochange "PUT /config unknown field: 400" 400 INVALID PUT $V/config '{"name":"x","value":1,"y":2}'

# DESK.CHECK is read-only (it runs on replicas) but walks the whole desk, so
# under enforce-identity it stays a desk admin's command: an agent gets
# Redis's DENIED as 403, the default user (an admin) the report.
r AGENT.CREATE $D A1 Ann >/dev/null
r ACL SETUSER A1 on '>pw' '~pend*' +ping +desk.check >/dev/null
r CONFIG SET helpdesk.enforce-identity yes >/dev/null
http GET $V/check - -u A1:pw
assert_http "GET /check as an agent: Redis's DENIED" 403 DENIED
http GET $V/check
assert_http "GET /check as the default user (admin)" 200
assert_eq "no violations" 0 "$(hj '.violations|length')"
r CONFIG SET helpdesk.enforce-identity no >/dev/null

# TICKET.SLA.
http GET $V/tickets/$T/sla
assert_http "GET /tickets/{id}/sla" 200
for m in first_reply next_reply resolution; do
    assert_eq "sla: $m is an object" object "$(hj ".$m|type")"
done
assert_eq "sla: resolution due_at is a number" number "$(hj '.resolution.due_at|type')"
http GET $V/tickets/999/sla
assert_http "sla of an unknown ticket: 404" 404 NOTFOUND

# DESK.REPORT.
http GET "$V/report?by=category"
assert_http "GET /report?by=category" 200
assert_eq "report is an object" object "$(hj type)"
http GET "$V/report?from=abc"
assert_http "report: bad from: 400" 400 INVALID

assert_desk_clean $D
http_finish
