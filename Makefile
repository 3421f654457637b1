# Build, run and test the helpdesk Redis module.
#
#   make            install missing deps, build build/helpdesk.so
#   make run        build, start redis-server with the module (PORT=6379) and
#                   the HTTP gateway build/helpdesk-http (HTTP_PORT=8080)
#   make test       build, run shell suites (tests/) and Tcl suites (tcl-tests/)
#   make test-shell / make test-tcl   one half only
#   make SANITIZE=1 ...               ASan+UBSan build in build/asan/
#   make test SERVER=valkey           every suite against valkey-server (also
#                                     make run / make bench SERVER=valkey)
#   make clean      remove objects and the module (keeps build/redis-src)

SHELL := /bin/bash
PORT  ?= 6379
# redis (redis-server, the default) or valkey (valkey-server). Exported: the
# one variable setup-deps, the test runners, run-server and bench read.
SERVER ?= redis
export SERVER
ifeq ($(filter redis valkey,$(SERVER)),)
$(error SERVER=$(SERVER): expected redis or valkey)
endif

SRCS := $(wildcard module/*.c)
HDRS := $(wildcard include/*.h module/*.h)

ifeq ($(SANITIZE),1)
OUT      := build/asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
else
OUT      := build
SANFLAGS :=
endif
OBJS   := $(patsubst module/%.c,$(OUT)/obj/%.o,$(SRCS))
MODULE := $(OUT)/helpdesk.so
# The HTTP gateway (gateway/, SPEC section 10).
GW_SRCS := $(wildcard gateway/*.c)
# Pure module files the gateway shares (no Redis calls): built again for it.
GW_SHARED := jsonutf8
GW_OBJS := $(patsubst gateway/%.c,$(OUT)/gwobj/%.o,$(GW_SRCS)) \
           $(patsubst %,$(OUT)/gwobj/%.o,$(GW_SHARED))
GATEWAY := $(OUT)/helpdesk-http

# Recursive (=) on purpose: pkg-config may only exist after setup-deps ran,
# so these are expanded when the recipes run, not when the Makefile is read.
JANSSON_CFLAGS = $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS   = $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)

# -Wno-missing-field-initializers: HdCommand entries leave trailing fields
# (the access rule) at zero when the command follows the default.
CFLAGS  := -std=gnu99 -O2 -g -fPIC -Wall -Wextra -Werror -Wno-unused-parameter \
           -Wno-missing-field-initializers \
           -Iinclude -Ibuild/redis-src/src $(SANFLAGS) $(EXTRA_CFLAGS)
# -z defs: an undefined symbol fails the link instead of MODULE LOAD later.
LDFLAGS := -shared -Wl,-z,defs $(SANFLAGS)

# The test runners and run-server find the module through this variable.
export HELPDESK_SO := $(abspath $(MODULE))

.PHONY: all setup run test test-effects test-shell test-tcl clean bench

all: $(MODULE) $(GATEWAY)

# Always run (it is fast when nothing is missing); order-only below so it
# never forces a rebuild by itself.
setup:
	@scripts/dev/setup-deps

$(MODULE): $(OBJS) | setup
	@test -n "$(SRCS)" || { echo "no sources in module/*.c" >&2; exit 1; }
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(JANSSON_LIBS) -lm

$(OUT)/obj/%.o: module/%.c $(HDRS) | setup
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(JANSSON_CFLAGS) -c -o $@ $<

# The HTTP gateway (SPEC section 10): C99 on libevent, hiredis async, jansson.
GW_CFLAGS := -std=c99 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude \
             $(SANFLAGS) $(EXTRA_CFLAGS)
GW_LIBS = $(shell pkg-config --libs libevent hiredis jansson 2>/dev/null || \
            echo -levent -lhiredis -ljansson)

$(GATEWAY): $(GW_OBJS) | setup
	$(CC) $(SANFLAGS) -o $@ $(GW_OBJS) $(GW_LIBS)

$(OUT)/gwobj/%.o: gateway/%.c gateway/gw.h include/hd_jsonutf8.h | setup
	@mkdir -p $(@D)
	$(CC) $(GW_CFLAGS) $(JANSSON_CFLAGS) -c -o $@ $<

$(OUT)/gwobj/%.o: module/%.c include/hd_%.h | setup
	@mkdir -p $(@D)
	$(CC) $(GW_CFLAGS) -c -o $@ $<

# redis-server and the gateway side by side (HTTP_PORT=8080); Ctrl-C stops both.
HTTP_PORT ?= 8080
run: all
	@PORT=$(PORT) HTTP_PORT=$(HTTP_PORT) scripts/run-server

# Build, run both halves even if the first fails, then print the combined
# total as the very last line of stdout. Each runner's own last line is
# "N passed, N failed"; a runner that dies without one counts as 1 failed.
# (On failure GNU make itself still appends "make: *** ... Error 1" on
# stderr; it cannot be switched off, .ci/run filters that one line.)
test:
	@$(MAKE) --no-print-directory all || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
	@scripts/dev/run-suites test

# The other replication mode (helpdesk.replication effects; the default is
# commands) on the suites that compare a replica, an AOF or an RDB with the
# master. test_replay and test_wrongtype run both modes themselves.
EFFECTS_SHELL = test_claim_order test_classify test_desk test_flood test_pause \
	test_servicelevels test_sla test_ticket_route
EFFECTS_TCL = contract failover persistence replication state
test-effects:
	@$(MAKE) --no-print-directory all || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
	@HD_REPLICATION=effects TCL_SUITES="$(EFFECTS_TCL)" scripts/dev/run-suites test-effects $(EFFECTS_SHELL)

test-shell: all
	@tests/run

test-tcl: all
	@tcl-tests/run

# The module against its peers (scripts/bench/run); BENCH_ARGS=--quick for a
# short run. Results in build/bench/results.md.
bench: all
	@if [ -x scripts/bench/run ]; then scripts/bench/run $(BENCH_ARGS); \
	else echo "scripts/bench/run is not there yet"; fi

clean:
	rm -rf build/obj build/asan build/helpdesk.so build/tcl build/test-*.log \
	       build/gwobj build/helpdesk-http
