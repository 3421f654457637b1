#!/usr/bin/env bash
# Unit tests of the module's time-zone and business-hours code (module/tzfile.c,
# module/bizhours.c): they have no Redis calls, so they are built here into
# a small binary (with ASan/UBSan) and run against the system's zoneinfo.
cd "$(dirname "$0")/.." || exit 1
mkdir -p build/unit
if ! cc -std=gnu99 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
        -fsanitize=address,undefined -fno-omit-frame-pointer -Iinclude \
        -o build/unit/test_bizhours tests/unit/test_bizhours.c module/tzfile.c \
        module/bizhours.c; then
    echo "FAIL - the unit test binary did not build"
    echo "0 passed, 1 failed"
    exit 1
fi
exec build/unit/test_bizhours
