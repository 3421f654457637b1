#!/usr/bin/env bash
# CUSTOMER.* commands: create, get, find, update, del, tickets; the email
# index (D:idx:user_email:<lower-cased email>), validation, wrong key types,
# and "a failing command changes nothing" (DEBUG DIGEST unchanged).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server

# Server clock in ms (joined_at is checked to lie between two readings).
now_ms() { local t; t=($(r TIME)); echo $(( t[0] * 1000 + t[1] / 1000 )); }
# RESP3 JSON with joined_at replaced by T, so whole replies can be compared.
cj() { rj "$@" | sed -E 's/"joined_at":[0-9]+/"joined_at":T/g'; }
# A string of N copies of C.
rep() { printf "%${2}s" '' | tr ' ' "$1"; }

# customer_desk NAME: a section on its own fresh desk NAME (D), remembered
# for the consistency check at the end.
CUSTOMER_DESKS=
customer_desk() { section "$1"; CUSTOMER_DESKS="$CUSTOMER_DESKS $D"; }
# two_customers: the first two the create section makes (and checks):
# 1 Alice <Alice@Example.COM> with a phone, 2 Bob <bob@example.com>.
two_customers() {
    r CUSTOMER.CREATE $D Alice Alice@Example.COM PHONE '+1 (555) 010-0000' >/dev/null
    r CUSTOMER.CREATE $D Bob bob@example.com >/dev/null
    assert_eq "$D: customers 1 and 2" "1 2" "$(r GET $D:idx:user_email:alice@example.com) $(r GET $D:idx:user_email:bob@example.com)"
}
# alice_tickets: three tickets of customer 1 (ids in tids) and one of 2.
alice_tickets() {
    local i
    tids=()
    for i in 1 2 3; do tids+=("$(r TICKET.CREATE $D "issue $i" CUSTOMER 1)"); done
    r TICKET.CREATE $D "not alice's" CUSTOMER 2 >/dev/null
}

# ---------------------------------------------------------------- CREATE
customer_desk create
t0=$(now_ms)
assert_eq "CREATE assigns id 1 from the counter" 1 \
    "$(r CUSTOMER.CREATE $D Alice Alice@Example.COM PHONE '+1 (555) 010-0000')"
t1=$(now_ms)
assert_eq "CREATE assigns id 2 next" 2 "$(r CUSTOMER.CREATE $D Bob bob@example.com)"
assert_eq "GET returns the whole map (email as typed, phone)" \
    '{"id":"1","name":"Alice","email":"Alice@Example.COM","phone":"+1 (555) 010-0000","joined_at":T}' \
    "$(cj CUSTOMER.GET $D 1)"
assert_eq "GET of a customer without phone has phone nil" \
    '{"id":"2","name":"Bob","email":"bob@example.com","phone":null,"joined_at":T}' \
    "$(cj CUSTOMER.GET $D 2)"
joined=$(r HGET $D:user:1 joined_at)
if [ "$joined" -ge "$t0" ] && [ "$joined" -le "$t1" ]; then pass "joined_at is the server time of CREATE"
else fail "joined_at is the server time of CREATE" "$joined not in [$t0, $t1]"; fi
assert_eq "GET replies joined_at as an integer" \
    "$joined" "$(rj CUSTOMER.GET $D 1 | sed -E 's/.*"joined_at":([0-9]+)}$/\1/')"
assert_eq "RESP2 GET is a flat field/value array" \
    "id 1 name Alice email Alice@Example.COM phone +1 (555) 010-0000 joined_at $joined" \
    "$(r CUSTOMER.GET $D 1 | paste -sd' ')"
assert_eq "the hash holds exactly name email phone joined_at" \
    "email joined_at name phone" "$(r HKEYS $D:user:1 | sort | paste -sd' ')"
assert_eq "the email index is lower-cased and holds the uid" 1 \
    "$(r GET $D:idx:user_email:alice@example.com)"
assert_eq "no index under the typed case" 0 "$(r EXISTS $D:idx:user_email:Alice@Example.COM)"
assert_eq "the counter holds the last automatic id" 2 "$(r GET $D:seq:users)"
assert_eq "GET of a missing customer is nil" null "$(rj CUSTOMER.GET $D 99)"

