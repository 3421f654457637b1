// Desk dashboard for admins: DESK.STATS numbers (GET /stats), open tickets
// by category (PEEK), agent load against capacity (GET /agents), and from
// DESK.REPORT (GET /report) created vs closed per hour and SLA breaches.
// Refreshed live from /events.

import * as api from '../api.js';
import { h, mount, $, debounce, duration } from '../dom.js';
import { ctx } from '../context.js';
import { barChart, loadBars, lineChart } from '../charts.js';

const HOURS = 12;
const REPORT_RETRY_MS = 60000;
let root = null;
let reportMissingSince = 0;   // GET /report failed: don't ask on every event
let reportMissingWhy = '';

function tile(label, value, key, cls = '') {
    return h('div', { class: `tile ${cls}`, 'data-stat': key },
        h('span', { class: 'tile-value' }, String(value ?? 0)), h('span', { class: 'tile-label' }, label));
}

function renderStats(st) {
    const status = st.status || {};
    mount($('#dash-tiles', root),
        ['open', 'in_progress', 'on_hold', 'closed', 'merged'].map(s =>
            tile(s.replace('_', ' '), status[s], `status.${s}`, `st-${s}`)),
        tile('unassigned', st.unassigned, 'unassigned', 'warn'),
        tile('overdue', st.overdue, 'overdue', st.overdue ? 'bad' : ''),
        tile('agents online', `${st.agents_online ?? 0}/${st.agents ?? 0}`, 'agents_online'),
        tile('load / capacity', `${st.total_load ?? 0}/${st.total_capacity ?? 0}`, 'total_load'),
        tile('SLA breaches 12 h', '…', 'breaches_12h', 'bad'));
    renderHourly();
    const cats = Object.entries(st.category || {});
    mount($('#dash-cat-table', root), h('table', { class: 'data' },
        h('caption', {}, 'Tickets by category (all statuses)'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'category'), h('th', { scope: 'col' }, 'tickets'))),
        h('tbody', {}, cats.map(([c, n]) => h('tr', { 'data-category': c },
            h('th', { scope: 'row' }, c), h('td', { 'data-stat': `category.${c}` }, String(n)))))));
}

// Open tickets per category, counted over the active tickets PEEK returns.
function renderOpenByCategory(tickets, cats) {
    const counts = Object.fromEntries(cats.map(c => [c, 0]));
    for (const t of tickets) counts[t.category] = (counts[t.category] || 0) + 1;
    const items = Object.entries(counts).map(([label, value]) => ({ label, value }));
    mount($('#dash-open-chart', root), barChart(items, { title: 'Open tickets by category' }));
}

function renderLoad(agents) {
    mount($('#dash-load', root), agents.length ? loadBars(agents) : h('p', { class: 'empty' }, 'No agents.'));
}

// DESK.REPORT's reply, read leniently: {groups: {name: metrics}} or a map of
// group -> metrics, or a list of {group, ...metrics}.
function reportGroups(data) {
    const g = data && (data.groups ?? data.report ?? data);
    if (Array.isArray(g)) return g;
    return Object.entries(g || {}).filter(([, v]) => v && typeof v === 'object')
        .map(([group, v]) => ({ group, ...v }));
}

function breachesOf(groups) {
    const out = {};
    for (const g of groups) {
        const b = g.breaches;
        if (b && typeof b === 'object') for (const [m, n] of Object.entries(b)) out[m] = (out[m] || 0) + Number(n);
        for (const [k, v] of Object.entries(g)) {
            const m = /^breaches[_.](.+)$/.exec(k);
            if (m) out[m[1]] = (out[m[1]] || 0) + Number(v);
        }
    }
    return out;
}

// ---- per hour, from the event stream ----------------------------------------
// DESK.REPORT counts whole days, so the hourly line comes from D:events: the
// dashboard opens its own EventSource resuming 12 hours back (?after=<ms>-0),
// counts created / closed / sla_breach per hour, and keeps counting live.

let hourly = null;        // Map hourStart -> {created, closed, breaches}
let hourSource = null;

function hourOf(ms) { return ms - ms % 3600e3; }

function countEvent(kind, ev) {
    let at = 0;
    try { at = Number(JSON.parse(ev.data).at); } catch { /* use the id */ }
    if (!at) at = Number(String(ev.lastEventId).split('-')[0]);
    const hr = hourOf(at);
    if (!hourly.has(hr)) return;        // older than the window
    hourly.get(hr)[kind]++;
    renderHourlySoon();
}

function openHourly() {
    const now = Date.now(), first = hourOf(now) - (HOURS - 1) * 3600e3;
    hourly = new Map(Array.from({ length: HOURS }, (_, i) =>
        [first + i * 3600e3, { created: 0, closed: 0, breaches: 0 }]));
    hourSource = new EventSource(api.deskPath(`/events?after=${first}-0`), { withCredentials: true });
    hourSource.addEventListener('created', ev => countEvent('created', ev));
    hourSource.addEventListener('closed', ev => countEvent('closed', ev));
    hourSource.addEventListener('sla_breach', ev => countEvent('breaches', ev));
    renderHourly();
}

function closeHourly() { if (hourSource) hourSource.close(); hourSource = null; }

