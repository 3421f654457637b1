#!/usr/bin/env bash
# TICKET.STATE.*: the session state document, versions and IFVERSION, the
# RFC 7386 merge patch (all of Appendix A), history cap, TTL refresh and
# expiry, size limits, two racing clients, unicode, and every error.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server

UNI='Grüße 你好 🎉'
skey() { echo "$D:ticket:$1:state"; }
sget() { r TICKET.STATE.GET $D "$1"; }
sfield() { r HGET "$(skey "$1")" "$2"; }
pexpire() { r PEXPIRETIME "$(skey "$1")"; }
pttl() { r PTTL "$(skey "$1")"; }
# Document without its timestamps and version, to compare contents.
content() { sget "$1" | sed 's/,"created_at":.*//'; }

# state_section NAME: a section on its own fresh desk NAME with tickets 1-6
# and no state yet (each section writes the states it needs).
STATE_DESKS=
state_section() {
    local s
    section "$1"
    STATE_DESKS="$STATE_DESKS $D"
    for s in 'Refund please' 'Broken login' 'Race' 'Big' 'Damaged' 'RFC'; do
        r TICKET.CREATE $D "$s" CATEGORY billing PRIORITY 5 >/dev/null
    done
    assert_eq "$D: six tickets" 6 "$(r GET $D:seq:tickets)"
}
# set_versions TID N: N plain SETs of TID's state, so it is at version N.
set_versions() {
    local i
    for i in $(seq "$2"); do r TICKET.STATE.SET $D "$1" '{}' >/dev/null; done
}

# ---- GET on nothing --------------------------------------------------------
state_section get
assert_eq "GET without state is nil" null "$(rj TICKET.STATE.GET $D 1)"
assert_eq "GET without state creates nothing" 0 "$(r EXISTS "$(skey 1)")"
assert_nochange "GET unknown ticket changes nothing" -c NOTFOUND TICKET.STATE.GET $D 99
assert_nochange "GET bad ticket id changes nothing" -c INVALID TICKET.STATE.GET $D 0
assert_err "GET unknown ticket" NOTFOUND TICKET.STATE.GET $D 99
assert_err "GET bad ticket id" INVALID TICKET.STATE.GET $D one
assert_err "GET arity" ERR TICKET.STATE.GET $D
assert_err "GET extra argument" ERR TICKET.STATE.GET $D 1 2

# ---- SET -------------------------------------------------------------------
state_section set
assert_eq "SET creates version 1" 1 \
    "$(r TICKET.STATE.SET $D 1 '{"facts":{"order":"A-17","amount":19.99},"history":[{"role":"user","content":"hi"}],"last_decision":"ask_order"}')"
created=$(sfield 1 created_at)
assert_eq "GET returns the whole document" \
    "{\"facts\":{\"order\":\"A-17\",\"amount\":19.99},\"history\":[{\"role\":\"user\",\"content\":\"hi\"}],\"last_decision\":\"ask_order\",\"created_at\":$created,\"updated_at\":$created,\"version\":1}" \
    "$(sget 1)"
assert_eq "stored: facts as compact JSON" '{"order":"A-17","amount":19.99}' "$(sfield 1 facts)"
assert_eq "stored: history" '[{"role":"user","content":"hi"}]' "$(sfield 1 history)"
assert_eq "stored: last_decision" '"ask_order"' "$(sfield 1 last_decision)"
assert_eq "stored: version" 1 "$(sfield 1 version)"
assert_eq "SET again: version 2" 2 "$(r TICKET.STATE.SET $D 1 '{"facts":{"order":"A-17"}}')"
assert_eq "omitted members get defaults" '{"facts":{"order":"A-17"},"history":[],"last_decision":null' "$(content 1)"
assert_eq "created_at kept across writes" "$created" "$(sfield 1 created_at)"
assert_eq "SET {} gives the empty document" 3 "$(r TICKET.STATE.SET $D 1 '{}')"
assert_eq "empty document" '{"facts":{},"history":[],"last_decision":null' "$(content 1)"
assert_eq "whitespace and pretty JSON accepted" 4 "$(r TICKET.STATE.SET $D 1 $' {\n  "facts": { "a" : [ 1 , 2 ] }\n} ')"
assert_eq "stored compact" '{"a":[1,2]}' "$(sfield 1 facts)"
assert_eq "version, created_at, updated_at members are ignored" 5 \
    "$(r TICKET.STATE.SET $D 1 '{"facts":{},"version":99,"created_at":1,"updated_at":2}')"
