# Sourced by the unit-test suites (tests/test_bizhours.sh, test_text.sh,
# test_textsig.sh): the module's pure files have no Redis calls, so each is
# built with its tests into a small binary (ASan/UBSan) and run; the binary
# prints its own "N passed, N failed".
#
#   run_unit NAME SOURCE...   builds build/unit/NAME from tests/unit/NAME.c
#                             and the module sources, then runs it
run_unit() {
    local name=$1; shift
    cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
    mkdir -p build/unit
    if ! cc -std=gnu99 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
            -fsanitize=address,undefined -fno-omit-frame-pointer -Iinclude \
            -o "build/unit/$name" "tests/unit/$name.c" "$@"; then
        echo "FAIL - the unit test binary did not build"
        echo "0 passed, 1 failed"
        exit 1
    fi
    exec "build/unit/$name"
}
