#!/usr/bin/env bash
# Unit tests of the flood signature (module/textsig.c, on module/text.c).
. "$(dirname "$0")/unit/unit.sh"
run_unit test_textsig module/textsig.c module/text.c
