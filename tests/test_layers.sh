#!/usr/bin/env bash
# The module's layers (README "Architecture", include/helpdesk.h): a file
# calls only files in its own layer or below. The call graph comes from the
# built objects: for each build/obj/X.o, the functions and data it leaves
# undefined (nm -u) resolved to the object that defines them (nm
# --defined-only). Needs `make` first (the objects of module/*.c).
cd "$(dirname "$0")/.." || exit 1

# Bottom up; one line per layer: its name, then its files (module/<f>.c).
LAYERS=(
    "ground    globals errors reply keys keyschema tzfile bizhours text textsig lexicon jsonutf8"
    "effects   effects sets replay"
    "desk      deskconfig stats events alerts queue access"
    "record    record"
    "service   sla slametrics slaroute report"
    "routing   routing"
    "text      classify floodwin flood"
    "commands  ticket agent customer chat state check desk"
    "entry     module"
)
# Calls still going up, each "from:to" with the change that removes it.
# An entry that no longer matches a call fails too, so the list only shrinks.
KNOWN=(
)

PASS=0 FAIL=0
pass() { PASS=$((PASS + 1)); echo "ok - $1"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; }

declare -A layer_of layer_name
for i in "${!LAYERS[@]}"; do
    read -r name files <<<"${LAYERS[$i]}"
    for f in $files; do layer_of[$f]=$i layer_name[$f]=$name; done
done

# Every source has a layer and a current object; every listed file exists.
objs=()
for src in module/*.c; do
    f=$(basename "$src" .c) o=build/obj/$(basename "$src" .c).o
    if [ -z "${layer_of[$f]:-}" ]; then fail "$src has no layer in tests/test_layers.sh"; continue; fi
    if [ ! -e "$o" ] || [ "$o" -ot "$src" ]; then fail "$o is missing or older than $src (run make)"; continue; fi
    objs+=("$o")
done
for f in "${!layer_of[@]}"; do
    [ -e "module/$f.c" ] || fail "module/$f.c is listed in a layer but does not exist"
done
[ "$FAIL" -eq 0 ] && pass "every module/*.c has a layer and a current object"

# symbol -> the file defining it
declare -A def
for o in "${objs[@]}"; do
    f=$(basename "$o" .o)
    while read -r _ _ s; do def[$s]=$f; done < <(nm --defined-only -g "$o")
done
if [ "${#def[@]}" -gt 0 ]; then pass "nm read ${#def[@]} defined symbols"
else fail "nm found no defined symbols in build/obj"; fi

declare -A known used
for k in "${KNOWN[@]}"; do known[$k]=1; done
for o in "${objs[@]}"; do
    f=$(basename "$o" .o) up=""
    while read -r _ s; do
        t=${def[$s]:-}
        [ -n "$t" ] && [ "$t" != "$f" ] || continue
        [ "${layer_of[$t]}" -gt "${layer_of[$f]}" ] || continue
        if [ -n "${known[$f:$t]:-}" ]; then used[$f:$t]=1; continue; fi
        up+=" $t.c($s)"
    done < <(nm -u "$o")
    if [ -z "$up" ]; then pass "$f.c (${layer_name[$f]}) calls nothing above its layer"
    else fail "$f.c (${layer_name[$f]}) calls up:$up"; fi
done
for k in "${KNOWN[@]}"; do
    [ -n "${used[$k]:-}" ] || fail "known upward call $k is gone: remove it from KNOWN"
done
[ "${#KNOWN[@]}" -eq 0 ] || echo "# ${#KNOWN[@]} known upward calls left: ${KNOWN[*]}"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