// The window slides: a new hour gets an empty slot, the oldest drops out.
function slideHours() {
    const cur = hourOf(Date.now());
    if (hourly.has(cur)) return;
    hourly.set(cur, { created: 0, closed: 0, breaches: 0 });
    while (hourly.size > HOURS) hourly.delete(hourly.keys().next().value);
}

function renderHourly() {
    if (!root || !hourly) return;
    slideHours();
    const hours = [...hourly.keys()], slots = [...hourly.values()];
    const labels = hours.map(h => `${String(new Date(h).getHours()).padStart(2, '0')}h`);
    mount($('#dash-hourly', root), lineChart([
        { label: 'created', cls: 'created', values: slots.map(x => x.created) },
        { label: 'closed', cls: 'closed', values: slots.map(x => x.closed) },
    ], labels, { title: `Created vs closed per hour, last ${HOURS} hours` }));
    const breaches = slots.reduce((n, x) => n + x.breaches, 0);
    const t = $('[data-stat="breaches_12h"] .tile-value', root);
    if (t) t.textContent = String(breaches);
}

const renderHourlySoon = debounce(renderHourly, 100);

// ---- DESK.REPORT: the last 7 days by category ----------------------------------

async function renderReport() {
    const box = $('#dash-report', root), now = Date.now();
    if (reportMissingSince && now - reportMissingSince < REPORT_RETRY_MS) {
        mount(box, h('p', { class: 'muted' }, reportMissingWhy));
        return;
    }
    let rep;
    try { rep = await api.get(`/report?from=${now - 7 * 86400e3}&to=${now}&by=category`); }
    catch (e) {
        if (!root) return;
        if (e.status === 404 || e.status === 400) reportMissingSince = now;
        reportMissingWhy = `DESK.REPORT unavailable (${ctx.describe(e)}).`;
        mount(box, h('p', { class: 'muted' }, reportMissingWhy));
        return;
    }
    if (!root) return;
    reportMissingSince = 0;
    const groups = reportGroups(rep);
    const ms = v => (v === null || v === undefined ? '—' : duration(Number(v)));
    const cols = ['created', 'closed', 'reopened', 'first reply p50', 'resolution p50', 'breaches'];
    mount(box, h('table', { class: 'data' },
        h('caption', {}, 'Last 7 days by category (DESK.REPORT)'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'category'), cols.map(c => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, groups.map(g => {
            const b = breachesOf([g]);
            return h('tr', { 'data-group': g.group },
                h('th', { scope: 'row' }, g.group),
                h('td', {}, String(g.created ?? 0)), h('td', {}, String(g.closed ?? 0)),
                h('td', {}, String(g.reopened ?? 0)), h('td', {}, ms(g.first_reply_p50)),
                h('td', {}, ms(g.resolution_p50)),
                h('td', {}, String(Object.values(b).reduce((n, x) => n + x, 0))));
        }))));
}

let loadSeq = 0;

async function load() {
    if (!root) return;
    const seq = ++loadSeq, el = root;
    const [st, agents, peek, cfg] = await Promise.all([
        api.get('/stats'),
        api.get('/agents').then(d => api.listOf(d, 'agents')).catch(() => []),
        api.get('/tickets?count=1000').then(d => api.listOf(d, 'tickets')),
        import('./queues.js').then(m => m.deskCategories()),
    ]);
    if (seq !== loadSeq || !el.isConnected) return;   // overtaken or left
    const stats = st.stats || st;
    renderStats(stats);
    renderOpenByCategory(peek, cfg);
    renderLoad(agents);
    $('#dash-updated', el).textContent = `updated ${new Date().toLocaleTimeString()}`;
    await renderReport();
}

const refreshSoon = debounce(() => load().catch(e => ctx.toast(ctx.describe(e), 'error')), 300);

export default {
    title: 'Dashboard',
    async render(el) {
        root = el;
        mount(el,
            h('div', { class: 'toolbar' }, h('h1', {}, 'Desk dashboard'), h('span', { id: 'dash-updated', class: 'muted' })),
            h('div', { id: 'dash-tiles', class: 'tiles', 'aria-label': 'Desk statistics', role: 'group' }),
            h('div', { class: 'dash-grid' },
                h('section', { class: 'card', 'aria-labelledby': 'h-open' },
                    h('h2', { id: 'h-open' }, 'Open tickets by category'), h('div', { id: 'dash-open-chart' })),
                h('section', { class: 'card', 'aria-labelledby': 'h-load' },
                    h('h2', { id: 'h-load' }, 'Agent load vs capacity'), h('div', { id: 'dash-load' })),
                h('section', { class: 'card', 'aria-labelledby': 'h-hour' },
                    h('h2', { id: 'h-hour' }, 'Created vs closed per hour'), h('div', { id: 'dash-hourly' })),
                h('section', { class: 'card' }, h('div', { id: 'dash-cat-table' })),
                h('section', { class: 'card wide', 'aria-label': 'Service report' }, h('div', { id: 'dash-report' }))));
        openHourly();
        await load();
    },
    refresh: refreshSoon,
    onEvent: () => refreshSoon(),
    leave() { closeHourly(); root = null; },
};