# Explicit ids, and automatic ids skipping over them.
assert_eq "CREATE ... ID uses the given id" vip-7 \
    "$(r CUSTOMER.CREATE $D Carol carol@example.com ID vip-7)"
assert_eq "an explicit id does not move the counter" 2 "$(r GET $D:seq:users)"
assert_eq "CREATE ... ID 3 (ahead of the counter)" 3 \
    "$(r CUSTOMER.CREATE $D Dan dan@example.com id 3)"
assert_eq "the next automatic id skips the existing 3" 4 \
    "$(r CUSTOMER.CREATE $D Eve eve@example.com)"
assert_eq "options ignore case and order" 5 \
    "$(r CUSTOMER.CREATE $D Fay fay@example.com phone 123 Id 5)"
assert_eq "the same email is free on another desk" 1 \
    "$(r CUSTOMER.CREATE other Alice alice@example.com)"

# Duplicates.
assert_nochange "duplicate email (other case) fails EXISTS" -c EXISTS \
    CUSTOMER.CREATE $D Alicia ALICE@example.com
assert_nochange "duplicate explicit id fails EXISTS" -c EXISTS \
    CUSTOMER.CREATE $D Zed zed@example.com ID vip-7

# Validation, each failing with nothing written.
for bad in plain no-at@ @example.com 'a@b' 'a@@b.com' 'a b@example.com' 'a@.example.com' \
           'a@example.com.' "$(rep x 250)@b.com"; do
    assert_nochange "invalid email '${bad:0:20}' fails INVALID" -c INVALID \
        CUSTOMER.CREATE $D Zed "$bad"
done
assert_nochange "empty name fails INVALID" -c INVALID CUSTOMER.CREATE $D '' z@example.com
assert_nochange "257-byte name fails INVALID" -c INVALID \
    CUSTOMER.CREATE $D "$(rep n 257)" z@example.com
assert_eq "a 256-byte name is fine" 6 "$(r CUSTOMER.CREATE $D "$(rep n 256)" n256@example.com)"
assert_nochange "phone with letters fails INVALID" -c INVALID \
    CUSTOMER.CREATE $D Zed z@example.com PHONE call-me
assert_nochange "phone without digits fails INVALID" -c INVALID \
    CUSTOMER.CREATE $D Zed z@example.com PHONE '+-()'
assert_nochange "33-byte phone fails INVALID" -c INVALID \
    CUSTOMER.CREATE $D Zed z@example.com PHONE "$(rep 1 33)"
assert_nochange "id with ':' fails INVALID" -c INVALID CUSTOMER.CREATE $D Zed z@example.com ID a:b
assert_nochange "65-byte id fails INVALID" -c INVALID \
    CUSTOMER.CREATE $D Zed z@example.com ID "$(rep i 65)"
assert_nochange "empty id fails INVALID" -c INVALID CUSTOMER.CREATE $D Zed z@example.com ID ''
assert_nochange "unknown option fails ERR" -c ERR CUSTOMER.CREATE $D Zed z@example.com FAX 1
assert_nochange "PHONE without a value fails ERR" -c ERR CUSTOMER.CREATE $D Zed z@example.com PHONE
assert_nochange "PHONE twice fails ERR" -c ERR \
    CUSTOMER.CREATE $D Zed z@example.com PHONE 1 PHONE 2
assert_nochange "ID twice fails ERR" -c ERR CUSTOMER.CREATE $D Zed z@example.com ID x ID y
assert_nochange "CREATE with too few arguments fails ERR" -c ERR CUSTOMER.CREATE $D Zed

# ---------------------------------------------------------------- FIND
customer_desk find
two_customers
assert_eq "FIND ignores case" '"1"' "$(rj CUSTOMER.FIND $D aLiCe@eXaMpLe.CoM | sed -E 's/^\{"id":("[^"]*").*/\1/')"
assert_eq "FIND returns the same map as GET" "$(cj CUSTOMER.GET $D 1)" \
    "$(cj CUSTOMER.FIND $D alice@example.com)"
