#!/usr/bin/env bash
# The documented limits (SPEC.md section 4, README "Command reference"),
# checked on every command that takes such an argument: each over-limit
# argument fails INVALID and writes nothing (DEBUG DIGEST unchanged), and the
# largest allowed value is accepted.
#   subject <= 1024 bytes; body, note, resolution, message, classify/train
#   text <= helpdesk.max-text (65536); JSON arguments and the state document
#   <= 1 MiB; COUNT 1-10000; BLOCK 0-31536000000 ms (an integer); desk names
#   <= 64 bytes, ids <= 64 bytes, priority 1-1000.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server

D=lim
MIB=1048576
# str N [CHAR]: N bytes.
str() { head -c "$1" /dev/zero | tr '\0' "${2:-a}"; }
mapfield() { awk -v f="$1" 'NR % 2 == 1 && $0 == f { getline; print; exit }'; }
check_desk() { assert_eq "DESK.CHECK $1 is empty" "[]" "$(rj DESK.CHECK "$1")"; }
# Arguments over 128 KiB do not fit on a command line (Linux MAX_ARG_STRLEN):
# they go through a file and redis-cli -x, which appends stdin as the last
# argument.
# x_nochange NAME FILE ARGS...: the command (with FILE's content as last
# argument) fails INVALID and leaves the dataset alone.
x_nochange() {
    local name=$1 file=$2 before after err; shift 2
    before=$(dbdigest)
    err=$(redis-cli -e -x -p "$PORT" "$@" <"$file" 2>&1 >/dev/null)
    after=$(dbdigest)
    if [[ "$err" != "INVALID "?* ]]; then fail "$name" "expected INVALID <message> got '$err'"
    elif [ "$before" != "$after" ]; then fail "$name" "dataset changed (digest $before -> $after)"
    else pass "$name"; fi
}
# x_reply ARGS...: the reply (stdout) of the command with stdin as last argument.
x_reply() { redis-cli -x -p "$PORT" "$@"; }

r DESK.CONFIG SET $D flood-threshold 0 >/dev/null
r DESK.CONFIG SET $D alert-threshold 1 >/dev/null
assert_ok "setup: agent" AGENT.CREATE $D A1 "Ann" SKILLS billing CAPACITY 100
T=$(r TICKET.CREATE $D "base" PRIORITY 5 CATEGORY billing)
assert_ok "setup: assign" TICKET.ASSIGN $D "$T" A1

# ==== subject: 1024 bytes ===================================================

S1024=$(str 1024 s) S1025=$(str 1025 s)
assert_nochange "TICKET.CREATE subject of 1025 bytes" -c INVALID TICKET.CREATE $D "$S1025" PRIORITY 5 CATEGORY billing
assert_match "... the message names subject and the limit" "*subject*1024*" \
    "$(rerrmsg TICKET.CREATE $D "$S1025" PRIORITY 5 CATEGORY billing)"
assert_nochange "TICKET.UPDATE subject of 1025 bytes" -c INVALID TICKET.UPDATE $D "$T" subject "$S1025"
assert_nochange "TICKET.UPDATE subject of 1025 bytes with a valid field first" -c INVALID \
    TICKET.UPDATE $D "$T" priority 7 subject "$S1025"
# Multi-byte UTF-8: the limit is in bytes (342 x 3 bytes = 1026).
assert_nochange "TICKET.CREATE subject of 1026 bytes of UTF-8" -c INVALID \
    TICKET.CREATE $D "$(for _ in $(seq 342); do printf '\xe2\x82\xac'; done)" PRIORITY 5
T1024=$(r TICKET.CREATE $D "$S1024" PRIORITY 5 CATEGORY billing)
assert_eq "a 1024-byte subject is accepted" 1024 "$(r HSTRLEN "$D:ticket:$T1024" subject)"
assert_match "TICKET.UPDATE to a 1024-byte subject is accepted" "[0-9]*" \
    "$(r TICKET.UPDATE $D "$T" subject "$S1024")"
assert_eq "... stored" 1024 "$(r HSTRLEN "$D:ticket:$T" subject)"
assert_nochange "TICKET.CREATE empty subject" -c INVALID TICKET.CREATE $D "" PRIORITY 5

# ==== texts: helpdesk.max-text (65536) =======================================

B64K=$(str 65536 b) B64K1=$(str 65537 b)
assert_nochange "TICKET.CREATE BODY over max-text" -c INVALID TICKET.CREATE $D x BODY "$B64K1" PRIORITY 5
assert_nochange "TICKET.UPDATE body over max-text" -c INVALID TICKET.UPDATE $D "$T" body "$B64K1"
assert_nochange "TICKET.NOTE over max-text" -c INVALID TICKET.NOTE $D "$T" "$B64K1"
assert_nochange "TICKET.STATUS ... NOTE over max-text" -c INVALID TICKET.STATUS $D "$T" on_hold NOTE "$B64K1"
assert_nochange "TICKET.STATUS closed NOTE (the resolution) over max-text" -c INVALID \
    TICKET.STATUS $D "$T" closed NOTE "$B64K1"
