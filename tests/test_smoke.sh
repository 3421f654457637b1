#!/usr/bin/env bash
# Smoke test: the server starts with the module loaded and answers.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
assert_match "MODULE LIST mentions helpdesk" "*helpdesk*" "$(r MODULE LIST)"
assert_eq    "PING answers PONG" PONG "$(r PING)"

# Module configs given as loadmodule arguments (SPEC section 9).
# Redis refuses to unload a module whose timer is pending: sla-timer-ms 0
# stops the SLA timer at once.
assert_match "unload refused while the SLA timer runs" "*timer*" "$(r MODULE UNLOAD helpdesk)"
assert_ok "sla-timer-ms 0 stops the timer" CONFIG SET helpdesk.sla-timer-ms 0
assert_ok "MODULE UNLOAD" MODULE UNLOAD helpdesk
assert_ok "MODULE LOAD with arguments" MODULE LOAD "$HELPDESK_SO" max-text 100 sla-timer-ms 500 enforce-identity no
assert_eq "max-text from loadmodule" "helpdesk.max-text 100" "$(r CONFIG GET helpdesk.max-text | paste -sd' ')"
assert_eq "sla-timer-ms from loadmodule" "helpdesk.sla-timer-ms 500" "$(r CONFIG GET helpdesk.sla-timer-ms | paste -sd' ')"
assert_err "max-text 100 applies" INVALID TICKET.CREATE smoke subject BODY "$(printf 'y%.0s' $(seq 120))" PRIORITY 5 CATEGORY general
assert_ok "sla-timer-ms 0 again" CONFIG SET helpdesk.sla-timer-ms 0
assert_ok "MODULE UNLOAD again" MODULE UNLOAD helpdesk
assert_match "an unknown argument refuses to load" "*ERR*" "$(r MODULE LOAD "$HELPDESK_SO" no-such-thing 1 2>&1)"
assert_match "a bad value refuses to load" "*ERR*" "$(r MODULE LOAD "$HELPDESK_SO" max-text zero 2>&1)"
assert_ok "MODULE LOAD without arguments" MODULE LOAD "$HELPDESK_SO"
assert_eq "defaults again" "helpdesk.max-text 65536" "$(r CONFIG GET helpdesk.max-text | paste -sd' ')"
finish
