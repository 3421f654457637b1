#!/usr/bin/env bash
# Every program answers --help instead of running: each executable under
# scripts/ and tests/ (as git lists them), tcl-tests/run and the gateway
# build/helpdesk-http exit 0 and print a usage line. tests/run's suite
# selection: a name that matches no suite is an error, not a silent skip.
# No server is started.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

# help_ok PROGRAM: PROGRAM --help exits 0 within 30 s (a program that
# started its work instead would not) and prints a "usage:" line.
help_ok() {
    local out rc
    out=$(cd "$ROOT" && timeout 30 "$1" --help 2>&1 </dev/null); rc=$?
    if [ "$rc" -ne 0 ]; then fail "$1 --help" "exit $rc: $(head -n 3 <<<"$out")"; return; fi
    if grep -qiE '^ *usage: ' <<<"$out"; then pass "$1 --help: exit 0 and a usage line"
    else fail "$1 --help" "no 'usage:' line in: $(head -n 3 <<<"$out")"; fi
}

programs=()
while IFS= read -r f; do
    [ -f "$ROOT/$f" ] && [ -x "$ROOT/$f" ] && programs+=("$f")
done < <(git -C "$ROOT" ls-files scripts tests tcl-tests)
for f in tests/run tcl-tests/run; do
    [[ " ${programs[*]} " == *" $f "* ]] || fail "$f is an executable file in git" "not found or not executable"
done
if [ ${#programs[@]} -ge 10 ]; then pass "found ${#programs[@]} programs under scripts/, tests/, tcl-tests/"
else fail "programs under scripts/, tests/, tcl-tests/" "only ${#programs[@]}: ${programs[*]}"; fi
for f in "${programs[@]}"; do help_ok "$f"; done

if [ -x "$ROOT/build/helpdesk-http" ]; then help_ok build/helpdesk-http
else fail "build/helpdesk-http --help" "build/helpdesk-http not built (run make)"; fi

# tests/run SUITE...: documented, and a name that matches nothing refuses.
assert_match "tests/run --help documents SUITE names and globs" "*SUITE*glob*" \
    "$(cd "$ROOT" && tests/run --help | tr '\n' ' ')"
out=$(cd "$ROOT" && tests/run no_such_suite 2>&1); rc=$?
assert_eq "tests/run with a name that matches no suite exits 2" 2 "$rc"
assert_match "... and says which" "*no suite matches 'no_such_suite'*" "$out"
finish