assert_nochange "TICKET.CLOSE RESOLUTION over max-text" -c INVALID TICKET.CLOSE $D "$T" RESOLUTION "$B64K1"
assert_nochange "TICKET.MSG text over max-text" -c INVALID TICKET.MSG $D "$T" bot "$B64K1"
assert_match "... the message names text and the limit" "*text*65536*" "$(rerrmsg TICKET.MSG $D "$T" bot "$B64K1")"
assert_nochange "TICKET.TRAIN text over max-text" -c INVALID TICKET.TRAIN $D billing "$B64K1"
assert_err "TICKET.CLASSIFY text over max-text" INVALID TICKET.CLASSIFY $D "$B64K1"

TB=$(r TICKET.CREATE $D x BODY "$B64K" PRIORITY 5 CATEGORY billing)
assert_eq "a max-text body is accepted" 65536 "$(r HSTRLEN "$D:ticket:$TB" body)"
assert_eq "a max-text note is accepted" OK "$(r TICKET.NOTE $D "$TB" "$B64K")"
assert_match "a max-text message is accepted" "[0-9]*-[0-9]*" "$(r TICKET.MSG $D "$TB" bot "$B64K")"
assert_eq "a max-text resolution is accepted" OK "$(r TICKET.CLOSE $D "$TB" RESOLUTION "$B64K")"
assert_eq "... stored" 65536 "$(r HSTRLEN "$D:ticket:$TB" resolution)"

# The limit follows helpdesk.max-text.
assert_ok "CONFIG SET helpdesk.max-text 100" CONFIG SET helpdesk.max-text 100
S101=$(str 101 c)
assert_nochange "max-text 100: BODY of 101 bytes" -c INVALID TICKET.CREATE $D x BODY "$S101" PRIORITY 5
assert_nochange "max-text 100: note of 101 bytes" -c INVALID TICKET.NOTE $D "$T" "$S101"
assert_nochange "max-text 100: message of 101 bytes" -c INVALID TICKET.MSG $D "$T" bot "$S101"
assert_nochange "max-text 100: resolution of 101 bytes" -c INVALID TICKET.CLOSE $D "$T" RESOLUTION "$S101"
assert_eq "max-text 100: a 100-byte note is accepted" OK "$(r TICKET.NOTE $D "$T" "${S101:1}")"
assert_ok "CONFIG SET helpdesk.max-text back to 65536" CONFIG SET helpdesk.max-text 65536

# ==== JSON: 1 MiB ============================================================

J=$SERVER_DIR/json
# '{"facts":{"k":"aaa..."}}' of exactly N bytes (the frame is 18 bytes).
json_of() { { printf '{"facts":{"k":"'; str $(($1 - 18)) j; printf '"}}'; } >"$J"; }
json_of $((MIB + 1))
assert_eq "(the file is 1 MiB + 1)" $((MIB + 1)) "$(wc -c <"$J")"
x_nochange "TICKET.STATE.SET of 1 MiB + 1" "$J" TICKET.STATE.SET $D "$T"
assert_match "... the message names the JSON limit" "*1048576*" \
    "$(redis-cli -e -x -p "$PORT" TICKET.STATE.SET $D "$T" <"$J" 2>&1 >/dev/null)"
{ printf '{"k":"'; str $((MIB - 7)) m; printf '"}'; } >"$J"
assert_eq "(the patch is 1 MiB + 1)" $((MIB + 1)) "$(wc -c <"$J")"
x_nochange "TICKET.STATE.MERGE of 1 MiB + 1" "$J" TICKET.STATE.MERGE $D "$T"
str $((MIB + 1)) h >"$J"
x_nochange "TICKET.STATE.APPEND of 1 MiB + 1" "$J" TICKET.STATE.APPEND $D "$T"
x_nochange "TICKET.STATE.DECIDE of 1 MiB + 1" "$J" TICKET.STATE.DECIDE $D "$T"
# Exactly 1 MiB passes the argument check, but the document TICKET.STATE.GET
# would return (the frame with history, version, times) would not fit.
json_of $MIB
x_nochange "TICKET.STATE.SET of exactly 1 MiB: the document would be too large" "$J" TICKET.STATE.SET $D "$T"
assert_match "... the message says the state would be too large" "*would be*1048576*" \
    "$(redis-cli -e -x -p "$PORT" TICKET.STATE.SET $D "$T" <"$J" 2>&1 >/dev/null)"
