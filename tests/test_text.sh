#!/usr/bin/env bash
# Unit tests of the shared tokeniser and stemmer (module/text.c).
. "$(dirname "$0")/unit/unit.sh"
run_unit test_text module/text.c