assert_eq "...the version is the real one" 5 "$(sfield 1 version)"
assert_eq "...created_at is the real one" "$created" "$(sfield 1 created_at)"
assert_eq "last_decision may be any JSON value" 6 "$(r TICKET.STATE.SET $D 1 '{"last_decision":[1,{"x":true}]}')"
assert_eq "...kept as given" '[1,{"x":true}]' "$(sfield 1 last_decision)"

assert_nochange "SET invalid JSON" -c INVALID TICKET.STATE.SET $D 1 '{"facts":'
assert_match "INVALID names jansson's reason and position" 'INVALID json is not valid JSON: *line 1 column*' \
    "$(rerrmsg TICKET.STATE.SET $D 1 '{"facts":')"
assert_nochange "SET an array"          -c INVALID TICKET.STATE.SET $D 1 '[1]'
assert_nochange "SET a string"          -c INVALID TICKET.STATE.SET $D 1 '"x"'
assert_nochange "SET a number"          -c INVALID TICKET.STATE.SET $D 1 '42'
assert_nochange "SET null"              -c INVALID TICKET.STATE.SET $D 1 'null'
assert_nochange "SET empty argument"    -c INVALID TICKET.STATE.SET $D 1 ''
assert_nochange "SET non-object facts"  -c INVALID TICKET.STATE.SET $D 1 '{"facts":[1]}'
assert_nochange "SET null facts"        -c INVALID TICKET.STATE.SET $D 1 '{"facts":null}'
assert_nochange "SET non-array history" -c INVALID TICKET.STATE.SET $D 1 '{"history":{}}'
assert_nochange "SET unknown member"    -c INVALID TICKET.STATE.SET $D 1 '{"fact":{}}'
assert_nochange "SET duplicate member"  -c INVALID TICKET.STATE.SET $D 1 '{"facts":{"a":1,"a":2}}'
assert_nochange "SET trailing garbage"  -c INVALID TICKET.STATE.SET $D 1 '{} x'
assert_nochange "SET integer beyond 64 bits" -c INVALID TICKET.STATE.SET $D 1 '{"facts":{"n":123456789012345678901}}'
assert_nochange "SET not UTF-8"         -c INVALID TICKET.STATE.SET $D 1 $'{"facts":{"a":"\xff"}}'
assert_nochange "SET unknown ticket"    -c NOTFOUND TICKET.STATE.SET $D 99 '{}'
assert_nochange "SET ticket id 0"       -c INVALID TICKET.STATE.SET $D 0 '{}'
assert_nochange "SET IFVERSION without value" -c ERR TICKET.STATE.SET $D 1 '{}' IFVERSION
assert_nochange "SET unknown option"    -c ERR TICKET.STATE.SET $D 1 '{}' IFMATCH 6
assert_nochange "SET IFVERSION negative" -c INVALID TICKET.STATE.SET $D 1 '{}' IFVERSION -1
assert_nochange "SET IFVERSION not a number" -c INVALID TICKET.STATE.SET $D 1 '{}' IFVERSION six
assert_nochange "SET arity"             -c ERR TICKET.STATE.SET $D 1
assert_eq "after all that, still version 6" 6 "$(sfield 1 version)"

