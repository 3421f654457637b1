#!/usr/bin/env bash
# Identity and the browser's door: Basic credentials as Redis ACL users,
# POST/DELETE /v1/session (HttpOnly SameSite=Strict cookie + CSRF token),
# --user/--pass, --require-auth, and static files with traversal refused.
# No permission logic in the gateway: every 403 here is Redis's answer.
. "$(dirname "$0")/http_lib.sh"
start_server

WEB=$SERVER_DIR/web
mkdir -p "$WEB/sub" "$SERVER_DIR/secret"
echo '<!doctype html><title>console</title>' >"$WEB/index.html"
echo 'console.log(1)' >"$WEB/app.js"
echo 'nested' >"$WEB/sub/index.html"
echo 'top secret' >"$SERVER_DIR/secret/file.txt"
ln -s "$SERVER_DIR/secret/file.txt" "$WEB/link.txt"
start_gateway --static "$WEB"
V=/v1/desks/help

# ---- static files ----
http GET /
assert_http "GET / serves index.html" 200
assert_match "index content" "*<title>console</title>*" "$H_BODY"
assert_match "text/html" "text/html*" "$(hh content-type)"
http GET /app.js
assert_match "app.js: javascript" "text/javascript*" "$(hh content-type)"
http GET /sub/
assert_eq "a directory serves its index.html" nested "$H_BODY"
http GET /nope.html
assert_http "missing file: 404" 404 NOTFOUND
http GET /../secret/file.txt - --path-as-is
assert_http "../ traversal: 400" 400 INVALID
http GET /%2e%2e/secret/file.txt - --path-as-is
assert_http "%2e%2e traversal: 400" 400 INVALID
http GET /sub/%2e%2e%2f%2e%2e%2fsecret%2ffile.txt - --path-as-is
assert_http "encoded slashes + dots: 400" 400 INVALID
http GET '/sub/..%5c..%5csecret/file.txt' - --path-as-is
assert_http "backslashes: 400" 400 INVALID
http GET /link.txt
assert_http "symlink out of the root: 404" 404 NOTFOUND
assert_eq "nothing of the secret leaked" "" "$(grep -l 'top secret' "$SERVER_DIR/h.body")"
http POST /index.html '{}'
assert_http "POST on a static file: 405" 405 METHOD

# ---- users ----
r ACL SETUSER A1 on '>pw1' '~help*' +@read +ping +desk.stats +ticket.get +ticket.close +ticket.next +ticket.claim >/dev/null
r ACL SETUSER A2 on '>pw2' '~help*' +@read +ping +desk.stats +ticket.get +ticket.close +ticket.next +ticket.claim >/dev/null
r AGENT.CREATE help A1 "Ann" SKILLS billing >/dev/null
r AGENT.CREATE help A2 "Ben" SKILLS billing >/dev/null
t1=$(r TICKET.CREATE help "Refund one" CATEGORY billing)
t2=$(r TICKET.CREATE help "Refund two" CATEGORY billing)
r TICKET.ASSIGN help $t1 A1 >/dev/null
r TICKET.ASSIGN help $t2 A2 >/dev/null
r CONFIG SET helpdesk.enforce-identity yes >/dev/null

# ---- Basic ----
http GET $V/stats - -u A1:pw1
assert_http "Basic A1: reads the desk" 200
http GET $V/stats - -u A1:wrong
assert_http "Basic wrong password: 401" 401 UNAUTHORIZED
assert_match "401 asks for Basic" "Basic*" "$(hh www-authenticate)"
http GET $V/stats - -H 'Authorization: Basic !!!notbase64'
assert_http "malformed Basic: 401" 401 UNAUTHORIZED
http GET $V/stats - -H 'Authorization: Bearer abc'
assert_http "other schemes: 401" 401 UNAUTHORIZED
assert_http_nochange "A1 closes A2's ticket: 403 DENIED from Redis" 403 DENIED \
    POST $V/tickets/$t2/close '{}' -u A1:pw1
assert_match "the denial is in Redis's ACL LOG" "*A1*" "$(r ACL LOG 1)"
assert_http_nochange "A1 creates a ticket: 403 NOPERM from Redis" 403 NOPERM \
    POST $V/tickets '{"subject":"x"}' -u A1:pw1
