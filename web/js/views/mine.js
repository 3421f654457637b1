// "My tickets": the acting agent's open tickets, most urgent first, with SLA
// time left; Next ticket (n), a blocking wait for one (w), Claim batch (b).

import * as api from '../api.js';
import { h, mount, $, debounce } from '../dom.js';
import { ctx } from '../context.js';
import { ticketList, fetchTickets, byUrgency, eventTicket, ticketId } from '../tickets.js';

let root = null;
let shown = new Set();
let waiting = null;         // AbortController of the blocking wait
let pending = null;         // 'wait' | 'claim' asked for from another view
// One long poll; the wait loops until a ticket or Esc. Short, because a
// NEXT still blocked in Redis after Esc could yet assign a ticket.
const BLOCK_MS = 10000;

let loadSeq = 0;

async function load() {
    if (!root) return;
    const seq = ++loadSeq, el = root;
    const box = $('#mine-list', el);
    if (!ctx.agentId) { mount(box, h('p', { class: 'empty' }, 'No agent on this desk yet.')); return; }
    const data = await api.get(`/agents/${api.q(ctx.agentId)}/tickets`);
    const tickets = (await fetchTickets(api.listOf(data, 'tickets').map(ticketId)))
        .filter(t => t.status !== 'closed' && t.status !== 'merged').sort(byUrgency);
    if (seq !== loadSeq) return;   // a newer load is on its way
    shown = new Set(tickets.map(t => String(t.id)));
    $('#mine-count', el).textContent = `${tickets.length} open`;
    mount(box, ticketList(tickets, { label: 'My open tickets', empty: 'Nothing assigned to you. Press n for the next ticket.' }));
}

const refreshSoon = debounce(() => load().catch(e => ctx.toast(ctx.describe(e), 'error')), 150);

async function next() {
    try {
        const t = await api.post(`/agents/${api.q(ctx.agentId)}/next`);
        if (!t) { ctx.toast('No ticket is waiting for your skills.'); return; }
        location.hash = `#/ticket/${ticketId(t.ticket || t)}`;
    } catch (e) { ctx.toast(ctx.describe(e), 'error'); }
}

// Long-polls NEXT ... BLOCK until a ticket comes or the agent stops waiting.
async function waitForNext() {
    if (waiting) return;
    waiting = new AbortController();
    setWaiting(true);
    try {
        for (;;) {
            const t = await api.post(`/agents/${api.q(ctx.agentId)}/next?block=${BLOCK_MS}`, {},
                { signal: waiting.signal });
            if (t) { location.hash = `#/ticket/${ticketId(t.ticket || t)}`; break; }
        }
    } catch (e) {
        if (e.name !== 'AbortError') ctx.toast(ctx.describe(e), 'error');
    } finally { waiting = null; setWaiting(false); }
}

function stopWaiting() { if (waiting) waiting.abort(); }

function setWaiting(on) {
    const box = root && $('#mine-waiting', root);
    if (!box) return;
    box.hidden = !on;
    $('#mine-wait', root).disabled = on;
}

async function claim() {
    try {
        const data = await api.post(`/agents/${api.q(ctx.agentId)}/claim`, {});
        const n = api.listOf(data, 'tickets', 'ids').length;
        ctx.toast(`You now hold ${n} open ticket${n === 1 ? '' : 's'}.`);
        await load();
    } catch (e) { ctx.toast(ctx.describe(e), 'error'); }
}

// Global shortcuts (n, w, b work from every view): waiting and claiming
// show their result on My tickets, so they go there first.
export function nextFromAnywhere() { return next(); }
export function onMine(action) {
    if (root) return action === 'wait' ? waitForNext() : claim();
    pending = action;
    location.hash = '#/mine';
}

export default {
    title: 'My tickets',
    keys: () => ({
        Escape: { label: 'stop waiting', fn: stopWaiting },
    }),
    async render(el) {
        root = el;
        mount(el,
            h('div', { class: 'toolbar' },
                h('h1', {}, 'My tickets ', h('span', { id: 'mine-count', class: 'muted' })),
                h('div', { class: 'actions' },
                    h('button', { class: 'primary', id: 'mine-next', onclick: next, 'aria-keyshortcuts': 'n' }, 'Next ticket'),
                    h('button', { id: 'mine-wait', onclick: waitForNext, 'aria-keyshortcuts': 'w' }, 'Wait for next'),
                    h('button', { id: 'mine-claim', onclick: claim, 'aria-keyshortcuts': 'b' }, 'Claim batch'))),
            h('div', { id: 'mine-waiting', class: 'waiting', hidden: true, role: 'status' },
                h('span', { class: 'spinner', 'aria-hidden': 'true' }),
                'Waiting for a ticket that fits your skills… ',
                h('button', { onclick: stopWaiting }, 'Stop waiting (Esc)')),
            h('p', { class: 'muted agent-line' }, ctx.agentId ? `Agent ${ctx.agentId}` : ''),
            h('div', { id: 'mine-list' }));
        await load();
        const p = pending;
        pending = null;
        if (p) onMine(p);
    },
    refresh: refreshSoon,
    onEvent(type, data) {
        if (data.agent === ctx.agentId || shown.has(eventTicket(data))) refreshSoon();
    },
    leave() { stopWaiting(); root = null; },
};