# ---- IFVERSION ---------------------------------------------------------------
state_section ifversion
set_versions 1 6                     # as the set section leaves ticket 1
assert_nochange "SET IFVERSION stale: CONFLICT" -c CONFLICT TICKET.STATE.SET $D 1 '{}' IFVERSION 5
assert_match "CONFLICT says the current version" '*version 6*' "$(rerrmsg TICKET.STATE.SET $D 1 '{}' IFVERSION 5)"
assert_nochange "IFVERSION 0 on an existing state: CONFLICT" -c CONFLICT TICKET.STATE.SET $D 1 '{}' IFVERSION 0
assert_eq "SET IFVERSION current" 7 "$(r TICKET.STATE.SET $D 1 '{"facts":{"k":1}}' IFVERSION 6)"
assert_eq "lower-case ifversion" 8 "$(r TICKET.STATE.SET $D 1 '{"facts":{"k":2}}' ifversion 7)"
assert_eq "IFVERSION 0 creates an absent state" 1 "$(r TICKET.STATE.SET $D 2 '{}' IFVERSION 0)"
assert_nochange "IFVERSION 1 on an absent state: CONFLICT" -c CONFLICT TICKET.STATE.MERGE $D 3 '{}' IFVERSION 1
assert_eq "...nothing created" 0 "$(r EXISTS "$(skey 3)")"

# ---- MERGE -------------------------------------------------------------------
state_section merge
assert_eq "MERGE creates an absent state" 1 "$(r TICKET.STATE.MERGE $D 3 '{"a":1,"gone":null,"o":{"x":null,"y":2}}')"
assert_eq "...nulls of a new member are dropped (RFC 7386)" '{"facts":{"a":1,"o":{"y":2}},"history":[],"last_decision":null' "$(content 3)"
assert_eq "MERGE IFVERSION current" 2 "$(r TICKET.STATE.MERGE $D 3 '{"a":2}' IFVERSION 1)"
assert_nochange "MERGE IFVERSION stale" -c CONFLICT TICKET.STATE.MERGE $D 3 '{"a":3}' IFVERSION 1
assert_nochange "MERGE patch null"   -c INVALID TICKET.STATE.MERGE $D 3 'null'
assert_nochange "MERGE patch array"  -c INVALID TICKET.STATE.MERGE $D 3 '["c"]'
assert_nochange "MERGE patch string" -c INVALID TICKET.STATE.MERGE $D 3 '"bar"'
assert_nochange "MERGE invalid JSON" -c INVALID TICKET.STATE.MERGE $D 3 '{a:1}'
assert_nochange "MERGE unknown ticket" -c NOTFOUND TICKET.STATE.MERGE $D 99 '{}'
assert_nochange "MERGE extra argument" -c ERR TICKET.STATE.MERGE $D 3 '{}' IFVERSION 2 x
assert_nochange "MERGE arity" -c ERR TICKET.STATE.MERGE $D 3

# RFC 7386 Appendix A, every example. Examples whose target and patch are
# objects run on facts itself; the others (a non-object target, patch or
# result) run one level down, on facts.x, which the RFC's algorithm reaches
# through the same recursion: MergePatch(facts, {"x":P}) sets facts.x to
# MergePatch(facts.x, P).
rfc() { # original patch result
    r TICKET.STATE.SET $D 6 "{\"facts\":$1}" >/dev/null
    r TICKET.STATE.MERGE $D 6 "$2" >/dev/null
    assert_eq "RFC 7386: $1 + $2" "$3" "$(sfield 6 facts)"
}
rfc_x() { # original patch result, applied to facts.x
    r TICKET.STATE.SET $D 6 "{\"facts\":{\"x\":$1}}" >/dev/null
    r TICKET.STATE.MERGE $D 6 "{\"x\":$2}" >/dev/null
    assert_eq "RFC 7386 (on facts.x): $1 + $2" "{\"x\":$3}" "$(sfield 6 facts)"
}
rfc   '{"a":"b"}'           '{"a":"c"}'                    '{"a":"c"}'
rfc   '{"a":"b"}'           '{"b":"c"}'                    '{"a":"b","b":"c"}'
rfc   '{"a":"b"}'           '{"a":null}'                   '{}'
rfc   '{"a":"b","b":"c"}'   '{"a":null}'                   '{"b":"c"}'
rfc   '{"a":["b"]}'         '{"a":"c"}'                    '{"a":"c"}'
rfc   '{"a":"c"}'           '{"a":["b"]}'                  '{"a":["b"]}'
rfc   '{"a":{"b":"c"}}'     '{"a":{"b":"d","c":null}}'     '{"a":{"b":"d"}}'
rfc   '{"a":[{"b":"c"}]}'   '{"a":[1]}'                    '{"a":[1]}'
rfc_x '["a","b"]'           '["c","d"]'                    '["c","d"]'
rfc_x '{"a":"b"}'           '["c"]'                        '["c"]'
rfc_x '{"a":"foo"}'         '"bar"'                        '"bar"'
rfc   '{"e":null}'          '{"a":1}'                      '{"e":null,"a":1}'
rfc_x '[1,2]'               '{"a":"b","c":null}'           '{"a":"b"}'
rfc   '{}'                  '{"a":{"bb":{"ccc":null}}}'    '{"a":{"bb":{}}}'
# {"a":"foo"} + null = null: a null patch would make facts a non-object.
r TICKET.STATE.SET $D 6 '{"facts":{"a":"foo"}}' >/dev/null
assert_nochange "RFC 7386: {\"a\":\"foo\"} + null is refused on facts" -c INVALID TICKET.STATE.MERGE $D 6 'null'
assert_eq "...facts unchanged" '{"a":"foo"}' "$(sfield 6 facts)"
# A null member deletes; one level down that is how x becomes "null".
rfc   '{"x":{"a":"foo"}}'   '{"x":null}'                   '{}'
rfc   '{"a":{"b":{"c":1,"d":2}},"k":[1]}' '{"a":{"b":{"c":null,"e":{"f":null,"g":3}}},"k":null}' '{"a":{"b":{"d":2,"e":{"g":3}}}}'

