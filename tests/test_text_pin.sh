#!/usr/bin/env bash
# Pins the text module's visible outputs: the classifier's category, urgency,
# label and priority for every ticket of tests/data/tickets.tsv, and the flood
# decision (alike or apart) for every pair of tests/data/flood_texts.txt.
# The expected lines are tests/pin/text_pin.expected; a change to the
# tokeniser, the stemmer, the lexicon or the signature shows up here as the
# exact texts whose result moved. After a deliberate change:
#   PIN_UPDATE=1 bash tests/test_text_pin.sh   (then explain it in the commit)
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
check_clean() { assert_eq "$1: DESK.CHECK finds nothing" "" "$(r DESK.CHECK "$2")"; }
PIN=$ROOT/tests/pin
TSV=$ROOT/tests/data/tickets.tsv
TEXTS=$ROOT/tests/data/flood_texts.txt
EXPECTED=$PIN/text_pin.expected
got=$SERVER_DIR/text_pin.got

python3 "$PIN/text_pin.py" commands "$TSV" "$TEXTS" | r >"$SERVER_DIR/replies"
python3 "$PIN/text_pin.py" results "$TSV" "$TEXTS" <"$SERVER_DIR/replies" >"$got"

# '#' lines of the expected file say why a pinned result moved; they stay
# at its top when it is rewritten.
if [ -n "$PIN_UPDATE" ]; then
    { grep '^#' "$EXPECTED"; cat "$got"; } >"$SERVER_DIR/new" && cp "$SERVER_DIR/new" "$EXPECTED"
    echo "pin rewritten: $EXPECTED ($(wc -l <"$got") lines)"
fi
want=$SERVER_DIR/text_pin.want
grep -v '^#' "$EXPECTED" >"$want"
assert_eq "every ticket classified, every pair decided" \
    "$(wc -l <"$want")" "$(wc -l <"$got")"
assert_eq "some pairs are alike (the pin is not all apart)" 1 \
    "$(grep -qP '\talike$' "$got" && echo 1)"
# One assertion per pinned line, so a failure names the text that moved.
while IFS= read -r want && IFS= read -r have <&3; do
    assert_eq "${want%$'\t'*}" "$want" "$have"
done <"$want" 3<"$got"
check_clean "after the pin" pin0
finish
