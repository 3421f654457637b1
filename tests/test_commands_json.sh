#!/usr/bin/env bash
# commands.json (issue 12): the repo's commands.json, in the format of Redis's
# own src/commands/*.json, is what scripts/dev/gen-commands-json generates from
# the module's command tables, and matches COMMAND DOCS / COMMAND INFO of
# the loaded module: every command and subcommand, its summary, since, group,
# complexity, arity, flags, key specs and arguments.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
GEN=$ROOT/scripts/dev/gen-commands-json
JSON=$ROOT/commands.json

assert_eq "commands.json is valid JSON" 0 "$(python3 -m json.tool "$JSON" >/dev/null; echo $?)"
out=$("$GEN" --port "$PORT" --check 2>&1)
assert_eq "commands.json matches what the running module's COMMAND DOCS generate" 0 "$?"
[ -n "$out" ] && grep -v '^gen-commands-json: .* matches' <<<"$out" | head -n 20
assert_eq "... also from a scratch server the script starts itself" 0 \
    "$("$GEN" --check >/dev/null 2>&1; echo $?)"

# Every module command is in it, and nothing else.
listed=$(r COMMAND LIST FILTERBY MODULE helpdesk | tr 'a-z|' 'A-Z ' | sort | paste -sd,)
inside=$(python3 -c 'import json,sys; print(",".join(sorted(json.load(open(sys.argv[1])))))' "$JSON")
assert_eq "one entry per command and subcommand" "$listed" "$inside"

# Field by field against the live server, independent of the generator.
check=$(python3 - "$JSON" "$PORT" <<'PY'
import json, subprocess, sys
table = json.load(open(sys.argv[1]))
port = sys.argv[2]
def cli(*a):
    return json.loads(subprocess.run(["redis-cli", "-3", "--json", "-p", port] + list(a),
                                     capture_output=True).stdout)
bad = []
for name, e in table.items():
    cmd = name.lower().replace(" ", "|")
    top = cmd.split("|")[0]
    docs = cli("COMMAND", "DOCS", top)[top]
    if "|" in cmd:
        docs = docs["subcommands"][cmd]
    info = cli("COMMAND", "INFO", cmd)[0]
    for k in ("summary", "since", "group", "complexity"):
        if e.get(k) != docs.get(k):
            bad.append("%s %s" % (name, k))
    if e["arity"] != info[1]:
        bad.append("%s arity" % name)
    if sorted(e["command_flags"]) != sorted(f.upper() for f in info[2] if f != "module"):
        bad.append("%s flags" % name)
    if len(e.get("key_specs", [])) != len(info[8]):
        bad.append("%s key_specs" % name)
    for ks, live in zip(e.get("key_specs", []), info[8]):
        if ks["begin_search"].get("index", {}).get("pos") != live["begin_search"]["spec"]["index"]:
            bad.append("%s key position" % name)
    names = [a["name"] for a in e.get("arguments", [])]
    if names != [a["name"] for a in docs.get("arguments", [])]:
        bad.append("%s arguments" % name)
    # HD.REPLAY carries a command: the desk is the carried command's argument.
    if name == "HD.REPLAY":
        if names[3:5] != ["command", "desk"]:
            bad.append("%s: the carried command and its desk are not arguments 4 and 5" % name)
    elif "container" not in e and e.get("key_specs") and names[:1] != ["desk"]:
        bad.append("%s: desk is not the first argument" % name)
print(" ".join(bad) or "none")
PY
)
assert_eq "every entry's summary, since, group, complexity, arity, flags, key specs, arguments match" \
    none "$check"
assert_match "the DESK.CONFIG GET subcommand is readonly, its desk after the subcommand" \
    '*"DESK.CONFIG GET": {*"container": "DESK.CONFIG"*"READONLY"*"pos": 2*' "$(tr -d '\n' <"$JSON" | tr -s ' ')"

# A stale file is caught, with a diff.
stale=$SERVER_DIR/commands.json
sed 's/"summary": "Open a ticket/"summary": "Opens a ticket/' "$JSON" >"$stale"
out=$("$GEN" --port "$PORT" --check -o "$stale" 2>&1)
assert_eq "--check fails on a stale file" 1 "$?"
assert_match "... and shows the difference" "*-*Opens a ticket*+*Open a ticket*" "$out"
assert_match "--help says what it does" "*COMMAND DOCS*--check*" "$("$GEN" --help)"
finish