# ---- APPEND and DECIDE -------------------------------------------------------
state_section append
r TICKET.STATE.DEL $D 2 >/dev/null
assert_eq "APPEND a JSON object creates the state" 1 "$(r TICKET.STATE.APPEND $D 2 '{"role":"user","content":"hi"}')"
assert_eq "APPEND plain text is stored as a JSON string" 2 "$(r TICKET.STATE.APPEND $D 2 'where is my parcel?')"
assert_eq "APPEND a number" 3 "$(r TICKET.STATE.APPEND $D 2 '42')"
assert_eq "APPEND a quoted string" 4 "$(r TICKET.STATE.APPEND $D 2 '"42"')"
assert_eq "APPEND text that looks like broken JSON" 5 "$(r TICKET.STATE.APPEND $D 2 '{oops')"
assert_eq "history in order" '[{"role":"user","content":"hi"},"where is my parcel?",42,"42","{oops"]' "$(sfield 2 history)"
assert_nochange "APPEND empty"      -c INVALID TICKET.STATE.APPEND $D 2 ''
assert_nochange "APPEND not UTF-8"  -c INVALID TICKET.STATE.APPEND $D 2 $'caf\xe9'
assert_nochange "APPEND unknown ticket" -c NOTFOUND TICKET.STATE.APPEND $D 99 hi
assert_nochange "APPEND arity"      -c ERR TICKET.STATE.APPEND $D 2
assert_nochange "APPEND IFVERSION is not an option" -c ERR TICKET.STATE.APPEND $D 2 hi IFVERSION 5
assert_eq "DECIDE a JSON value" 6 "$(r TICKET.STATE.DECIDE $D 2 '{"action":"refund","amount":19.99}')"
assert_eq "...stored" '{"action":"refund","amount":19.99}' "$(sfield 2 last_decision)"
assert_eq "DECIDE plain text" 7 "$(r TICKET.STATE.DECIDE $D 2 'escalate to a human')"
assert_eq "...stored as a string" '"escalate to a human"' "$(sfield 2 last_decision)"
assert_eq "DECIDE null" 8 "$(r TICKET.STATE.DECIDE $D 2 'null')"
assert_eq "...is JSON null" null "$(sfield 2 last_decision)"
assert_nochange "DECIDE empty"     -c INVALID TICKET.STATE.DECIDE $D 2 ''
assert_nochange "DECIDE unknown ticket" -c NOTFOUND TICKET.STATE.DECIDE $D 99 x
assert_nochange "DECIDE arity"     -c ERR TICKET.STATE.DECIDE $D 2
assert_eq "every write bumped the version" 8 "$(sfield 2 version)"
v=$(sfield 2 version); sget 2 >/dev/null
assert_eq "GET does not bump the version" "$v" "$(sfield 2 version)"

