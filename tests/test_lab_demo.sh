#!/usr/bin/env bash
# The lab demo from the README runs end to end against a fresh server:
# every step answers as expected and the desk is consistent at the end.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
out=$("$ROOT/scripts/lab-demo" -p "$PORT" -d lab 2>&1)
rc=$?
assert_eq "lab-demo exits 0" 0 "$rc"
assert_match "lab-demo ends consistent" "*lab-demo: done, desk consistent.*" "$out"
assert_eq "no unexpected success among the VALIDATE steps" "" "$(grep 'UNEXPECTED SUCCESS' <<<"$out")"
assert_eq "eight VALIDATE steps fail with a code word" 8 \
    "$(grep -cE '^  \(error\) (INVALID|EXISTS|STATE|CONFLICT) ' <<<"$out")"
assert_match "find by email is case-insensitive" "*Grace Hopper*" \
    "$(sed -n '/CUSTOMER.FIND lab GRACE@example.com/,/^$/p' <<<"$out")"
assert_match "re-assignment A202 -> A201 is logged" "*reassigned from A202 to A201*" \
    "$(sed -n '/> TICKET.LOG lab 3$/,/^$/p' <<<"$out")"
assert_eq "the purged desk has no keys" 0 "$(r EVAL "return #redis.call('KEYS','lab:*')" 0)"
# The echoed commands paste into redis-cli as they are: fed to redis-cli on
# stdin (which splits and unquotes lines like its prompt does), they replay
# the demo with the same eight refusals and a consistent desk.
r FLUSHALL >/dev/null
replay=$(sed -n 's/^> //p' <<<"$out" | redis-cli -p "$PORT" 2>&1)
assert_eq "pasted: the eight VALIDATE steps fail the same way" 8 \
    "$(grep -cE '^(INVALID|EXISTS|STATE|CONFLICT) ' <<<"$replay")"
assert_eq "pasted: nothing else failed" "" \
    "$(grep -E '^(ERR|NOTFOUND|DENIED|WRONGTYPE) ' <<<"$replay")"
assert_match "pasted: the quoted customer name arrived whole" "*Grace Hopper*" "$replay"
assert_eq "pasted: the demo's last DESK.CHECK is empty, the desk purged" 0 \
    "$(r EVAL "return #redis.call('KEYS','lab:*')" 0)"
assert_match "--help warns that the desk is purged" "*DESK.PURGE*before the demo and again at the end*" \
    "$("$ROOT/scripts/lab-demo" --help | tr '\n' ' ' | tr -s ' ')"
# The demo can be run again on the same server.
"$ROOT/scripts/lab-demo" -p "$PORT" -d lab >/dev/null 2>&1
assert_eq "a second run also exits 0" 0 "$?"
finish
