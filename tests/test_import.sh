#!/usr/bin/env bash
# scripts/tools/import: a CSV export replayed through TICKET.CREATE / TICKET.MSG /
# TICKET.CLOSE ... AT, one atomic step per row; per-row errors with the row
# number, nothing half-imported, a summary, --dry-run and --help.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
start_server
IMPORT="$ROOT/scripts/tools/import"
D=imp
ms() { echo $(( $(date -u -d "$1" +%s) * 1000 )); }
long=$(printf 'x%.0s' $(seq 1100))
CSV=$SERVER_DIR/export.csv
cat >"$CSV" <<CSV
Subject,Body,Customer Email,Created,First Reply,Closed
Printer jammed,It eats paper,ann@example.com,2026-01-05T09:00:00Z,2026-01-05T09:30:00Z,2026-01-05T11:00:00Z
Refund please,,bob@example.com,$(ms "2026-01-06 10:00"),,
Bad date,x,carl@example.com,yesterday,,
Out of order,x,dora@example.com,2026-01-07T10:00:00Z,2026-01-07T09:00:00Z,
$long,too long for the module,erin@example.com,2026-01-08T10:00:00Z,,
Second from Ann,,ann@example.com,2026-01-09 08:00,2026-01-09 08:05,
CSV

assert_match "--help explains the columns" "*subject, body, customer email, created*" \
    "$("$IMPORT" --help | tr '\n' ' ')"
before=$(dbdigest)
out=$("$IMPORT" --dry-run --port "$PORT" --desk $D "$CSV" 2>"$SERVER_DIR/dry.err"); rc=$?
assert_match "dry run summary" "6 rows read, 4 would be imported, 2 rejected*dry run*" "$out"
assert_eq "dry run writes nothing" "$before" "$(dbdigest)"
assert_eq "dry run exit status 1 (rows rejected)" 1 "$rc"

out=$("$IMPORT" --port "$PORT" --desk $D "$CSV" 2>"$SERVER_DIR/err"); rc=$?
assert_match "summary" "6 rows read, 3 imported, 3 rejected*" "$out"
assert_eq "exit status 1 when rows are rejected" 1 "$rc"
errs=$(tr '\r' '\n' <"$SERVER_DIR/err" | grep '^row')
assert_match "row 4: a bad date, with the row number" "*row 4: created 'yesterday'*" "$errs"
assert_match "row 5: a reply before creation" "*row 5: first reply is before created*" "$errs"
assert_match "row 6: refused by the module, with its error" "*row 6: INVALID*subject*" "$errs"
assert_eq "three tickets" 3 "$(r KEYS "$D:ticket:*" | grep -c "^$D:ticket:[0-9]*$")"
assert_eq "nothing half-imported: no customer erin" "" "$(r CUSTOMER.FIND $D erin@example.com)"
assert_eq "ticket 1 created at its time" "$(ms '2026-01-05 09:00')" "$(r HGET $D:ticket:1 created_at)"
assert_eq "its first reply at its time" "$(ms '2026-01-05 09:30')" "$(r HGET $D:ticket:1 first_reply_at)"
assert_eq "closed at its time" "$(ms '2026-01-05 11:00')" "$(r HGET $D:ticket:1 closed_at)"
assert_eq "status closed" closed "$(r HGET $D:ticket:1 status)"
assert_eq "the open ticket stays open" open "$(r HGET $D:ticket:2 status)"
ann=$(r CUSTOMER.FIND $D ann@example.com | sed -n '/^id$/{n;p}')
assert_eq "the same customer for both of Ann's tickets" 2 "$(r SCARD $D:user:$ann:tickets)"
assert_eq "the report counts the imported day" 1 \
    "$(redis-cli -3 --json -p "$PORT" DESK.REPORT $D FROM "$(ms '2026-01-05 00:00')" TO "$(ms '2026-01-05 23:59')" |
       python3 -c 'import json,sys; print(json.load(sys.stdin)["all"]["closed"])')"
assert_eq "TICKET.CLOSE AT before the last message is refused" INVALID \
    "$(redis-cli -p "$PORT" TICKET.CLOSE $D 2 AT 1000 | cut -d' ' -f1)"
assert_eq "DESK.CHECK finds nothing" "" "$(r DESK.CHECK $D)"
"$IMPORT" --port 1 --desk $D "$CSV" >/dev/null 2>&1
assert_eq "exit status 2 when the server is unreachable" 2 "$?"
finish