# History cap: state-history-max, oldest dropped.
assert_ok "state-history-max 3" DESK.CONFIG SET $D state-history-max 3
for m in m1 m2 m3 m4 m5; do r TICKET.STATE.APPEND $D 4 "$m" >/dev/null; done
assert_eq "APPEND keeps the newest state-history-max" '["m3","m4","m5"]' "$(sfield 4 history)"
r TICKET.STATE.SET $D 4 '{"history":[1,2,3,4,5,6]}' >/dev/null
assert_eq "SET keeps the newest state-history-max" '[4,5,6]' "$(sfield 4 history)"
h=$(sfield 2 history)
r TICKET.STATE.MERGE $D 2 '{}' >/dev/null
assert_eq "MERGE leaves history alone (even above a lowered cap)" "$h" "$(sfield 2 history)"
r TICKET.STATE.APPEND $D 2 m6 >/dev/null
assert_eq "a lowered cap applies at the next APPEND" '["42","{oops","m6"]' "$(sfield 2 history)"
assert_ok "state-history-max back" DESK.CONFIG SET $D state-history-max 200

# ---- unicode -----------------------------------------------------------------
state_section unicode
r TICKET.STATE.SET $D 5 "{\"facts\":{\"greeting\":\"$UNI\",\"escaped\":\"\\u00fc\\ud83c\\udf89\",\"$UNI\":1}}" >/dev/null
assert_eq "unicode facts round-trip (escapes stored as UTF-8)" "{\"greeting\":\"$UNI\",\"escaped\":\"ü🎉\",\"$UNI\":1}" "$(sfield 5 facts)"
r TICKET.STATE.APPEND $D 5 "$UNI" >/dev/null
r TICKET.STATE.DECIDE $D 5 "{\"reply\":\"$UNI\"}" >/dev/null
assert_eq "unicode in GET" "{\"facts\":{\"greeting\":\"$UNI\",\"escaped\":\"ü🎉\",\"$UNI\":1},\"history\":[\"$UNI\"],\"last_decision\":{\"reply\":\"$UNI\"}" "$(content 5)"
r TICKET.STATE.SET $D 5 '{"facts":{"nul":"a\u0000b","ctl":"tab\there"}}' >/dev/null
assert_eq "NUL and control characters stay escaped" '{"nul":"a\u0000b","ctl":"tab\there"}' "$(sfield 5 facts)"
r TICKET.STATE.SET $D 5 '{"facts":{"p":19.99,"q":0.1,"s":0.30000000000000004,"b":1e300,"i":-7,"h":100.0,"z":-0.0}}' >/dev/null
assert_eq "numbers: shortest exact form" '{"p":19.99,"q":0.1,"s":0.30000000000000004,"b":1e300,"i":-7,"h":100.0,"z":-0.0}' "$(sfield 5 facts)"

# ---- damaged and wrong-typed keys --------------------------------------------
state_section damaged
r TICKET.STATE.SET $D 5 '{}' >/dev/null
r HSET "$(skey 5)" facts 'not json' >/dev/null
assert_err "GET with damaged facts" INVALID TICKET.STATE.GET $D 5
assert_nochange "MERGE with damaged facts" -c INVALID TICKET.STATE.MERGE $D 5 '{}'
r HSET "$(skey 5)" facts '[]' >/dev/null
assert_nochange "MERGE with non-object facts" -c INVALID TICKET.STATE.MERGE $D 5 '{}'
r HSET "$(skey 5)" history '{}' >/dev/null
assert_nochange "APPEND with non-array history" -c INVALID TICKET.STATE.APPEND $D 5 x
assert_match "SET replaces a damaged state" '[0-9]*' "$(r TICKET.STATE.SET $D 5 '{}')"
assert_eq "...and it reads again" '{"facts":{},"history":[],"last_decision":null' "$(content 5)"
r HDEL "$(skey 5)" history last_decision >/dev/null
assert_eq "missing fields read as defaults" '{"facts":{},"history":[],"last_decision":null' "$(content 5)"
r DEL "$(skey 5)" >/dev/null; r SET "$(skey 5)" oops >/dev/null
assert_err "GET on a wrong-typed key" INVALID TICKET.STATE.GET $D 5
assert_nochange "SET on a wrong-typed key" -c INVALID TICKET.STATE.SET $D 5 '{}'
assert_nochange "MERGE on a wrong-typed key" -c INVALID TICKET.STATE.MERGE $D 5 '{}'
assert_nochange "APPEND on a wrong-typed key" -c INVALID TICKET.STATE.APPEND $D 5 x
assert_nochange "DECIDE on a wrong-typed key" -c INVALID TICKET.STATE.DECIDE $D 5 x
assert_nochange "DEL on a wrong-typed key" -c INVALID TICKET.STATE.DEL $D 5
r DEL "$(skey 5)" >/dev/null

