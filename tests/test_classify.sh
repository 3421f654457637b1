#!/usr/bin/env bash
# Classification: TICKET.CLASSIFY (lexicon + per-desk naive Bayes), TICKET.TRAIN
# teaching a new category, TICKET.CREATE using the classifier, errors, and the
# accuracy on the labelled set (tests/data/tickets.tsv, via
# scripts/eval-classifier).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
D=cls

# category and label of a text, e.g. "billing low 1"
cls() { rj TICKET.CLASSIFY "$D" "$1" |
        python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["category"], r["label"], r["priority"])'; }
field() { rj TICKET.CLASSIFY "$D" "$2" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# --- one clear example per default category ------------------------------------
assert_eq "billing"   "billing low 1"   "$(cls "Please send me an invoice for my last payment")"
assert_eq "technical" "technical low 1" "$(cls "The app crashes with an error every time I open it")"
assert_eq "legal"     "legal low 1"     "$(cls "I request deletion of my personal data under GDPR")"
assert_eq "returns"   "returns low 1"   "$(cls "How do I send these boots back for an exchange?")"
assert_eq "shipping"  "shipping low 1"  "$(cls "My parcel has not arrived yet, the tracking number shows no update")"
assert_eq "account"   "account low 1"   "$(cls "I forgot my password and cannot log in to my account")"
assert_eq "general"   "general low 1"   "$(cls "What are your store opening hours on Saturday?")"
assert_eq "no known word: general, urgency 0" "general low 1" "$(cls "zzz qqq xxyy")"
assert_eq "only stop words: general" "general low 1" "$(cls "is it the one that I had?")"

# --- urgency levels, label and priority agree ----------------------------------
assert_eq "high: outage, losing money, !!!" "technical high 20" \
    "$(cls "Our website is down, total outage, we are losing money!!!")"
assert_eq "high: hacked account" "account high 20" \
    "$(cls "My account was hacked, please lock it immediately")"
assert_eq "high: data breach phrase" "legal high 20" \
    "$(cls "Data breach: customer passwords leaked, act immediately")"
assert_eq "one strong cue alone: medium" "legal medium 10" \
    "$(cls "Has there been a data breach at your company?")"
assert_eq "medium: charged twice, asap" "billing medium 5" \
    "$(cls "I was charged twice, please refund it as soon as possible")"
assert_eq "negated cue does not count" "billing low 1" \
    "$(cls "This is not urgent: could you update my invoice address")"
assert_eq "shouting counts (ALL CAPS words, !)" "medium" \
    "$(field label "WHERE IS MY PARCEL?? STILL NOTHING!!")"
u=$(field urgency "Our website is down, total outage, we are losing money!!!")
assert_match "urgency is a number in [0.8, 1]" "0.9[0-9]*" "$u"

# reply shape: RESP3 map with a double urgency; RESP2 flat array of strings
assert_match "RESP3 reply is a map with a double urgency" \
    '{"category":"technical","urgency":0.9*,"label":"high","priority":20}' \
    "$(rj TICKET.CLASSIFY "$D" "Our website is down, total outage, we are losing money!!!")"
assert_eq "RESP2 reply: urgency with 3 decimals at most" \
    "category billing urgency 0.51 label medium priority 5" \
    "$(r TICKET.CLASSIFY "$D" "I was charged twice, please refund it as soon as possible" | paste -sd' ')"

# --- UTF-8 and odd input --------------------------------------------------------
assert_eq "UTF-8 words, curly quotes and emoji" "shipping low 1" \
    "$(cls "$(printf 'Paket nach K\xc3\xb6ln: \xe2\x80\x9ctracking\xe2\x80\x9d don\xe2\x80\x99t work \xf0\x9f\x99\x8f')")"
long=$(python3 -c 'print("\u00e9" * 40 + " invoice")')
assert_eq "a long UTF-8 word is cut at a character boundary" "billing low 1" "$(cls "$long")"
assert_nochange "text that is not valid UTF-8 fails INVALID" -c INVALID \
    TICKET.CLASSIFY "$D" "$(printf '\xff\xfe\xc3 refund \xe2\x80 invoice')"
big=$(python3 -c 'print("word " * 13000 + "invoice")')
assert_eq "a 64 KB text is read up to the token cap" "general low 1" "$(cls "$big")"

# --- TICKET.CREATE uses the classifier ----------------------------------------
SUBJ="Charged twice for order 881"
BODY="Please refund the duplicate payment as soon as possible"
t1=$(r TICKET.CREATE "$D" "$SUBJ" BODY "$BODY")
assert_eq "CREATE without CATEGORY: classified category" billing "$(r HGET "$D:ticket:$t1" category)"
assert_eq "CREATE without PRIORITY: priority from urgency" 5 "$(r HGET "$D:ticket:$t1" priority)"
u=$(field urgency "$SUBJ
$BODY")
assert_eq "urgency field = CLASSIFY of subject + newline + body, 3 decimals" \
    "$(printf '%.3f' "$u")" "$(r HGET "$D:ticket:$t1" urgency)"
assert_eq "CLASSIFY reads the first line as the subject, like CREATE" billing \
    "$(field category "$SUBJ
$BODY")"
t2=$(r TICKET.CREATE "$D" "$SUBJ" BODY "$BODY" CATEGORY shipping PRIORITY 42)
assert_eq "explicit CATEGORY wins" shipping "$(r HGET "$D:ticket:$t2" category)"
assert_eq "explicit PRIORITY wins" 42 "$(r HGET "$D:ticket:$t2" priority)"
# SPEC section 3 classifies only when CATEGORY or PRIORITY is missing: with
# both given there is no classification, so no urgency field (and no alert).
assert_eq "no urgency when CATEGORY and PRIORITY are both given" "" "$(r HGET "$D:ticket:$t2" urgency)"
t3=$(r TICKET.CREATE "$D" "$SUBJ" BODY "$BODY" CATEGORY shipping)
assert_eq "urgency classified when only CATEGORY is given" \
    "$(r HGET "$D:ticket:$t1" urgency)" "$(r HGET "$D:ticket:$t3" urgency)"
t3=$(r TICKET.CREATE "$D" "Website down, outage, we are losing money!!")
assert_eq "urgent subject: priority 20" 20 "$(r HGET "$D:ticket:$t3" priority)"
assert_eq "urgent ticket is in the technical queue" 1 \
    "$(r ZCARD "$D:queue:unassigned:technical")"

# --- TICKET.TRAIN teaches a new category ---------------------------------------
q="Is my broken toaster still covered by the warranty?"
assert_eq "before training: no warranty category" general "$(field category "$q")"
assert_ok "train 1" TICKET.TRAIN "$D" Warranty "My blender stopped working after 8 months, is it still under warranty?"
assert_ok "train 2" TICKET.TRAIN "$D" warranty "The vacuum broke after one year and the warranty card says two years. Can you repair it?"
assert_ok "train 3" TICKET.TRAIN "$D" warranty "Does the manufacturer warranty cover water damage on headphones?"
assert_ok "train 4" TICKET.TRAIN "$D" warranty "I want to make a warranty claim, my coffee machine leaks."
assert_eq "after training: warranty" warranty "$(field category "$q")"
assert_eq "another warranty text" warranty "$(field category "Warranty claim: the kettle is broken, is it covered?")"
assert_eq "billing is still billing" billing "$(field category "Please send me an invoice for my last payment")"
assert_eq "the category joined the desk's list" \
    "billing,technical,legal,returns,shipping,account,general,warranty" \
    "$(r DESK.CONFIG GET "$D" categories)"
t4=$(r TICKET.CREATE "$D" "Warranty claim for my kettle" BODY "It broke after a month, is it covered by the warranty?")
assert_eq "CREATE classifies into the trained category" warranty "$(r HGET "$D:ticket:$t4" category)"
assert_match "CREATE accepts CATEGORY warranty now" "[0-9]*" \
    "$(r TICKET.CREATE "$D" "Another one" CATEGORY warranty)"
assert_ok "training an existing category" TICKET.TRAIN "$D" billing "invoice copy for the blender please"

# model keys: plain hashes anyone can read
assert_eq "D:model:words is a hash" hash "$(r TYPE "$D:model:words")"
assert_eq "D:model:meta is a hash" hash "$(r TYPE "$D:model:meta")"
assert_eq "word counts per category" "warranty=4" "$(r HGET "$D:model:words" warranty)"
assert_eq "a word of two categories" "warranty=1,billing=1" "$(r HGET "$D:model:words" blender)"
assert_eq "stop words are not learnt" 0 "$(r HEXISTS "$D:model:words" the)"
assert_eq "documents per category" "4 1 5" \
    "$(r HMGET "$D:model:meta" docs:warranty docs:billing docs | paste -sd' ')"

# writes replicate as plain HSETs (the AOF is what a replica receives too)
r CONFIG SET appendonly yes >/dev/null
aof_ready() { r INFO persistence | tr -d '\r' | grep -qx 'aof_rewrite_in_progress:0' &&
              r INFO persistence | tr -d '\r' | grep -qx 'aof_rewrite_scheduled:0'; }
for _ in $(seq 200); do aof_ready && break; sleep 0.05; done
assert_ok "train with AOF on" TICKET.TRAIN "$D" warranty "extended guarantee question"
aof=$(cat "$SERVER_DIR"/appendonlydir/*.incr.aof 2>/dev/null)
assert_match "AOF has HSET of the model" "*HSET*$D:model:words*guarante*warranty=1*" "$aof"
assert_eq "AOF never replays TICKET.TRAIN" 0 "$(grep -ci 'ticket.train' <<<"$aof")"
r CONFIG SET appendonly no >/dev/null

# --- desk category lists -----------------------------------------------------
assert_ok "a desk with two categories" DESK.CONFIG SET small categories "billing,shipping"
assert_eq "answers only its categories" shipping \
    "$(rj TICKET.CLASSIFY small "Where is my parcel? The tracking says nothing" |
       python3 -c 'import json,sys; print(json.load(sys.stdin)["category"])')"
assert_eq "clues of other categories do not count: general" general \
    "$(rj TICKET.CLASSIFY small "I forgot my password" |
       python3 -c 'import json,sys; print(json.load(sys.stdin)["category"])')"

# --- errors change nothing ---------------------------------------------------
assert_nochange "TRAIN bad category name" -c INVALID TICKET.TRAIN "$D" "bad cat" "some text"
assert_nochange "TRAIN category too long" -c INVALID TICKET.TRAIN "$D" "$(printf 'c%.0s' {1..33})" "x"
assert_nochange "TRAIN empty text" -c INVALID TICKET.TRAIN "$D" warranty ""
assert_nochange "TRAIN text without words" -c INVALID TICKET.TRAIN "$D" newcat "!!! ... ???"
assert_eq "failed TRAIN did not add a category" \
    "billing,technical,legal,returns,shipping,account,general,warranty" \
    "$(r DESK.CONFIG GET "$D" categories)"
assert_nochange "CLASSIFY empty text" -c INVALID TICKET.CLASSIFY "$D" ""
r CONFIG SET helpdesk.max-text 100 >/dev/null
t101=$(printf 'a%.0s' {1..101})
assert_nochange "CLASSIFY text over max-text" -c INVALID TICKET.CLASSIFY "$D" "$t101"
assert_nochange "TRAIN text over max-text" -c INVALID TICKET.TRAIN "$D" warranty "$t101"
assert_match "text of exactly max-text is fine" "*category*" \
    "$(r TICKET.CLASSIFY "$D" "${t101:1}")"
r CONFIG SET helpdesk.max-text 65536 >/dev/null
assert_nochange "CLASSIFY arity" -c ERR TICKET.CLASSIFY "$D"
assert_nochange "TRAIN arity" -c ERR TICKET.TRAIN "$D" warranty
r SET broken:model:words x >/dev/null
assert_nochange "TRAIN with a model key of the wrong type" -c INVALID \
    TICKET.TRAIN broken billing "invoice"
assert_eq "CLASSIFY ignores a model key of the wrong type" billing \
    "$(rj TICKET.CLASSIFY broken "invoice please" | python3 -c 'import json,sys; print(json.load(sys.stdin)["category"])')"
cats=$(python3 -c 'print(",".join("c%02d" % i for i in range(62)))')
assert_ok "a desk with 63 categories" DESK.CONFIG SET full categories "$cats"
assert_nochange "TRAIN a 64th category" -c CAPACITY TICKET.TRAIN full newcat "some words"
assert_ok "TRAIN a listed category of a full desk" TICKET.TRAIN full c05 "some words"
r HSET "$D:model:words" refund "junk,billing=x,returns=2,=3,billing=1" >/dev/null
assert_match "a hand-edited model value is read around its garbage" "*category*" \
    "$(r TICKET.CLASSIFY "$D" "refund")"
assert_ok "training over a hand-edited value" TICKET.TRAIN "$D" billing "refund"
assert_eq "garbage dropped, counts kept" "returns=2,billing=2" "$(r HGET "$D:model:words" refund)"

# --- accuracy on the labelled set (built-in model, untrained desk) -------------
out=$("$ROOT/scripts/eval-classifier" --port "$PORT" --desk eval-fresh)
rc=$?
printf '%s\n' "$out" | sed 's/^/    /'
assert_eq "eval-classifier: held-out category accuracy >= 80%" 0 "$rc"
held=$(printf '%s\n' "$out" | awk '$1 == "heldout" { sub("%", "", $4); print $4 }')
assert_match "held-out accuracy parsed" "[0-9]*.[0-9]" "$held"

assert_eq "DESK.CHECK finds nothing" "" "$(r DESK.CHECK "$D")"
finish