json_of $((MIB - 200))
assert_eq "a state document just under 1 MiB is accepted" 1 "$(x_reply TICKET.STATE.SET $D "$T" <"$J")"
assert_eq "... and read back whole" $((MIB - 200 - 18)) \
    "$(r TICKET.STATE.GET $D "$T" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["facts"]["k"]))')"
# Growing the document past 1 MiB with small writes is refused too.
str 300 g >"$J"
x_nochange "TICKET.STATE.APPEND growing the document past 1 MiB" "$J" TICKET.STATE.APPEND $D "$T"
x_nochange "TICKET.STATE.DECIDE growing the document past 1 MiB" "$J" TICKET.STATE.DECIDE $D "$T"
assert_nochange "TICKET.STATE.MERGE growing the document past 1 MiB" -c INVALID \
    TICKET.STATE.MERGE $D "$T" "{\"k2\":\"$(str 300 z)\"}"
assert_eq "... the state is still at version 1" 1 "$(r HGET "$D:ticket:$T:state" version)"
assert_eq "TICKET.STATE.DEL removes it" 1 "$(r TICKET.STATE.DEL $D "$T")"

# ==== COUNT: 1-10000 =========================================================

count_cmds=("TICKET.PEEK $D" "TICKET.LOG $D $T" "TICKET.OVERDUE $D" "TICKET.CLAIM $D A1" "TICKET.MSGS $D $T")
for c in "${count_cmds[@]}"; do
    # shellcheck disable=SC2086   # $c is a word list on purpose
    for n in 0 10001 -1 99999999999999999999 1.5 abc "" nan; do
        assert_nochange "$c COUNT '$n'" -c INVALID $c COUNT "$n"
    done
    # shellcheck disable=SC2086
    if _rune $c COUNT 10000; then pass "$c COUNT 10000: no error"; else fail "$c COUNT 10000" "$R_ERR"; fi
    # shellcheck disable=SC2086
    if _rune $c COUNT 1; then pass "$c COUNT 1: no error"; else fail "$c COUNT 1" "$R_ERR"; fi
done
assert_match "COUNT message names the bounds" "INVALID COUNT must be between 1 and 10000*" \
    "$(rerrmsg TICKET.PEEK $D COUNT 0)"

# ==== BLOCK: an integer 0-31536000000 ========================================

for b in -1 -9223372036854775808 31536000001 9223372036854775807 99999999999999999999 \
         1.5 1e3 abc "" nan inf 0x10 " 5"; do
    assert_nochange "TICKET.NEXT BLOCK '$b'" -c INVALID TICKET.NEXT $D A1 BLOCK "$b"
done
assert_match "BLOCK message names the bounds" "INVALID BLOCK*between 0 and 31536000000*" \
    "$(rerrmsg TICKET.NEXT $D A1 BLOCK -1)"
# The largest BLOCK is accepted; a ticket is waiting, so it does not block.
TN=$(r TICKET.CREATE $D "for next" PRIORITY 20 CATEGORY billing)
assert_eq "TICKET.NEXT BLOCK 31536000000 is accepted" "$TN" \
    "$(r TICKET.NEXT $D A1 BLOCK 31536000000 | mapfield id)"
assert_eq "TICKET.NEXT BLOCK with nothing queued times out with nil" null "$(rj TICKET.NEXT $D A1 BLOCK 1)"

# ==== names and numbers ======================================================

assert_nochange "desk name of 65 bytes" -c INVALID TICKET.CREATE "$(str 65 d)" x PRIORITY 5
assert_eq "a 64-byte desk name is accepted" 1 "$(r TICKET.CREATE "$(str 64 d)" x PRIORITY 5)"
assert_nochange "agent id of 65 bytes" -c INVALID AGENT.CREATE $D "$(str 65 a)" Ann
assert_ok "a 64-byte agent id is accepted" AGENT.CREATE $D "$(str 64 a)" Ann
assert_nochange "customer ID of 65 bytes" -c INVALID CUSTOMER.CREATE $D Ann ann@example.com ID "$(str 65 u)"
assert_nochange "PRIORITY 0" -c INVALID TICKET.CREATE $D x PRIORITY 0
assert_nochange "PRIORITY 1001" -c INVALID TICKET.CREATE $D x PRIORITY 1001
assert_nochange "TICKET.UPDATE priority 1001" -c INVALID TICKET.UPDATE $D "$T" priority 1001
assert_nochange "TICKET.MSG sender of 129 bytes" -c INVALID TICKET.MSG $D "$T" "$(str 129 s)" hi
assert_nochange "TICKET.MSG empty text" -c INVALID TICKET.MSG $D "$T" bot ""
check_desk $D
finish
