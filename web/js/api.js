// HTTP client of the gateway (SPEC section 10). The identity travels in the
// gateway's HttpOnly session cookie, which this code never sees; the CSRF
// token that the sign-in returns lives only in this module's memory (not in
// localStorage, not in a URL) and goes with every non-GET request.

export class ApiError extends Error {
    constructor(status, code, message) {
        super(message);
        this.status = status;   // HTTP status, 0 when the gateway is unreachable
        this.code = code;       // the module's code word: NOTFOUND, DENIED, ...
    }
}

const session = { csrf: null, user: null };
let desk = 'help';
const listeners = new Set();
const lostListeners = new Set();
// Not a secret: only that this tab signed in as that user, so a reload asks
// GET /v1/session for the token again (a tab that never signed in does not).
const HINT = 'helpdesk.signedInAs';

// fn() when a signed-in console gets 401: the session expired or was closed.
export function onSessionLost(fn) { lostListeners.add(fn); }

// Subscribers learn whether the gateway answers (for the connection banner).
export function onConnectivity(fn) { listeners.add(fn); }
function reportConnectivity(up, why) { for (const fn of listeners) fn(up, why); }

export function setDesk(name) { desk = name; }
export function getDesk() { return desk; }
export function currentUser() { return session.user; }
export function signedIn() { return session.csrf !== null; }

export function deskPath(path) {
    return `/v1/desks/${encodeURIComponent(desk)}${path}`;
}

// The token's field name is read leniently: csrf_token is SPEC's spelling.
function adoptSession(data) {
    session.csrf = data.csrf_token ?? data.csrf ?? data.token ?? null;
    session.user = data.user ?? data.username ?? null;
}

export async function signIn(user, password) {
    const data = await request('POST', '/v1/session', { user, password });
    adoptSession(data || {});
    if (!session.user) session.user = user;
    sessionStorage.setItem(HINT, session.user);
    return session.user;
}

// After a reload the cookie may still be valid, but the token is gone with
// the page's memory; a gateway that answers GET /v1/session hands it back.
export async function resumeSession() {
    if (!sessionStorage.getItem(HINT)) return null;
    try {
        const data = await request('GET', '/v1/session');
        if (data && (data.csrf_token || data.csrf)) { adoptSession(data); return session.user; }
    } catch (e) { /* the session ended meanwhile */ }
    sessionStorage.removeItem(HINT);
    return null;
}

export async function signOut() {
    try { await request('DELETE', '/v1/session'); }
    finally { session.csrf = null; session.user = null; sessionStorage.removeItem(HINT); }
}

function errorFrom(status, data, text) {
    const e = data && data.error;
    if (e) return new ApiError(status, e.code || 'ERR', e.message || e.code || `HTTP ${status}`);
    return new ApiError(status, `HTTP${status}`, text || `HTTP ${status}`);
}

// request(method, path, body?, {signal, headers, raw}) -> parsed JSON (null for
// 204). Throws ApiError. Paths under /v1/desks/... are built with deskPath.
export async function request(method, path, body, opts = {}) {
    // X-Requested-With marks the call as the console's own (not a page
    // navigation), so the gateway need not answer 401 with a Basic challenge.
    const headers = { Accept: 'application/json', 'X-Requested-With': 'helpdesk-console', ...(opts.headers || {}) };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
    let res;
    try {
        res = await fetch(path, {
            method, headers, credentials: 'same-origin', signal: opts.signal,
            body: body === undefined ? undefined : JSON.stringify(body),
        });
    } catch (err) {
        if (err.name === 'AbortError') throw err;
        reportConnectivity(false, 'The gateway does not answer');
        throw new ApiError(0, 'NETWORK', 'The gateway does not answer; retrying when it is back.');
    }
    reportConnectivity(res.status !== 503, res.status === 503 ? 'Redis is unreachable' : '');
    const text = res.status === 204 ? '' : await res.text();
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch { data = null; } }
    if (res.status === 401 && session.csrf && path !== '/v1/session') {
        session.csrf = null;
        sessionStorage.removeItem(HINT);
        for (const fn of lostListeners) fn();
    }
    if (!res.ok) throw errorFrom(res.status, data, text);
    return data;
}

// Desk-scoped shorthands.
export const get = (p, o) => request('GET', deskPath(p), undefined, o);
export const post = (p, b, o) => request('POST', deskPath(p), b === undefined ? {} : b, o);
export const put = (p, b, o) => request('PUT', deskPath(p), b, o);
export const patch = (p, b, o) => request('PATCH', deskPath(p), b, o);
export const del = (p, o) => request('DELETE', deskPath(p), undefined, o);

// The first array found under one of `keys` (routes wrap lists in an object
// named after what they hold: {"tickets":[...]}, {"agents":[...]}).
export function listOf(data, ...keys) {
    if (Array.isArray(data)) return data;
    for (const k of keys) if (data && Array.isArray(data[k])) return data[k];
    return [];
}

export const q = encodeURIComponent;
