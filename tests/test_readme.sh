#!/usr/bin/env bash
# The README's shell examples work when pasted (issue 12): each block marked
# "<!-- tested by tests/test_readme.sh: NAME -->" is taken from README.md as
# written and run against a fresh server, with `redis-cli` pointed at the
# test port. Every line with a "# -> REPLY" comment must print a reply that
# starts with REPLY (up to two blanks); "# ->" alone means an empty reply.
# Blocks: acl (the ACL recipe for agents and desk admins, Redis 7.0 where
# module commands have no ACL category), state (snapshot and rollback).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server

# block NAME: the ```sh block after the NAME marker.
block() {
    awk -v name="$1" '
        index($0, "<!-- tested by tests/test_readme.sh: " name " -->") { want = 1; next }
        want && /^```sh$/ { inside = 1; next }
        inside && /^```$/ { exit }
        inside { print }' "$ROOT/README.md"
}

# The block with each "cmd   # -> reply" line turned into a check.
checked() {
    block "$1" | awk -v q="'" '
        /# ->/ {
            i = index($0, "# ->")
            cmd = substr($0, 1, i - 1)
            want = substr($0, i + 4)
            sub(/^ /, "", want)
            sub(/  .*$/, "", want)
            sub(/[ \t]+$/, "", cmd)
            gsub(q, q "\\" q q, want)
            printf "__expect %s%s%s %s\"$(%s 2>&1)\"\n", q, want, q, "", cmd
            next
        }
        { print }'
}

run_block() {
    local name=$1 script out
    script=$(checked "$name")
    [ -n "$script" ] || { fail "README block $name" "not found in README.md"; return; }
    out=$(PORT=$PORT bash -c '
        redis-cli() { command redis-cli -p "$PORT" "$@"; }
        __n=0
        __expect() {
            __n=$((__n + 1))
            local first=${2%%$'"'"'\n'"'"'*}
            if [ -z "$1" ]; then
                [ -z "$2" ] && echo "ok - check $__n: empty reply" ||
                    echo "FAIL - check $__n: expected an empty reply, got: $first"
            elif [[ "$first" == "$1"* ]]; then echo "ok - check $__n: $1"
            else echo "FAIL - check $__n: expected a reply starting \"$1\", got: $first"; fi
        }
        '"$script"'
        echo "checks $__n"' 2>&1)
    local n=0
    while read -r line; do
        case $line in
            "ok - "*) pass "README $name: ${line#ok - }"; n=$((n + 1)) ;;
            "FAIL - "*) fail "README $name" "${line#FAIL - }" ;;
        esac
    done <<<"$out"
    local total; total=$(sed -n 's/^checks //p' <<<"$out")
    assert_eq "README $name: every '# ->' line ran and passed" "$total" "$n"
}

run_block state
r FLUSHALL >/dev/null
run_block acl
assert_match "the module's DENIED refusals are in ACL LOG (context module)" "[1-9]*" \
    "$(r ACL LOG | grep -c '^module$')"
r CONFIG SET helpdesk.enforce-identity no >/dev/null
assert_eq "DESK.CHECK of the README's desk is clean" "" "$(r DESK.CHECK shop)"
finish