# ---- size limit: 1 MiB for arguments and for the document --------------------
state_section size
big=$SERVER_DIR/big.json half1=$SERVER_DIR/half1.json half2=$SERVER_DIR/half2.json text=$SERVER_DIR/text
{ printf '{"facts":{"x":"'; head -c 1048576 /dev/zero | tr '\0' a; printf '"}}'; } >"$big"
{ printf '{"a":"'; head -c 600000 /dev/zero | tr '\0' a; printf '"}'; } >"$half1"
{ printf '{"b":"'; head -c 600000 /dev/zero | tr '\0' b; printf '"}'; } >"$half2"
head -c 600000 /dev/zero | tr '\0' c >"$text"
assert_nochange "SET argument over 1 MiB" -c INVALID -x TICKET.STATE.SET $D 4 <"$big"
assert_nochange "MERGE argument over 1 MiB" -c INVALID -x TICKET.STATE.MERGE $D 4 <"$big"
assert_nochange "APPEND argument over 1 MiB" -c INVALID -x TICKET.STATE.APPEND $D 4 <"$big"
v=$(r -x TICKET.STATE.MERGE $D 4 <"$half1")
assert_match "a 600 kB fact fits" '[0-9]*' "$v"
assert_nochange "a second 600 kB fact would exceed 1 MiB" -c INVALID -x TICKET.STATE.MERGE $D 4 <"$half2"
assert_match "...and says so" '*would be * bytes*' "$(rerrmsg -x TICKET.STATE.MERGE $D 4 <"$half2")"
assert_nochange "APPEND past 1 MiB" -c INVALID -x TICKET.STATE.APPEND $D 4 <"$text"
assert_nochange "DECIDE past 1 MiB" -c INVALID -x TICKET.STATE.DECIDE $D 4 <"$text"
assert_eq "version unchanged by the refusals" "$v" "$(sfield 4 version)"
assert_eq "GET of the large state" $((600000 + 8)) "$(sfield 4 facts | wc -c | awk '{print $1 - 1}')"

# ---- TTL: refreshed by every state command (absolute expiry) -----------------
state_section ttl
# No waiting: the TTL is raised between commands, so each refresh is visible
# as an expiry beyond the previous one. The expiry is exactly
# updated_at + state-ttl, both from the command's single clock reading.
ttl_step() { # ttl-seconds name command...
    local ttl=$1 name=$2 before after; shift 2
    r DESK.CONFIG SET $D state-ttl "$ttl" >/dev/null
    before=$(pexpire 1)
    r "$@" >/dev/null
    after=$(pexpire 1)
    if [ "$after" -gt "$before" ]; then pass "$name refreshes the TTL"
    else fail "$name refreshes the TTL" "PEXPIRETIME $before -> $after"; fi
}
r DESK.CONFIG SET $D state-ttl 100 >/dev/null
r TICKET.STATE.SET $D 1 '{}' >/dev/null
assert_eq "SET sets PEXPIRETIME = updated_at + state-ttl" $(( $(sfield 1 updated_at) + 100000 )) "$(pexpire 1)"
p=$(pttl 1)
if [ "$p" -gt 0 ] && [ "$p" -le 100000 ]; then pass "PTTL within state-ttl ($p)"; else fail "PTTL within state-ttl" "$p"; fi
ttl_step 200 MERGE TICKET.STATE.MERGE $D 1 '{"k":1}'
assert_eq "MERGE expiry is absolute" $(( $(sfield 1 updated_at) + 200000 )) "$(pexpire 1)"
ttl_step 300 APPEND TICKET.STATE.APPEND $D 1 hi
ttl_step 400 DECIDE TICKET.STATE.DECIDE $D 1 ok
ttl_step 500 SET TICKET.STATE.SET $D 1 '{"facts":{"k":2}}'
ttl_step 600 GET TICKET.STATE.GET $D 1
r DESK.CONFIG SET $D state-ttl 700 >/dev/null
before=$(pexpire 1)
assert_nochange "a failing command" -c CONFLICT TICKET.STATE.MERGE $D 1 '{}' IFVERSION 1
assert_eq "...does not refresh the TTL" "$before" "$(pexpire 1)"
assert_err "an invalid command" INVALID TICKET.STATE.DECIDE $D 1 ''
assert_eq "...does not refresh the TTL either" "$before" "$(pexpire 1)"
assert_eq "the chat does not refresh the state" "$before" "$(r TICKET.MSG $D 1 bot hi >/dev/null; pexpire 1)"