http POST $V/tickets/$t1/close '{}' -u A1:pw1
assert_http "A1 closes its own ticket" 200

# ---- sessions ----
CJ=$SERVER_DIR/cookies
http POST /v1/session '{"user":"A2","password":"bad"}' -c "$CJ"
assert_http "sign in with a wrong password: 401" 401 UNAUTHORIZED
http POST /v1/session '{"user":"A2"}'
assert_http "sign in without password: 400" 400 INVALID
http POST /v1/session '{"user":"A2","password":"pw2","remember":true}'
assert_http "sign in: unknown field 400" 400 INVALID
http POST /v1/session '{"user":"A2","password":"pw2"}' -c "$CJ"
assert_http "sign in: 201" 201
CSRF=$(hj .csrf_token)
cookie=$(hh set-cookie)
assert_match "cookie is HttpOnly" "*HttpOnly*" "$cookie"
assert_match "cookie is SameSite=Strict" "*SameSite=Strict*" "$cookie"
assert_match "csrf token returned" "????????????????*" "$CSRF"
http GET /v1/session - -b "$CJ"
assert_eq "GET /v1/session: the user" A2 "$(hj .user)"
assert_eq "GET /v1/session: the same csrf token" "$CSRF" "$(hj .csrf_token)"
http GET $V/tickets/$t2 - -b "$CJ"
assert_http "cookie GET needs no CSRF token" 200
assert_http_nochange "cookie POST without X-CSRF-Token: 403" 403 CSRF \
    POST $V/tickets/$t2/close '{}' -b "$CJ"
assert_http_nochange "cookie POST with a wrong token: 403" 403 CSRF \
    POST $V/tickets/$t2/close '{}' -b "$CJ" -H "X-CSRF-Token: nope"
assert_http_nochange "cookie + token acts as A2: A1's ticket is DENIED" 403 DENIED \
    POST $V/tickets/$t1/close '{}' -b "$CJ" -H "X-CSRF-Token: $CSRF"
http POST $V/tickets/$t2/close '{}' -b "$CJ" -H "X-CSRF-Token: $CSRF"
assert_http "cookie + token closes A2's own ticket" 200
assert_eq "closed by the session's user" closed "$(r HGET help:ticket:$t2 status)"
http DELETE /v1/session - -b "$CJ"
assert_http "sign out without the token: 403" 403 CSRF
http DELETE /v1/session - -b "$CJ" -H "X-CSRF-Token: $CSRF"
assert_http "sign out: 204" 204
assert_match "sign out expires the cookie" "*Max-Age=0*" "$(hh set-cookie)"
http GET $V/stats - -b "$CJ"
assert_http "the old cookie: 401" 401 UNAUTHORIZED
http GET $V/stats - -H 'Cookie: hd_session=forged'
assert_http "a forged cookie: 401" 401 UNAUTHORIZED

# ---- --user/--pass and --require-auth ----
r CONFIG SET helpdesk.enforce-identity no >/dev/null
r ACL SETUSER viewer on '>vpw' '~help*' +@read +ping +desk.stats >/dev/null
stop_gateway
start_gateway --static "$WEB" --user viewer --pass vpw
http GET $V/stats
assert_http "no credentials: acts as --user (reads)" 200
assert_http_nochange "no credentials: --user may not write (NOPERM)" 403 NOPERM POST $V/tickets '{"subject":"x"}'
http POST $V/tickets '{"subject":"x"}' -u default:
assert_http "Basic overrides --user (default may write)" 201
stop_gateway
start_gateway --static "$WEB" --require-auth
http GET $V/stats
assert_http "--require-auth: no credentials 401" 401 UNAUTHORIZED
http GET /tickets/1/status
assert_http "--require-auth covers the seed routes" 401 UNAUTHORIZED
http GET $V/stats - -u A1:pw1
assert_http "--require-auth: with credentials 200" 200
http GET /
assert_http "--require-auth: static files stay public" 200
http GET /health
assert_http "--require-auth: /health stays public" 200

assert_desk_clean help
http_finish
