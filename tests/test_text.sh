#!/usr/bin/env bash
# Unit tests of the shared tokeniser and stemmer (module/text.c): no Redis
# calls, so it is built here into a small binary (with ASan/UBSan) and run.
cd "$(dirname "$0")/.." || exit 1
mkdir -p build/unit
if ! cc -std=gnu99 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
        -fsanitize=address,undefined -fno-omit-frame-pointer -Iinclude \
        -o build/unit/test_text tests/unit/test_text.c module/text.c; then
    echo "FAIL - the unit test binary did not build"
    echo "0 passed, 1 failed"
    exit 1
fi
exec build/unit/test_text