assert_eq "FIND of an unknown email is nil" null "$(rj CUSTOMER.FIND $D nobody@example.com)"
assert_eq "FIND only looks in its own desk" null "$(rj CUSTOMER.FIND other bob@example.com)"
assert_nochange "FIND of a 255-byte email fails INVALID" -c INVALID \
    CUSTOMER.FIND $D "$(rep x 243)@example.com"
assert_nochange "FIND of an empty email fails INVALID" -c INVALID CUSTOMER.FIND $D ''
r SET $D:idx:user_email:ghost@example.com 777 >/dev/null
assert_eq "FIND through a stale index (customer gone) is nil" null \
    "$(rj CUSTOMER.FIND $D ghost@example.com)"
assert_eq "CREATE over a stale index succeeds (the address is free)" g1 \
    "$(r CUSTOMER.CREATE $D Ghost GHOST@example.com ID g1)"
assert_eq "the stale index now points at the new customer" g1 \
    "$(r GET $D:idx:user_email:ghost@example.com)"
r SET $D:idx:user_email:stale@example.com 'not an id!' >/dev/null
assert_ok "UPDATE to an address whose index is stale succeeds" \
    CUSTOMER.UPDATE $D g1 email stale@example.com
assert_eq "the index moved over the stale entry" "g1 0" \
    "$(echo "$(r GET $D:idx:user_email:stale@example.com) $(r EXISTS $D:idx:user_email:ghost@example.com)")"
assert_eq "FIND finds it" '"g1"' "$(rj CUSTOMER.FIND $D stale@example.com | sed -E 's/^\{"id":("[^"]*").*/\1/')"

# ---------------------------------------------------------------- UPDATE
customer_desk update
two_customers
assert_ok "UPDATE name" CUSTOMER.UPDATE $D 2 name Robert
assert_eq "UPDATE name is visible" Robert "$(r HGET $D:user:2 name)"
assert_ok "UPDATE email" CUSTOMER.UPDATE $D 2 email Rob@New.example.com
assert_eq "the new email index points at the customer" 2 \
    "$(r GET $D:idx:user_email:rob@new.example.com)"
assert_eq "the old email index is gone" 0 "$(r EXISTS $D:idx:user_email:bob@example.com)"
assert_eq "FIND by the old email is nil" null "$(rj CUSTOMER.FIND $D bob@example.com)"
assert_eq "FIND by the new email finds the customer" \
    '{"id":"2","name":"Robert","email":"Rob@New.example.com","phone":null,"joined_at":T}' \
    "$(cj CUSTOMER.FIND $D ROB@new.example.com)"
assert_eq "the old email is free again" 3 "$(r CUSTOMER.CREATE $D Bobby bob@example.com)"
assert_ok "UPDATE to the same email in another case" CUSTOMER.UPDATE $D 2 email rob@new.example.com
assert_eq "a case-only change keeps the index" 2 "$(r GET $D:idx:user_email:rob@new.example.com)"
assert_eq "a case-only change stores the new spelling" rob@new.example.com "$(r HGET $D:user:2 email)"
assert_ok "UPDATE several fields, names ignoring case" \
    CUSTOMER.UPDATE $D 2 NAME Rob Phone '555 1234' EMAIL rob@example.org
assert_eq "all fields changed" "Rob 555 1234 rob@example.org" \
    "$(r HMGET $D:user:2 name phone email | paste -sd' ')"
assert_eq "index moved once more" "0 2" \
    "$(echo "$(r EXISTS $D:idx:user_email:rob@new.example.com) $(r GET $D:idx:user_email:rob@example.org)")"
assert_ok "UPDATE phone '' removes the phone" CUSTOMER.UPDATE $D 2 phone ''
assert_eq "phone field is gone" 0 "$(r HEXISTS $D:user:2 phone)"
assert_nochange "a field given twice fails ERR (one rule for every option)" -c ERR \
    CUSTOMER.UPDATE $D 2 name A name B
assert_match "... saying which" "ERR option name given twice*" \
    "$(rerrmsg CUSTOMER.UPDATE $D 2 name A name B)"
assert_nochange "a name that is not valid UTF-8 fails INVALID" -c INVALID \
    CUSTOMER.UPDATE $D 2 name "$(printf 'Bob \xc0\xaf')"

