#!/usr/bin/env bash
# Alerts: an urgent ticket is PUBLISHed on <desk>:alerts as JSON and leaves
# an `alert` event; scripts/tools/alert-webhook forwards it to a Slack-style
# webhook (a local listener here), acknowledges only what was delivered and
# delivers what arrived while it was stopped.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

WEBHOOK=$ROOT/scripts/tools/alert-webhook
LISTENER_PID=
SUB_PID=

stop_helpers() {
    [ -n "$SUB_PID" ] && kill "$SUB_PID" 2>/dev/null && wait "$SUB_PID" 2>/dev/null
    [ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null && wait "$LISTENER_PID" 2>/dev/null
    SUB_PID='' LISTENER_PID=''
}
cleanup() { stop_helpers; stop_server; }

start_server
trap cleanup EXIT
D=shop

# --- a minimal HTTP listener on loopback (port chosen by the kernel) --------
cat >"$SERVER_DIR/listener.py" <<'PY'
import http.server, sys
bodies, portfile = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        if self.path == '/fail':
            self.send_response(500); self.end_headers(); return
        with open(bodies, 'ab') as f:
            f.write(self.headers.get('Content-Type', '').encode() + b' ' + body + b'\n')
        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')
    def log_message(self, *a): pass
srv = http.server.HTTPServer(('127.0.0.1', 0), H)
with open(portfile + '.tmp', 'w') as f: f.write(str(srv.server_address[1]))
import os; os.rename(portfile + '.tmp', portfile)
srv.serve_forever()
PY
BODIES=$SERVER_DIR/bodies
: >"$BODIES"
python3 "$SERVER_DIR/listener.py" "$BODIES" "$SERVER_DIR/lport" &
LISTENER_PID=$!
wait_until test -s "$SERVER_DIR/lport" || { echo "FATAL: listener did not start" >&2; exit 1; }
HOOK=http://127.0.0.1:$(<"$SERVER_DIR/lport")/hook

# --- subscriber on <desk>:alerts ------------------------------------------
redis-cli -p "$PORT" SUBSCRIBE "$D:alerts" >"$SERVER_DIR/sub" 2>/dev/null &
SUB_PID=$!
subscribed() { [ "$(r PUBSUB NUMSUB "$D:alerts" | tail -n 1)" = 1 ]; }
wait_until subscribed ||
    { echo "FATAL: subscriber did not subscribe" >&2; exit 1; }

# The bridge's first start creates its group (at the start of the stream).
SLACK_WEBHOOK_URL=$HOOK "$WEBHOOK" --desk "$D" --port "$PORT" --once
assert_eq "first run creates the consumer group" alerts \
    "$(r XINFO GROUPS "$D:events" | sed -n 2p)"

alerts_before=$(r INFO helpdesk | tr -d '\r' | sed -n 's/^helpdesk_alerts://p')

# --- an urgent ticket ------------------------------------------------------
SUBJ="Checkout is down, we are losing money"
T1=$(r TICKET.CREATE "$D" "$SUBJ" BODY "Outage since 9am, nobody can pay. URGENT!!")
assert_match "urgent ticket created" "[0-9]*" "$T1"
assert_eq "ticket priority 20 from urgency" 20 "$(r HGET "$D:ticket:$T1" priority)"
U1=$(r HGET "$D:ticket:$T1" urgency)
assert_match "urgency stored with 3 decimals, >= 0.8" "0.[89][0-9][0-9]" "$U1"
U1_JSON=$(printf '%s' "$U1" | sed 's/0*$//; s/\.$/.0/')   # JSON: 0.900 -> 0.9
T2=$(r TICKET.CREATE "$D" "Question about gift wrapping")
assert_eq "calm ticket: urgency 0" 0.000 "$(r HGET "$D:ticket:$T2" urgency)"

# the alert event: exactly one, for T1, with its fields
ev=$(rj XRANGE "$D:events" - +)
alert_count=$(printf '%s' "$ev" | grep -o '"alert"' | wc -l)
assert_eq "one alert event" 1 "$alert_count"
assert_match "alert event names ticket, urgency, category, subject" \
    "*\"type\",\"alert\",\"ticket\",\"$T1\",*\"urgency\",\"$U1\",\"category\",\"technical\",*\"subject\",\"$SUBJ\"*" "$ev"
assert_eq "INFO helpdesk counts the alert" $((alerts_before + 1)) \
    "$(r INFO helpdesk | tr -d '\r' | sed -n 's/^helpdesk_alerts://p')"

# the PUBLISH: a JSON message with id, subject, category, urgency, priority
wait_until grep -q "\"id\":$T1," "$SERVER_DIR/sub"
msg=$(grep '^{' "$SERVER_DIR/sub")
assert_eq "PUBLISH on $D:alerts (JSON message)" \
    "{\"id\":$T1,\"subject\":\"$SUBJ\",\"category\":\"technical\",\"urgency\":$U1_JSON,\"priority\":20}" \
    "${msg}"
assert_eq "nothing published for the calm ticket" 1 "$(grep -c '^{' "$SERVER_DIR/sub")"

# --- the bridge posts it ---------------------------------------------------
SLACK_WEBHOOK_URL=$HOOK "$WEBHOOK" --desk "$D" --port "$PORT" --once
assert_eq "bridge exits 0 after delivering" 0 "$?"
assert_eq "one POST received" 1 "$(wc -l <"$BODIES")"
body=$(<"$BODIES")
assert_match "POST is JSON with a Slack text naming the subject" \
    "application/json {\"text\": \"*#$T1*$SUBJ*urgency $U1*priority 20*\"}" "$body"
assert_eq "nothing left pending" 0 "$(r XPENDING "$D:events" alerts | head -n 1)"
SLACK_WEBHOOK_URL=$HOOK "$WEBHOOK" --desk "$D" --port "$PORT" --once
assert_eq "a second run sends nothing again" 1 "$(wc -l <"$BODIES")"

# --- alerts raised while the bridge is down are not lost; a failed POST
#     stays pending and is delivered by the next run -------------------------
T3=$(r TICKET.CREATE "$D" "Account hacked, fraud on my card" BODY "Please lock it immediately!")
SLACK_WEBHOOK_URL=${HOOK%/hook}/fail "$WEBHOOK" --desk "$D" --port "$PORT" --once 2>/dev/null
assert_eq "bridge exits 1 when the webhook fails" 1 "$?"
assert_eq "failed alert stays pending" 1 "$(r XPENDING "$D:events" alerts | head -n 1)"
SLACK_WEBHOOK_URL=$HOOK "$WEBHOOK" --desk "$D" --port "$PORT" --once
assert_eq "retry delivers it" 2 "$(wc -l <"$BODIES")"
assert_match "retried POST names the ticket" "*#$T3*Account hacked, fraud on my card*" \
    "$(tail -n 1 "$BODIES")"
assert_eq "pending list empty after the retry" 0 "$(r XPENDING "$D:events" alerts | head -n 1)"

# --- dry run: without SLACK_WEBHOOK_URL it prints what it would send -------
T4=$(r TICKET.CREATE "$D" "Data breach: customer emails leaked" BODY "Urgent, legal action threatened")
out=$(env -u SLACK_WEBHOOK_URL "$WEBHOOK" --desk "$D" --port "$PORT" --once)
assert_match "dry run prints the Slack message" \
    "{\"text\": \"*#$T4*Data breach: customer emails leaked*\"}" "$out"
assert_eq "dry run posted nothing" 2 "$(wc -l <"$BODIES")"

# --- threshold is the desk's alert-threshold ---------------------------------
assert_ok "raise alert-threshold" DESK.CONFIG SET "$D" alert-threshold 1
before=$(r XLEN "$D:events")
T5=$(r TICKET.CREATE "$D" "Site down, outage, losing money!!")
assert_eq "no alert event under the threshold" 0 \
    "$(rj XRANGE "$D:events" - + | grep -c "\"alert\",\"ticket\",\"$T5\"")"
