#!/usr/bin/env bash
# One rule for options and text in every command (SPEC section 4, issue 12):
# an option given twice is ERR; an option without its value says what it
# needs; every text argument must be valid UTF-8, else INVALID naming it.
# Each refusal changes nothing (DEBUG DIGEST before/after). Also: ACL rules
# per DESK.CONFIG subcommand (+desk.config|get), and the module event of a
# command on a master.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
BAD=$(printf 'caf\xc3')          # a cut UTF-8 sequence
# Every section's desk: customer 1, agent A1 and ticket t assigned to it.
contract_fixtures() {
    r CUSTOMER.CREATE $D Ann ann@example.com >/dev/null
    r AGENT.CREATE $D A1 Ann SKILLS billing CAPACITY 5 >/dev/null
    t=$(r TICKET.CREATE $D "Card declined" PRIORITY 10 CATEGORY billing)
    r TICKET.ASSIGN $D "$t" A1 >/dev/null
}

# refused CODE PATTERN: each "command line|detail" read from stdin fails CODE,
# changes nothing, and its message matches PATTERN (%s = the detail).
refused() {
    local code=$1 pattern=$2 line detail
    while IFS='|' read -r line detail; do
        [ -n "$line" ] || continue
        eval "set -- $line"
        assert_nochange "$code: $line" -c "$code" "$@"
        # shellcheck disable=SC2059  # the pattern is the format on purpose
        assert_match "... says why: $line" "$(printf "$pattern" "$detail")" "$(rerrmsg "$@")"
    done
}

# ---------------------------------------------------------------- an option twice
section ct; contract_fixtures
refused ERR 'ERR *twice*' <<EOF2
TICKET.CREATE $D s PRIORITY 5 PRIORITY 6
TICKET.CREATE $D s BODY a BODY b
TICKET.CREATE $D s CATEGORY billing CATEGORY general
TICKET.CREATE $D s CUSTOMER 1 CUSTOMER 1
TICKET.CREATE $D s SLA 60 SLA 60
TICKET.CREATE $D s ROUTE ROUTE
TICKET.PEEK $D COUNT 1 COUNT 2
TICKET.PEEK $D UNASSIGNED UNASSIGNED
TICKET.PEEK $D CATEGORY billing CATEGORY billing
TICKET.UPDATE $D $t subject a subject b
TICKET.UPDATE $D $t priority 5 IFVERSION 2 IFVERSION 2
TICKET.STATUS $D $t on_hold NOTE a NOTE b
TICKET.STATUS $D $t on_hold IFVERSION 2 IFVERSION 2
TICKET.LOG $D $t COUNT 1 COUNT 2
TICKET.OVERDUE $D COUNT 1 COUNT 2
TICKET.CLAIM $D A1 COUNT 1 COUNT 2
TICKET.CLAIM $D A1 ORDER CREATED ORDER PRIORITY
TICKET.MSGS $D $t COUNT 1 COUNT 1
TICKET.MSGS $D $t AFTER 0 AFTER 0
AGENT.CREATE $D A9 n CAPACITY 1 CAPACITY 2
AGENT.CREATE $D A9 n EMAIL a@b.co EMAIL a@b.co
AGENT.CREATE $D A9 n SKILLS a SKILLS b
CUSTOMER.CREATE $D n n@example.com PHONE 1 PHONE 2
CUSTOMER.CREATE $D n n@example.com ID 7 ID 8
CUSTOMER.UPDATE $D 1 name a name b
TICKET.STATE.SET $D $t '{}' IFVERSION 0 IFVERSION 0
EOF2
# Commands with at most one optional word refuse a repeat as a syntax error.
for line in "TICKET.CLOSE $D $t RESOLUTION a RESOLUTION b" "TICKET.NEXT $D A1 BLOCK 1 BLOCK 1" \
            "AGENT.LIST $D SKILL a SKILL b" "TICKET.ASSIGN $D $t A1 FORCE FORCE" \
            "AGENT.AVAILABILITY $D A1 online RELEASE RELEASE" "DESK.CONFIG SET $D categories a FORCE FORCE"; do
    # shellcheck disable=SC2086  # split on purpose
    assert_nochange "twice: $line" -c ERR $line
done

# ---------------------------------------------------------------- a value missing
section missing; contract_fixtures
refused ERR 'ERR %s' <<EOF2
TICKET.PEEK $D COUNT|COUNT needs a number
TICKET.PEEK $D CATEGORY|CATEGORY needs a category
TICKET.CREATE $D s PRIORITY|PRIORITY needs a number
TICKET.CREATE $D s BODY|BODY needs a text
TICKET.LOG $D $t COUNT|COUNT needs a number
TICKET.OVERDUE $D COUNT|COUNT needs a number
TICKET.CLAIM $D A1 COUNT|COUNT needs a number
TICKET.CLAIM $D A1 ORDER|ORDER needs PRIORITY or CREATED
TICKET.MSGS $D $t AFTER|AFTER needs a stream id
TICKET.STATUS $D $t on_hold NOTE|NOTE needs a text
TICKET.STATUS $D $t on_hold IFVERSION|IFVERSION needs a version number
TICKET.NEXT $D A1 BLOCK|BLOCK needs a number of milliseconds
TICKET.STATE.SET $D $t '{}' IFVERSION|IFVERSION needs a version number
AGENT.CREATE $D A9 n CAPACITY|CAPACITY needs a value
CUSTOMER.CREATE $D n n@example.com PHONE|PHONE needs a value
EOF2

