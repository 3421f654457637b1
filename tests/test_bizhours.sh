#!/usr/bin/env bash
# Unit tests of the module's time-zone and business-hours code (module/tzfile.c,
# module/bizhours.c), run against the system's zoneinfo.
. "$(dirname "$0")/unit/unit.sh"
run_unit test_bizhours module/tzfile.c module/bizhours.c