assert_eq "only the created event was added" $((before + 1)) "$(r XLEN "$D:events")"
assert_ok "threshold 0 alerts on everything" DESK.CONFIG SET "$D" alert-threshold 0
T6=$(r TICKET.CREATE "$D" "Hello there")
assert_match "calm ticket alerts at threshold 0" "*\"alert\",\"ticket\",\"$T6\"*" \
    "$(rj XRANGE "$D:events" - +)"
wait_until grep -q "\"id\":$T6," "$SERVER_DIR/sub"
assert_match "published JSON for a zero urgency" \
    "{\"id\":$T6,\"subject\":\"Hello there\",\"category\":\"general\",\"urgency\":0.0,\"priority\":1}" \
    "$(grep "\"id\":$T6," "$SERVER_DIR/sub")"

# --- a subject that is not valid UTF-8 is refused; quotes are escaped -------
assert_nochange "a subject that is not valid UTF-8 fails INVALID" -c INVALID \
    TICKET.CREATE "$D" "$(printf 'Bad \xff bytes')"
T7=$(r TICKET.CREATE "$D" "$(printf 'Bad \xc3\xa9 bytes "quoted"')")
wait_until grep -q "\"id\":$T7," "$SERVER_DIR/sub"
assert_eq "UTF-8 kept, quotes escaped" \
    "$(printf '{"id":%s,"subject":"Bad \xc3\xa9 bytes \\"quoted\\"","category":"general","urgency":0.0,"priority":1}' "$T7")" \
    "$(grep "\"id\":$T7," "$SERVER_DIR/sub")"

# --- the first run delivers alerts raised before the bridge ever ran -------
# (default --start 0: every alert the stream still holds); --start '$' skips them.
E=early
r TICKET.CREATE "$E" "Checkout is down, we are losing money" BODY "Outage, URGENT!!" >/dev/null
posts=$(wc -l <"$BODIES")
SLACK_WEBHOOK_URL=$HOOK "$WEBHOOK" --desk "$E" --port "$PORT" --once
assert_eq "first run (default --start) delivers the alert raised before it" \
    $((posts + 1)) "$(wc -l <"$BODIES")"
E2=early2
r TICKET.CREATE "$E2" "Checkout is down, we are losing money" BODY "Outage, URGENT!!" >/dev/null
SLACK_WEBHOOK_URL=$HOOK "$WEBHOOK" --desk "$E2" --port "$PORT" --once --start '$'
assert_eq "--start \$ skips alerts raised before the first start" \
    $((posts + 1)) "$(wc -l <"$BODIES")"
help=$("$WEBHOOK" --help)
missing=$(for w in --desk --host --port --group --consumer --start --block --once \
                   SLACK_WEBHOOK_URL REDISCLI_AUTH "first run"; do
              grep -qF -- "$w" <<<"$help" || echo "$w"; done)
assert_eq "--help documents every option, SLACK_WEBHOOK_URL and the first run" "" "$missing"

assert_eq "DESK.CHECK finds nothing" "" "$(r DESK.CHECK "$D")"
stop_helpers
finish