# Expiry: with state-ttl 1 the state is gone after a second.
r DESK.CONFIG SET $D state-ttl 1 >/dev/null
r TICKET.STATE.SET $D 3 '{"facts":{"short":"lived"}}' >/dev/null
gone=0
wait_for -t 3 0 r EXISTS "$(skey 3)" && gone=1
assert_eq "state expires after state-ttl" 1 "$gone"
assert_eq "GET of an expired state is nil" null "$(rj TICKET.STATE.GET $D 3)"
assert_eq "a new state starts again at version 1" 1 "$(r TICKET.STATE.SET $D 3 '{}' IFVERSION 0)"
r DESK.CONFIG SET $D state-ttl 1800 >/dev/null

# ---- two clients racing with IFVERSION ---------------------------------------
state_section race
race_dir=$SERVER_DIR/race
mkdir -p "$race_dir"
r TICKET.STATE.SET $D 3 '{"facts":{"n":0}}' >/dev/null
ok_rounds=0
for round in 1 2 3 4 5; do
    v=$(sfield 3 version)
    redis-cli -p "$PORT" TICKET.STATE.SET $D 3 '{"facts":{"who":"A"}}' IFVERSION "$v" >"$race_dir/a" 2>&1 &
    pa=$!
    redis-cli -p "$PORT" TICKET.STATE.SET $D 3 '{"facts":{"who":"B"}}' IFVERSION "$v" >"$race_dir/b" 2>&1 &
    pb=$!
    wait "$pa" "$pb"
    a=$(head -n 1 "$race_dir/a") b=$(head -n 1 "$race_dir/b")
    who=$(sfield 3 facts)
    if { [ "$a" = $((v + 1)) ] && [[ "$b" == CONFLICT* ]] && [ "$who" = '{"who":"A"}' ]; } ||
       { [ "$b" = $((v + 1)) ] && [[ "$a" == CONFLICT* ]] && [ "$who" = '{"who":"B"}' ]; }; then
        ok_rounds=$((ok_rounds + 1))
    else
        echo "# round $round: A='$a' B='$b' facts=$who"
    fi
done
assert_eq "racing SETs with the same IFVERSION: exactly one wins, each round" 5 "$ok_rounds"

