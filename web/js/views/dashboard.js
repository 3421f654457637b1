// Desk dashboard for admins: DESK.STATS numbers (GET /stats), open tickets
// by category (PEEK), agent load against capacity (GET /agents), and from
// DESK.REPORT (GET /report) created vs closed per hour and SLA breaches.
// Refreshed live from /events.

import * as api from '../api.js';
import { h, mount, $, debounce } from '../dom.js';
import { ctx } from '../context.js';
import { barChart, loadBars, lineChart } from '../charts.js';

const HOURS = 12;
const REPORT_RETRY_MS = 60000;
let root = null;
let reportMissingSince = 0;   // GET /report failed: don't ask on every event

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
        tile('load / capacity', `${st.total_load ?? 0}/${st.total_capacity ?? 0}`, 'total_load'));
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

function sumOf(groups, field) {
    return groups.reduce((n, g) => n + (Number(g[field]) || 0), 0);
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

async function renderReport() {
    const box = $('#dash-report', root), now = Date.now();
    const hourStart = now - now % 3600e3;
    const starts = Array.from({ length: HOURS }, (_, i) => hourStart - (HOURS - 1 - i) * 3600e3);
    let hourly, total;
    if (reportMissingSince && now - reportMissingSince < REPORT_RETRY_MS) return;
    try {
        [total, ...hourly] = await Promise.all([
            api.get(`/report?from=${starts[0]}&to=${now}&by=category`),
            ...starts.map(s => api.get(`/report?from=${s}&to=${Math.min(s + 3600e3, now)}&by=category`))]);
    } catch (e) {
        if (!root) return;
        if (e.status === 404 || e.status === 400) reportMissingSince = now;
        mount(box, h('p', { class: 'muted' }, `Report unavailable (${ctx.describe(e)}).`));
        mount($('#dash-breaches', root));
        return;
    }
    if (!root) return;
    reportMissingSince = 0;
    const groups = hourly.map(reportGroups);
    const labels = starts.map(s => `${String(new Date(s).getHours()).padStart(2, '0')}h`);
    mount(box, lineChart([
        { label: 'created', cls: 'created', values: groups.map(g => sumOf(g, 'created')) },
        { label: 'closed', cls: 'closed', values: groups.map(g => sumOf(g, 'closed')) },
    ], labels, { title: `Created vs closed per hour, last ${HOURS} hours` }));
    const breaches = breachesOf(reportGroups(total));
    mount($('#dash-breaches', root),
        h('h3', {}, `SLA breaches, last ${HOURS} hours`),
        Object.keys(breaches).length
            ? h('div', { class: 'tiles small' }, Object.entries(breaches).map(([m, n]) =>
                tile(m.replace(/_/g, ' '), n, `breaches.${m}`, n ? 'bad' : '')))
            : h('p', { class: 'muted' }, 'No breaches.'));
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
                    h('h2', { id: 'h-hour' }, 'Created vs closed per hour'), h('div', { id: 'dash-report' }), h('div', { id: 'dash-breaches' })),
                h('section', { class: 'card' }, h('div', { id: 'dash-cat-table' }))));
        await load();
    },
    refresh: refreshSoon,
    onEvent: () => refreshSoon(),
    leave() { root = null; },
};