assert_nochange "UPDATE to another customer's email (other case) fails EXISTS" -c EXISTS \
    CUSTOMER.UPDATE $D 2 email ALICE@example.com
assert_nochange "UPDATE with a valid name then a taken email changes nothing" -c EXISTS \
    CUSTOMER.UPDATE $D 2 name Changed email alice@example.com
assert_nochange "UPDATE of an unknown field fails INVALID" -c INVALID \
    CUSTOMER.UPDATE $D 2 name X joined_at 5
assert_nochange "UPDATE with an invalid email fails INVALID" -c INVALID \
    CUSTOMER.UPDATE $D 2 name X email not-an-email
assert_nochange "UPDATE with an empty name fails INVALID" -c INVALID CUSTOMER.UPDATE $D 2 name ''
assert_nochange "UPDATE with a bad phone fails INVALID" -c INVALID CUSTOMER.UPDATE $D 2 phone abc
assert_nochange "UPDATE with a field missing its value fails ERR" -c ERR \
    CUSTOMER.UPDATE $D 2 name X email
assert_nochange "UPDATE of a missing customer fails NOTFOUND" -c NOTFOUND \
    CUSTOMER.UPDATE $D 404 name X
assert_nochange "UPDATE with a bad uid fails INVALID" -c INVALID CUSTOMER.UPDATE $D 'a b' name X
assert_nochange "UPDATE with too few arguments fails ERR" -c ERR CUSTOMER.UPDATE $D 2 name

# ---------------------------------------------------------------- TICKETS
customer_desk tickets
two_customers
assert_eq "TICKETS of a customer without tickets is empty" '[]' "$(rj CUSTOMER.TICKETS $D 1)"
alice_tickets
assert_eq "TICKETS lists the customer's ticket ids ascending" \
    "[${tids[0]},${tids[1]},${tids[2]}]" "$(rj CUSTOMER.TICKETS $D 1)"
assert_eq "tickets carry user_id" 1 "$(r HGET $D:ticket:${tids[1]} user_id)"
assert_eq "TICKET.DEL removes the ticket from the list" 1 "$(r TICKET.DEL $D "${tids[1]}")"
assert_eq "TICKETS after TICKET.DEL" "[${tids[0]},${tids[2]}]" "$(rj CUSTOMER.TICKETS $D 1)"
assert_nochange "TICKETS of a missing customer fails NOTFOUND" -c NOTFOUND CUSTOMER.TICKETS $D 404
assert_nochange "TICKETS with a bad uid fails INVALID" -c INVALID CUSTOMER.TICKETS $D 'x:y'

# ---------------------------------------------------------------- DEL
customer_desk del
two_customers
alice_tickets
r TICKET.DEL $D "${tids[1]}" >/dev/null      # as the tickets section leaves them
r CUSTOMER.CREATE $D Fay fay@example.com ID 5 >/dev/null
v0=$(r HGET $D:ticket:${tids[0]} version)
assert_eq "DEL of a customer returns 1" 1 "$(r CUSTOMER.DEL $D 1)"
assert_eq "the hash is gone" 0 "$(r EXISTS $D:user:1)"
assert_eq "the email index is gone" 0 "$(r EXISTS $D:idx:user_email:alice@example.com)"
assert_eq "the ticket set is gone" 0 "$(r EXISTS $D:user:1:tickets)"
assert_eq "its tickets stay" "${tids[0]} ${tids[2]}" \
    "$(rj TICKET.GET $D "${tids[0]}" | sed -E 's/^\{"id":([0-9]+).*/\1/') $(rj TICKET.GET $D "${tids[2]}" | sed -E 's/^\{"id":([0-9]+).*/\1/')"
assert_eq "but no longer name the deleted customer" "0 0" \
    "$(r HEXISTS $D:ticket:${tids[0]} user_id) $(r HEXISTS $D:ticket:${tids[2]} user_id)"
assert_eq "that is a ticket change: version + 1" $((v0 + 1)) "$(r HGET $D:ticket:${tids[0]} version)"
assert_eq "logged on the ticket" "customer 1 deleted" \
    "$(r LINDEX $D:ticket:${tids[2]}:log -1 | sed -E 's/^[0-9]+: //')"
