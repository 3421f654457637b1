#!/usr/bin/env bash
# TICKET.MSG / TICKET.MSGS: the ticket's chat thread (a capped STREAM), its
# Pub/Sub announcement, its `message` event, following it live with XREAD
# BLOCK, and every error.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server

UNI='Grüße 你好 🎉'

blocked_clients() { r INFO clients | tr -d '\r' | sed -n 's/^blocked_clients://p'; }
last_event_field() { # field of the newest D:events entry
    r XREVRANGE $D:events + - COUNT 1 | awk -v f="$1" 'prev == f { print; exit } { prev = $0 }'
}

# chat_section NAME: a section on its own fresh desk NAME holding ticket 1
# (billing) and ticket 2 (shipping), no messages yet; CHAT is ticket 1's thread.
chat_section() {
    section "$1"
    CHAT=$D:ticket:1:chat
    assert_eq "$D: ticket 1 created" 1 "$(r TICKET.CREATE $D 'Card charged twice' CATEGORY billing PRIORITY 10)"
    assert_eq "$D: ticket 2 created" 2 "$(r TICKET.CREATE $D 'Parcel late' CATEGORY shipping PRIORITY 5)"
}
# three_messages: the thread of ticket 1 the msg section builds (and checks):
# id1..id3 and the at of the first in at1.
three_messages() {
    id1=$(r TICKET.MSG $D 1 customer:17 "Hello, I was charged twice")
    at1=$(r XRANGE $CHAT "$id1" "$id1" | sed -n 7p)
    id2=$(r TICKET.MSG $D 1 agent:A201 "$UNI")
    id3=$(r TICKET.MSG $D 1 bot 'line one
line "two"')
}

# ---- TICKET.MSG ------------------------------------------------------------
chat_section msg
id1=$(r TICKET.MSG $D 1 customer:17 "Hello, I was charged twice")
assert_match "MSG returns the stream id" '[0-9]*-[0-9]*' "$id1"
assert_eq "the id is the stream's entry" "$id1" "$(r XRANGE $CHAT - + | head -n 1)"
at1=$(r XRANGE $CHAT - + | sed -n 7p)
assert_match "entry has sender, text, at" "sender
customer:17
text
Hello, I was charged twice
at
[0-9]*" "$(r XRANGE $CHAT - + | tail -n +2)"

id2=$(r TICKET.MSG $D 1 agent:A201 "$UNI")
id3=$(r TICKET.MSG $D 1 bot 'line one
line "two"')
assert_eq "XLEN after three messages" 3 "$(r XLEN $CHAT)"
assert_eq "ids increase" "$id1 $id2 $id3" "$(r XRANGE $CHAT - + | grep -E '^[0-9]+-[0-9]+$' | tr '\n' ' ' | sed 's/ $//')"
assert_eq "unicode text stored byte for byte" "$UNI" "$(r XRANGE $CHAT "$id2" "$id2" | sed -n 5p)"

# The message event carries sender and id, not the text.
assert_eq "event type message" message "$(last_event_field type)"
assert_eq "event ticket" 1 "$(last_event_field ticket)"
assert_eq "event sender" bot "$(last_event_field sender)"
assert_eq "event id" "$id3" "$(last_event_field id)"
assert_eq "event has no text field" "" "$(last_event_field text)"
assert_eq "MSG does not touch the ticket's version" 1 "$(r HGET $D:ticket:1 version)"

# ---- TICKET.MSGS -----------------------------------------------------------
chat_section msgs
three_messages
at2=$(r XRANGE $CHAT "$id2" "$id2" | sed -n 7p)
at3=$(r XRANGE $CHAT "$id3" "$id3" | tail -n 1)
assert_eq "MSGS whole thread as maps (RESP3)" \
    "[{\"id\":\"$id1\",\"sender\":\"customer:17\",\"text\":\"Hello, I was charged twice\",\"at\":$at1},{\"id\":\"$id2\",\"sender\":\"agent:A201\",\"text\":\"$UNI\",\"at\":$at2},{\"id\":\"$id3\",\"sender\":\"bot\",\"text\":\"line one\\nline \\\"two\\\"\",\"at\":$at3}]" \
    "$(rj TICKET.MSGS $D 1)"
assert_eq "MSGS under RESP2 is a flat field/value list" \
    "id $id1 sender customer:17 text Hello, I was charged twice at $at1" \
    "$(r TICKET.MSGS $D 1 COUNT 1 | tr '\n' ' ' | sed 's/ $//')"
assert_eq "COUNT 2 gives the oldest two" "$id1 $id2" \
    "$(rj TICKET.MSGS $D 1 COUNT 2 | grep -oE '[0-9]+-[0-9]+' | tr '\n' ' ' | sed 's/ $//')"
assert_eq "AFTER is exclusive" "$id2 $id3" \
    "$(rj TICKET.MSGS $D 1 AFTER "$id1" | grep -oE '[0-9]+-[0-9]+' | tr '\n' ' ' | sed 's/ $//')"
assert_eq "AFTER + COUNT pages" "$id2" \
    "$(rj TICKET.MSGS $D 1 AFTER "$id1" COUNT 1 | grep -oE '[0-9]+-[0-9]+')"
assert_eq "AFTER the last id is empty" "[]" "$(rj TICKET.MSGS $D 1 AFTER "$id3")"
assert_eq "AFTER 0 is everything" 3 "$(rj TICKET.MSGS $D 1 AFTER 0 | grep -oE '"id"' | wc -l)"
assert_eq "AFTER ms-only id means ms-0" 3 "$(rj TICKET.MSGS $D 1 AFTER "$(( ${id1%-*} - 1 ))" | grep -oE '"id"' | wc -l)"
assert_eq "AFTER the largest id is empty" "[]" "$(rj TICKET.MSGS $D 1 AFTER 18446744073709551615-18446744073709551615)"
assert_eq "lower-case options" "$id3" "$(rj TICKET.MSGS $D 1 after "$id2" count 5 | grep -oE '[0-9]+-[0-9]+')"
assert_eq "MSGS of a ticket without messages" "[]" "$(rj TICKET.MSGS $D 2)"
assert_eq "MSGS does not create the stream" 0 "$(r EXISTS $D:ticket:2:chat)"

# A hand-added entry without our fields reads as nil fields, not a crash.
r XADD $D:ticket:2:chat '*' other x >/dev/null
assert_match "foreign entry: missing fields are nil" '\[{"id":"*","sender":null,"text":null,"at":null}\]' "$(rj TICKET.MSGS $D 2)"
r DEL $D:ticket:2:chat >/dev/null

# ---- errors: nothing changes -----------------------------------------------
chat_section errors
assert_nochange "MSG unknown ticket"   -c NOTFOUND TICKET.MSG $D 99 bot hi
assert_nochange "MSG bad ticket id"    -c INVALID TICKET.MSG $D abc bot hi
assert_nochange "MSG ticket id 0"      -c INVALID TICKET.MSG $D 0 bot hi
assert_nochange "MSG empty sender"     -c INVALID TICKET.MSG $D 1 '' hi
assert_nochange "MSG sender too long"  -c INVALID TICKET.MSG $D 1 "$(printf 'x%.0s' $(seq 129))" hi
assert_eq "MSG sender of 128 bytes is fine" 1 "$(r TICKET.MSG $D 1 "$(printf 'x%.0s' $(seq 128))" hi >/dev/null; r XLEN $CHAT)"
assert_nochange "MSG sender with a newline" -c INVALID TICKET.MSG $D 1 $'bad\nsender' hi
assert_nochange "MSG sender with a tab" -c INVALID TICKET.MSG $D 1 $'bad\tsender' hi
assert_nochange "MSG sender not UTF-8"  -c INVALID TICKET.MSG $D 1 $'bad\xffsender' hi
assert_nochange "MSG empty text"       -c INVALID TICKET.MSG $D 1 bot ''
assert_nochange "MSG text not UTF-8"   -c INVALID TICKET.MSG $D 1 bot $'caf\xe9'
assert_nochange "MSG text with a UTF-16 surrogate" -c INVALID TICKET.MSG $D 1 bot $'\xed\xa0\x80'
assert_ok "lower max-text" CONFIG SET helpdesk.max-text 16
assert_nochange "MSG text over max-text" -c INVALID TICKET.MSG $D 1 bot "12345678901234567"
assert_match "MSG text of exactly max-text" '*-*' "$(r TICKET.MSG $D 1 bot 1234567890123456)"
assert_ok "restore max-text" CONFIG SET helpdesk.max-text 65536
assert_nochange "MSG missing text"     -c ERR TICKET.MSG $D 1 bot
assert_nochange "MSG extra argument"   -c ERR TICKET.MSG $D 1 bot hi extra
assert_nochange "MSG bad desk name"    -c INVALID TICKET.MSG 'd:x' 1 bot hi
assert_err "MSGS unknown ticket"       NOTFOUND TICKET.MSGS $D 99
assert_err "MSGS bad ticket id"        INVALID TICKET.MSGS $D x
assert_err "MSGS AFTER not an id"      INVALID TICKET.MSGS $D 1 AFTER abc
assert_err "MSGS AFTER half an id"     INVALID TICKET.MSGS $D 1 AFTER 12-x
assert_err "MSGS COUNT 0"              INVALID TICKET.MSGS $D 1 COUNT 0
assert_err "MSGS COUNT too large"      INVALID TICKET.MSGS $D 1 COUNT 10001
assert_err "MSGS COUNT not a number"   INVALID TICKET.MSGS $D 1 COUNT many
assert_err "MSGS unknown option"       ERR TICKET.MSGS $D 1 LIMIT 5
assert_err "MSGS option without value" ERR TICKET.MSGS $D 1 AFTER
assert_err "MSGS missing tid"          ERR TICKET.MSGS $D

# Keys of the wrong type are refused before anything is written.
r SET $D:ticket:2:chat oops >/dev/null
assert_nochange "MSG chat key of wrong type" -c INVALID TICKET.MSG $D 2 bot hi
assert_err "MSGS chat key of wrong type" INVALID TICKET.MSGS $D 2
r DEL $D:ticket:2:chat >/dev/null
r RENAME $D:events $D:events.bak >/dev/null && r SET $D:events oops >/dev/null
assert_nochange "MSG events key of wrong type" -c INVALID TICKET.MSG $D 2 bot hi
r DEL $D:events >/dev/null && r RENAME $D:events.bak $D:events >/dev/null

# ---- Pub/Sub: D:chat:<tid> gets the message as JSON ------------------------
chat_section pubsub
sub_out=$SERVER_DIR/sub.out
redis-cli -p "$PORT" SUBSCRIBE $D:chat:2 >"$sub_out" 2>&1 &
sub_pid=$!
numsub() { r PUBSUB NUMSUB $D:chat:2 | tail -n 1; }
if wait_for 1 numsub; then
    pid=$(r TICKET.MSG $D 2 customer:9 "Where is my parcel? $UNI")
    pat=$(r XRANGE $D:ticket:2:chat "$pid" "$pid" | sed -n 7p)
    last_line() { tail -n 1 "$sub_out"; }
    want="{\"id\":\"$pid\",\"sender\":\"customer:9\",\"text\":\"Where is my parcel? $UNI\",\"at\":$pat}"
    wait_for "$want" last_line
    assert_eq "PUBLISH on $D:chat:2 with {id,sender,text,at}" "$want" "$(last_line)"
    assert_eq "published on the ticket's channel" $D:chat:2 "$(tail -n 2 "$sub_out" | head -n 1)"
else
    fail "subscriber" "SUBSCRIBE $D:chat:2 never registered"
fi
kill "$sub_pid" 2>/dev/null; wait "$sub_pid" 2>/dev/null

# ---- following a thread live with plain XREAD BLOCK ------------------------
chat_section xread
xr_out=$SERVER_DIR/xread.out
redis-cli -p "$PORT" XREAD BLOCK 10000 STREAMS $D:ticket:2:chat '$' >"$xr_out" 2>&1 &
xr_pid=$!
if wait_for 1 blocked_clients; then
    lid=$(r TICKET.MSG $D 2 agent:A201 "On its way — $UNI")
    wait "$xr_pid"
    lat=$(r XRANGE $D:ticket:2:chat "$lid" "$lid" | sed -n 7p)
    assert_eq "a blocked XREAD reader gets the message live" "$D:ticket:2:chat
$lid
sender
agent:A201
text
On its way — $UNI
at
$lat" "$(cat "$xr_out")"
    # The reader continues from the id it saw.
    nid=$(r TICKET.MSG $D 2 customer:9 thanks)
    assert_eq "XREAD from the last seen id gets the next message" "$nid" \
        "$(r XREAD COUNT 10 STREAMS $D:ticket:2:chat "$lid" | sed -n 2p)"
else
    kill "$xr_pid" 2>/dev/null; wait "$xr_pid" 2>/dev/null
    fail "XREAD BLOCK reader" "never blocked"
fi

# ---- chat-maxlen caps the thread (MAXLEN ~) --------------------------------
chat_section maxlen
assert_ok "small stream nodes so approximate trimming bites" CONFIG SET stream-node-max-entries 4
assert_ok "chat-maxlen 10" DESK.CONFIG SET $D chat-maxlen 10
for i in $(seq 30); do r TICKET.MSG $D 2 bot "m$i" >/dev/null; done
len=$(r XLEN $D:ticket:2:chat)
if [ "$len" -ge 10 ] && [ "$len" -le 14 ]; then pass "thread trimmed to about chat-maxlen ($len)"
else fail "thread trimmed to about chat-maxlen" "XLEN $len not in 10..14"; fi
assert_eq "the newest message survives" m30 "$(rj TICKET.MSGS $D 2 COUNT 10000 | grep -oE '"text":"m[0-9]+"' | tail -n 1 | cut -d'"' -f4)"
assert_ok "chat-maxlen back" DESK.CONFIG SET $D chat-maxlen 10000
assert_ok "stream nodes back" CONFIG SET stream-node-max-entries 100

# ---- status does not matter; TICKET.DEL removes the thread -----------------
chat_section lifecycle
three_messages                                        # threads to keep
r TICKET.MSG $D 2 customer:9 "Where is my parcel?" >/dev/null
assert_ok "merge ticket 2 into 1" TICKET.MERGE $D 2 INTO 1
assert_eq "ticket 2 is merged" merged "$(r HGET $D:ticket:2 status)"
before=$(r XLEN $D:ticket:2:chat)
assert_match "a merged ticket accepts a message" '*-*' "$(r TICKET.MSG $D 2 bot 'merged')"
assert_eq "a merged ticket keeps its thread" $((before + 1)) "$(r XLEN $D:ticket:2:chat)"
assert_ok "close ticket 1" TICKET.CLOSE $D 1
before=$(r XLEN $CHAT)
assert_match "a closed ticket accepts a message" '*-*' "$(r TICKET.MSG $D 1 customer:17 'Thanks, all good')"
assert_eq "a closed ticket keeps its thread" $((before + 1)) "$(rj TICKET.MSGS $D 1 | grep -oE '"id"' | wc -l)"
assert_eq "TICKET.DEL ticket 1" 1 "$(r TICKET.DEL $D 1)"
assert_eq "its chat stream is gone" 0 "$(r EXISTS $CHAT)"
assert_err "MSG after delete" NOTFOUND TICKET.MSG $D 1 bot hi
assert_err "MSGS after delete" NOTFOUND TICKET.MSGS $D 1
assert_eq "TICKET.DEL ticket 2" 1 "$(r TICKET.DEL $D 2)"
assert_eq "no chat keys left" "" "$(r --scan --pattern "$D:ticket:*:chat")"

assert_eq "DESK.CHECK finds nothing" "" "$(r DESK.CHECK $D)"
finish
