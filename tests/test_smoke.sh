#!/usr/bin/env bash
# Smoke test: the server starts with the module loaded and answers.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

start_server
assert_match "MODULE LIST mentions helpdesk" "*helpdesk*" "$(r MODULE LIST)"
assert_eq    "PING answers PONG" PONG "$(r PING)"
finish