assert_eq "and emitted as an updated event" "type=updated ticket=${tids[2]} fields=user_id" \
    "$(r XREVRANGE $D:events + - COUNT 1 | tail -n +2 | paste -d= - - | grep -v '^at=' | paste -sd' ')"
assert_eq "another customer's ticket keeps its user_id" 2 \
    "$(r HGET $D:ticket:$(r SMEMBERS $D:user:2:tickets | sed 's/ticket://') user_id)"
assert_eq "GET after DEL is nil" null "$(rj CUSTOMER.GET $D 1)"
assert_eq "FIND after DEL is nil" null "$(rj CUSTOMER.FIND $D alice@example.com)"
assert_eq "DEL again returns 0" 0 "$(r CUSTOMER.DEL $D 1)"
assert_nochange "DEL with a bad uid fails INVALID" -c INVALID CUSTOMER.DEL $D "$(rep u 65)"
assert_eq "the deleted customer's email can be used again" 3 \
    "$(r CUSTOMER.CREATE $D Alice2 alice@example.com)"
assert_eq "a customer re-created with a deleted customer's ID" 1 \
    "$(r CUSTOMER.CREATE $D Again again@example.com ID 1)"
assert_eq "does not inherit the old tickets" '[]' "$(rj CUSTOMER.TICKETS $D 1)"
# A ticket of the set that names someone else (damaged data) is left alone.
r HSET $D:ticket:${tids[0]} user_id 2 >/dev/null
r SADD $D:user:1:tickets ticket:${tids[0]} >/dev/null
r SADD $D:user:2:tickets ticket:${tids[0]} >/dev/null
assert_eq "DEL with a ticket in its set that names another customer" 1 "$(r CUSTOMER.DEL $D 1)"
assert_eq "that ticket keeps its user_id" 2 "$(r HGET $D:ticket:${tids[0]} user_id)"
r SET $D:ticket:${tids[2]}:log x >/dev/null
r SADD $D:user:2:tickets ticket:${tids[2]} >/dev/null
r HSET $D:ticket:${tids[2]} user_id 2 >/dev/null
assert_nochange "DEL whose ticket log has the wrong type fails INVALID" -c INVALID CUSTOMER.DEL $D 2
r DEL $D:ticket:${tids[2]}:log >/dev/null
r SET $D:user:2:tickets x >/dev/null
assert_nochange "DEL whose ticket set has the wrong type fails INVALID" -c INVALID CUSTOMER.DEL $D 2
r DEL $D:user:2:tickets >/dev/null
r SADD $D:user:2:tickets ticket:${tids[0]} ticket:${tids[2]} ticket:$(($(r GET $D:seq:tickets))) >/dev/null
# A stale index pointing at someone else is left alone by DEL.
r SET $D:idx:user_email:fay@example.com 999 >/dev/null
assert_eq "DEL of a customer whose index points elsewhere returns 1" 1 "$(r CUSTOMER.DEL $D 5)"
assert_eq "another customer's index entry is not deleted" 999 "$(r GET $D:idx:user_email:fay@example.com)"
r DEL $D:idx:user_email:fay@example.com >/dev/null

# ---------------------------------------------------------------- wrong key types
customer_desk wrong
two_customers
r DEL $D:seq:users >/dev/null; r RPUSH $D:seq:users 1 >/dev/null
assert_nochange "CREATE with D:seq:users a list fails INVALID" -c INVALID \
    CUSTOMER.CREATE $D Zed z@example.com
assert_eq "CREATE with ID does not need the counter" zz \
    "$(r CUSTOMER.CREATE $D Zed z@example.com ID zz)"
r DEL $D:seq:users >/dev/null
r SET $D:seq:users abc >/dev/null
assert_nochange "CREATE with a non-integer counter fails INVALID" -c INVALID \
    CUSTOMER.CREATE $D Zed z2@example.com
r SET $D:seq:users 8 >/dev/null
r RPUSH $D:idx:user_email:list@example.com x >/dev/null
assert_nochange "CREATE with the email index a list fails INVALID" -c INVALID \
    CUSTOMER.CREATE $D Zed List@example.com