# Two clients increment a counter with read-modify-write and retry on
# CONFLICT: no increment is lost.
r TICKET.STATE.SET $D 3 '{"facts":{"n":0}}' >/dev/null
base=$(sfield 3 version)
incr_worker() {
    local i doc v n out
    for i in $(seq 15); do
        while :; do
            doc=$(redis-cli -p "$PORT" TICKET.STATE.GET $D 3)
            [[ $doc =~ \"n\":([0-9]+) ]] && n=${BASH_REMATCH[1]}
            [[ $doc =~ \"version\":([0-9]+)\}$ ]] && v=${BASH_REMATCH[1]}
            out=$(redis-cli -p "$PORT" TICKET.STATE.MERGE $D 3 "{\"n\":$((n + 1))}" IFVERSION "$v")
            [[ $out =~ ^[0-9]+$ ]] && break
            [[ $out == CONFLICT* ]] || { echo "unexpected reply: $out"; return 1; }
            echo conflict
        done
    done
}
incr_worker >"$race_dir/w1" 2>&1 &
w1=$!
incr_worker >"$race_dir/w2" 2>&1 &
w2=$!
wait "$w1"; rc1=$?
wait "$w2"; rc2=$?
assert_eq "both workers finished without unexpected replies" "0 0" "$rc1 $rc2"
assert_eq "no increment lost" '{"n":30}' "$(sfield 3 facts)"
assert_eq "one version per successful write" $((base + 30)) "$(sfield 3 version)"
echo "# conflicts seen while racing: $(cat "$race_dir/w1" "$race_dir/w2" | grep -c conflict)"

# ---- snapshot and rollback (the README example) ------------------------------
state_section snapshot
r TICKET.STATE.SET $D 1 '{"facts":{"plan":"A"},"history":["start"],"last_decision":"wait"}' >/dev/null
snap=$(sget 1)
r TICKET.STATE.MERGE $D 1 '{"plan":"B","risk":"high"}' >/dev/null
r TICKET.STATE.APPEND $D 1 'tried plan B' >/dev/null
r TICKET.STATE.DECIDE $D 1 'abort' >/dev/null
cur=$(sfield 1 version)
assert_eq "rollback: SET the snapshot back with IFVERSION" $((cur + 1)) "$(r TICKET.STATE.SET $D 1 "$snap" IFVERSION "$cur")"
assert_eq "...contents are the snapshot's" "${snap%%,\"created_at\"*}" "$(content 1)"
assert_eq "...versions keep counting up" $((cur + 1)) "$(sfield 1 version)"

# ---- DEL, closed tickets, TICKET.DEL -----------------------------------------
state_section del
r TICKET.STATE.SET $D 1 '{"facts":{"plan":"A"}}' >/dev/null
r TICKET.STATE.SET $D 2 '{"facts":{"order":"A-17"}}' >/dev/null
assert_ok "close ticket 2" TICKET.CLOSE $D 2
assert_match "a closed ticket keeps its state" '{"facts":*' "$(sget 2)"
assert_match "a closed ticket's state can still change" '[0-9]*' "$(r TICKET.STATE.APPEND $D 2 closed)"
assert_eq "STATE.DEL" 1 "$(r TICKET.STATE.DEL $D 2)"
assert_eq "STATE.DEL again" 0 "$(r TICKET.STATE.DEL $D 2)"
assert_eq "...GET nil" null "$(rj TICKET.STATE.GET $D 2)"
assert_err "STATE.DEL unknown ticket" NOTFOUND TICKET.STATE.DEL $D 99
assert_err "STATE.DEL arity" ERR TICKET.STATE.DEL $D
r TICKET.MSG $D 1 bot 'last words' >/dev/null
assert_eq "TICKET.DEL" 1 "$(r TICKET.DEL $D 1)"
assert_eq "TICKET.DEL removes the state" 0 "$(r EXISTS "$(skey 1)")"
assert_eq "TICKET.DEL removes the chat" 0 "$(r EXISTS $D:ticket:1:chat)"
assert_err "state of a deleted ticket" NOTFOUND TICKET.STATE.GET $D 1

# ---- COMMAND DOCS ------------------------------------------------------------
state_section docs
for c in get set merge append decide del; do
    assert_match "COMMAND DOCS ticket.state.$c" '*summary*' "$(r COMMAND DOCS "ticket.state.$c")"
done


# Every section's desk: consistent, and TICKET.DEL of every ticket left
# leaves no state behind.
section all
for d in $STATE_DESKS; do
    assert_eq "DESK.CHECK $d finds nothing" "" "$(r DESK.CHECK $d)"
    for t in 1 2 3 4 5 6; do r TICKET.DEL $d $t >/dev/null; done
done
assert_eq "no state keys left" "" "$(r --scan --pattern '*:ticket:*:state')"
finish