# ---------------------------------------------------------------- text must be UTF-8
section utf8; contract_fixtures
refused INVALID 'INVALID *%s*' <<EOF2
TICKET.CREATE $D "\$BAD"|subject
TICKET.CREATE $D s BODY "\$BAD"|body
TICKET.UPDATE $D $t subject "\$BAD"|subject
TICKET.UPDATE $D $t body "\$BAD"|body
TICKET.NOTE $D $t "\$BAD"|note
TICKET.STATUS $D $t on_hold NOTE "\$BAD"|note
TICKET.CLOSE $D $t RESOLUTION "\$BAD"|resolution
TICKET.MSG $D $t bot "\$BAD"|text
TICKET.MSG $D $t "\$BAD" hello|sender
TICKET.CLASSIFY $D "\$BAD"|text
TICKET.TRAIN $D billing "\$BAD"|text
CUSTOMER.CREATE $D "\$BAD" x@example.com|customer name
CUSTOMER.CREATE $D Bob "\$BAD@example.com"|email
CUSTOMER.UPDATE $D 1 name "\$BAD"|customer name
AGENT.CREATE $D A9 "\$BAD"|agent name
AGENT.CREATE $D A9 n EMAIL "\$BAD@example.com"|email
DESK.CONFIG SET $D categories "\$BAD"|categories
TICKET.STATE.APPEND $D $t "\$BAD"|
DESK.ADMIN $D ADD "\$BAD"|user name
EOF2
# Valid UTF-8 in every script is fine.
assert_match "UTF-8 subjects of any script are accepted" "[0-9]*" \
    "$(r TICKET.CREATE $D "$(printf 'Z\xc3\xbcrich \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80')" PRIORITY 5 CATEGORY general)"
for bytes in '\xc0\xaf' '\xed\xa0\x80' '\xf4\x90\x80\x80' '\xe0\x80\xaf' '\xff'; do
    assert_nochange "not UTF-8 ($bytes: overlong, surrogate, > U+10FFFF or stray)" -c INVALID \
        TICKET.NOTE $D "$t" "$(printf "x${bytes}y")"
done

# ---------------------------------------------------------------- ACL per subcommand
section acl ct   # the ACL user's key pattern names desk ct
r ACL SETUSER reader on '>pw' '~ct' '+desk.config|get' >/dev/null
as_reader() { redis-cli --no-auth-warning --user reader --pass pw -p "$PORT" -e "$@" 2>&1; }
assert_eq "+desk.config|get may read a setting" 60 "$(as_reader DESK.CONFIG GET $D flood-window)"
assert_match "... but not set one (NOPERM from Redis)" "NOPERM*desk.config|set*" \
    "$(as_reader DESK.CONFIG SET $D flood-window 5)"
assert_match "... nor run other commands" "NOPERM*" "$(as_reader TICKET.GET $D "$t")"
assert_match "... nor read another desk (key pattern ~ct)" "NOPERM*" \
    "$(as_reader DESK.CONFIG GET other flood-window)"

# ---------------------------------------------------------------- module events
section events ct
r CONFIG SET notify-keyspace-events KEA >/dev/null
redis-cli -p "$PORT" PSUBSCRIBE '__keyevent@0__:*' >"$SERVER_DIR/events" 2>/dev/null &
SUB=$!
wait_for 1 r PUBSUB NUMPAT
t2=$(r TICKET.CREATE $D "Parcel lost" PRIORITY 5 CATEGORY general)
r TICKET.GET $D "$t2" >/dev/null
r TICKET.PEEK $D PRIORITY >/dev/null    # refused: no event
r DESK.CONFIG SET $D flood-window 30 >/dev/null
r SET ct-stop 1 >/dev/null
wait_until grep -q '^ct-stop$' "$SERVER_DIR/events"
kill "$SUB" 2>/dev/null; wait "$SUB" 2>/dev/null
# redis-cli prints each message as 4 lines: pmessage, pattern, channel, key.
events=$(awk '$0 == "pmessage" { getline; getline ch; getline key
                                 sub(/^__keyevent@0__:/, "", ch); print ch "\t" key }' \
         "$SERVER_DIR/events")
assert_eq "TICKET.CREATE raises its module event on the ticket hash" 1 \
    "$(grep -cx "ticket.create	$D:ticket:$t2" <<<"$events")"
assert_eq "DESK.CONFIG SET raises desk.config|set on the desk name" 1 \
    "$(grep -cx "desk.config|set	$D" <<<"$events")"
assert_eq "reads and refused commands raise no module event" 2 \
    "$(grep -c '^[a-z]*\.[a-z|.]*	' <<<"$events")"
assert_match "the ticket hash write raised hset" "*hset	$D:ticket:$t2*" "$events"
assert_match "the queues raised zadd" "*zadd	$D:queue:priority*" "$events"
assert_match "the log raised rpush" "*rpush	$D:ticket:$t2:log*" "$events"
assert_match "the event stream raised xadd" "*xadd	$D:events*" "$events"
assert_match "the id counter raised set" "*set	$D:seq:tickets*" "$events"

assert_eq "DESK.CHECK is clean at the end" "" "$(r DESK.CHECK $D)"
for d in missing utf8; do check_desk $d; done
finish
