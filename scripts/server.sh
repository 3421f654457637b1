# The one server launcher (sourced, not run): how tests/lib.sh, the
# benchmark (scripts/bench/*) and scripts/run-server start redis-server or
# valkey-server with the helpdesk module. One place picks the binary, the
# ASan runtime preload, a free port and the wait for PING.
#
#   . "$ROOT/scripts/server.sh"
#   hd_start DIR [SERVER ARGS...]   # background server on a free loopback
#                                   # port: sets HD_PORT, HD_PID; log DIR/server.log
#
# Variables read: SERVER (redis, the default, or valkey), SERVER_BIN (an
# explicit binary wins), HELPDESK_SO (the module; default build/helpdesk.so),
# ASAN_OPTIONS. Functions return non-zero on failure and never exit, so each
# caller decides how to fail.

HD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPDESK_SO=${HELPDESK_SO:-$HD_ROOT/build/helpdesk.so}

# SERVER -> the binary to start, in SERVER_BIN (set once; an explicit
# SERVER_BIN is kept). Prints why and returns 1 on a bad SERVER.
hd_server_bin() {
    [ -n "${SERVER_BIN:-}" ] && return 0
    case ${SERVER:-redis} in
        redis)  SERVER_BIN=redis-server ;;
        valkey) SERVER_BIN=valkey-server ;;
        *) echo "SERVER=$SERVER: expected redis or valkey" >&2; return 1 ;;
    esac
}

# Is the module an ASan build (make SANITIZE=1)?
hd_module_is_asan() { [ -f "$HELPDESK_SO" ] && grep -q 'libasan\.so' "$HELPDESK_SO"; }

# hd_asan_env [LEAKS]: fills the array HD_ENV with what the server needs
# before anything else when the module is an ASan build: the ASan runtime as
# the first library of the process (redis-server is not built with it) and
# ASAN_OPTIONS (detect_leaks=LEAKS, default 1, unless already set). Only the
# server gets it, never redis-cli. Empty for a normal build.
hd_asan_env() {
    HD_ENV=()
    hd_module_is_asan || return 0
    HD_ENV=(LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
            ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=${1:-1}}")
}

# Is anything accepting connections on 127.0.0.1:$1? (pure bash, no ss needed)
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# hd_free_port [FROM]: the first port >= FROM (default: a random one) in
# 20000-29999 nobody listens on.
hd_free_port() {
    local p=${1:-$((20000 + RANDOM % 10000))}
    while port_busy "$p"; do p=$((p + 1 > 29999 ? 20000 : p + 1)); done
    echo "$p"
}

# hd_launch DIR PORT [SERVER ARGS...]: start the server in the background on
# 127.0.0.1:PORT, working directory DIR, no RDB/AOF unless ARGS say so, log
# appended to DIR/server.log; sets HD_PID. Does not wait.
hd_launch() {
    local dir=$1 port=$2; shift 2
    hd_server_bin || return 1
    hd_asan_env
    env "${HD_ENV[@]}" "$SERVER_BIN" --port "$port" --bind 127.0.0.1 \
        --save '' --appendonly no --dir "$dir" --daemonize no "$@" \
        >>"$dir/server.log" 2>&1 &
    HD_PID=$!
}

# hd_wait_ping PORT PID [STEPS]: poll PING every 0.05 s, up to STEPS times
# (default 200, ~10 s); 1 if the server died or never answered.
hd_wait_ping() {
    local _
    for _ in $(seq "${3:-200}"); do
        [ "$(redis-cli -p "$1" PING 2>/dev/null)" = PONG ] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# hd_start DIR [SERVER ARGS...]: hd_launch on a free port (HD_FROM_PORT, if
# set, is where the search starts) and wait for PING; if another process
# won the race for the port, try the next one (5 attempts). Sets HD_PORT and
# HD_PID; returns 1 (server log in DIR/server.log) if it never answered.
# ARGS usually hold --loadmodule "$HELPDESK_SO"; the launcher adds nothing
# it was not asked for so a plain server (no module) is possible too.
hd_start() {
    local dir=$1 _; shift
    HD_PORT=$(hd_free_port "${HD_FROM_PORT:-}")
    for _ in 1 2 3 4 5; do
        hd_launch "$dir" "$HD_PORT" "$@" || return 1
        hd_wait_ping "$HD_PORT" "$HD_PID" && return 0
        # Lost a race for the port with someone else: try the next one.
        if ! kill -0 "$HD_PID" 2>/dev/null &&
           grep -q 'Address already in use' "$dir/server.log"; then
            HD_PORT=$(hd_free_port $((HD_PORT + 1))); continue
        fi
        break
    done
    kill "$HD_PID" 2>/dev/null
    return 1
}
