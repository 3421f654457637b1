#!/usr/bin/env bash
# Hostile HTTP (SPEC section 8: no crash, leak or hang on any input):
# tests/http_fuzz.py sends thousands of seeded random requests built from
# /openapi.json (garbage paths, bodies, headers, methods, raw non-HTTP) at
# the gateway. Checked: every response parses, no 500, every JSON error has
# the error body, nothing hangs, the gateway still serves and DESK.CHECK of
# the fuzzed desks is clean. Run the same suite against an ASan build with
#   make SANITIZE=1 && GATEWAY=build/asan/helpdesk-http \
#       HELPDESK_SO=build/asan/helpdesk.so bash tests/test_http_fuzz.sh
# (a sanitizer report or a leak in the gateway's log fails the suite).
. "$(dirname "$0")/http_lib.sh"
start_server
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
start_gateway --max-body 65536 --redis-timeout 3000
r AGENT.CREATE fz A1 Ann SKILLS billing technical >/dev/null
r AGENT.CREATE fz A2 Ben SKILLS billing >/dev/null
r ACL SETUSER A1 on '>pw1' '~fz*' +@all >/dev/null
for i in 1 2 3; do r TICKET.CREATE fz "seed ticket $i" BODY "for the fuzzer" >/dev/null; done

COUNT=${HTTP_FUZZ_COUNT:-3000}
OUT=$SERVER_DIR/fuzz.out
for seed in 1 2; do
    python3 "$ROOT/tests/http_fuzz.py" --port "$HTTP_PORT" --seed $seed --count $((COUNT / 2)) \
        --seconds 150 >"$OUT" 2>&1
    fact() { awk -v k="$1" '$1 == k { print $2; exit }' "$OUT"; }
    echo "# seed $seed: $(tr '\n' ' ' <"$OUT" | cut -c1-400)"
    assert_match "seed $seed: requests sent" "[1-9]*" "$(fact requests)"
    assert_eq "seed $seed: every response well-formed (no 500, error bodies)" 0 "$(fact bad)"
    assert_eq "seed $seed: no request hung" 0 "$(fact slow)"
    http GET /health
    assert_http "seed $seed: the gateway still serves" 200
done
assert_match "thousands of requests in all" "ok" "$([ $(( $(fact requests) * 2 )) -ge $((COUNT - 10)) ] && echo ok)"
# Undo what fuzzing may have broken on purpose-free paths: the desks must
# still be consistent (the fuzzer never writes keys directly).
for d in fz '{fz}'; do
    assert_eq "DESK.CHECK $d clean" "" "$(r DESK.CHECK "$d")"
done
http_finish
