// Live updates: one EventSource on the desk's /events (SPEC section 10).
// While the connection is down a banner says so. The browser's own retry
// sends Last-Event-ID; when it gives up (the gateway answered with an error
// status, e.g. 503 during a restart) we open a new EventSource ourselves,
// resuming with ?after=<last id>, so no event the stream still holds is lost.
// Whenever the stream (re)opens, views refresh once to be sure they match.

import { deskPath } from './api.js';

// Event types of D:events (SPEC section 5, plus section 11's).
export const EVENT_TYPES = ['created', 'assigned', 'unassigned', 'status', 'updated', 'closed',
    'reopened', 'deleted', 'merged', 'incident', 'alert', 'sla_breach', 'sla_warning', 'note',
    'message', 'relaxed'];

const handlers = new Set();
const openHandlers = new Set();
const stateHandlers = new Set();
let source = null;
let lastId = null;
let retryMs = 500;
let retryTimer = null;
let connected = false;

// fn(type, data, id) for every event; onOpen(fn) each time the stream opens.
export function onEvent(fn) { handlers.add(fn); }
export function onOpen(fn) { openHandlers.add(fn); }
// fn(connected: boolean) whenever the stream goes up or down.
export function onStreamState(fn) { stateHandlers.add(fn); }
export function isConnected() { return connected; }
export function lastEventId() { return lastId; }

function setConnected(up) {
    if (up === connected) return;
    connected = up;
    for (const fn of stateHandlers) fn(up);
}

function dispatch(ev) {
    if (ev.lastEventId) lastId = ev.lastEventId;
    let data = {};
    try { data = ev.data ? JSON.parse(ev.data) : {}; } catch { data = { raw: ev.data }; }
    const type = ev.type === 'message' && data.type && data.type !== 'message' ? data.type : ev.type;
    for (const fn of handlers) fn(type, data, ev.lastEventId);
}

export function connect() {
    clearTimeout(retryTimer);
    if (source) source.close();
    const url = deskPath('/events') + (lastId ? `?after=${encodeURIComponent(lastId)}` : '');
    source = new EventSource(url, { withCredentials: true });
    source.onopen = () => {
        retryMs = 500;
        setConnected(true);
        for (const fn of openHandlers) fn();
    };
    source.onerror = () => {
        setConnected(false);
        // CONNECTING: the browser retries by itself, with Last-Event-ID.
        if (source.readyState === EventSource.CLOSED) scheduleReconnect();
    };
    for (const t of EVENT_TYPES) source.addEventListener(t, dispatch);
}

function scheduleReconnect() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
}

export function disconnect() {
    clearTimeout(retryTimer);
    if (source) source.close();
    source = null;
    setConnected(false);
}