assert_nochange "UPDATE to an email whose index is a list fails INVALID" -c INVALID \
    CUSTOMER.UPDATE $D zz email list@example.com
assert_nochange "FIND through an index of the wrong type fails INVALID" -c INVALID \
    CUSTOMER.FIND $D list@example.com
r SET $D:user:w x >/dev/null
r SET $D:idx:user_email:w@example.com w >/dev/null
assert_nochange "GET of a customer key holding a string fails INVALID" -c INVALID CUSTOMER.GET $D w
assert_nochange "FIND leading to a customer key of the wrong type fails INVALID" -c INVALID \
    CUSTOMER.FIND $D w@example.com
assert_nochange "UPDATE of a customer key holding a string fails INVALID" -c INVALID \
    CUSTOMER.UPDATE $D w name X
assert_nochange "DEL of a customer key holding a string fails INVALID" -c INVALID CUSTOMER.DEL $D w
assert_nochange "TICKETS of a customer key holding a string fails INVALID" -c INVALID \
    CUSTOMER.TICKETS $D w
assert_nochange "CREATE ... ID over a key of the wrong type fails INVALID" -c INVALID \
    CUSTOMER.CREATE $D W w2@example.com ID w
r SET $D:user:zz:tickets x >/dev/null
assert_nochange "TICKETS with the ticket set a string fails INVALID" -c INVALID \
    CUSTOMER.TICKETS $D zz
r DEL $D:user:w $D:idx:user_email:w@example.com $D:user:zz:tickets \
    $D:idx:user_email:list@example.com >/dev/null

# ---------------------------------------------------------------- desk names, arity
customer_desk desk
two_customers
assert_nochange "a desk name with ':' fails INVALID" -c INVALID \
    CUSTOMER.CREATE a:b Zed q@example.com
assert_nochange "a 65-byte desk name fails INVALID" -c INVALID \
    CUSTOMER.CREATE "$(rep d 65)" Zed q@example.com
assert_nochange "an empty desk name fails INVALID" -c INVALID CUSTOMER.GET '' 1
assert_nochange "a desk name with a space fails INVALID" -c INVALID CUSTOMER.GET 'a b' 1
d64=$(rep d 64)
assert_eq "a 64-byte desk name is fine" 1 "$(r CUSTOMER.CREATE "$d64" Zed q@example.com)"
assert_eq "its keys start with '<desk>:'" "$d64:user:1" "$(r KEYS "$d64:user:*")"
assert_eq "desk names may use {}._- and digits" 1 "$(r CUSTOMER.CREATE 'a{b}.c_d-9' Zed q@example.com)"
for c in "CUSTOMER.GET $D" "CUSTOMER.GET $D 1 2" "CUSTOMER.FIND $D" "CUSTOMER.FIND $D a b" \
         "CUSTOMER.DEL $D" "CUSTOMER.DEL $D 1 2" "CUSTOMER.TICKETS $D" "CUSTOMER.TICKETS $D 1 2" \
         "CUSTOMER.CREATE" "CUSTOMER.UPDATE $D 2"; do
    # shellcheck disable=SC2086  # split on purpose
    assert_nochange "wrong arity: $c" -c ERR $c
done

# ---------------------------------------------------------------- docs and key specs
customer_desk docs
two_customers
docs=$(rj COMMAND DOCS customer.create)
assert_match "COMMAND DOCS customer.create has a summary" '*"summary":"Creates a customer*' "$docs"
assert_match "COMMAND DOCS customer.create lists desk, name, email, PHONE, ID" \
    '*"arguments":\[{"name":"desk","type":"key"*"name":"name"*"name":"email"*"token":"PHONE"*"token":"ID"*' "$docs"
assert_eq "COMMAND GETKEYS customer.get mydesk 1 is the desk" mydesk \
    "$(r COMMAND GETKEYS customer.get mydesk 1)"

# ---------------------------------------------------------------- consistency
# Every section's desk, as it left it.
section consistency
for d in $CUSTOMER_DESKS; do
    assert_eq "DESK.CHECK $d finds nothing wrong" '[]' "$(rj DESK.CHECK "$d")"
done
finish
