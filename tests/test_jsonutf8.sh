#!/usr/bin/env bash
# Unit tests of the UTF-8 cleaning for JSON (module/jsonutf8.c), shared by
# the module's alerts and the gateway's replies.
. "$(dirname "$0")/unit/unit.sh"
run_unit test_jsonutf8 module/jsonutf8.c
