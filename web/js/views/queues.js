// Queues: every active ticket by urgency, and each category's routing queue
// (TICKET.PEEK through GET /tickets), refreshed live from /events.

import * as api from '../api.js';
import { h, mount, $, debounce } from '../dom.js';
import { ctx } from '../context.js';
import { ticketList } from '../tickets.js';

let root = null;
const DEFAULT_CATEGORIES = ['billing', 'technical', 'legal', 'returns', 'shipping', 'account', 'general'];

export async function deskCategories() {
    try {
        const cfg = await api.get('/config');
        const c = (cfg.config || cfg).categories;
        if (c) return String(c).split(',').map(s => s.trim()).filter(Boolean);
    } catch { /* agents may not read settings; fall back to the defaults */ }
    return DEFAULT_CATEGORIES;
}

let loadSeq = 0;

async function load() {
    if (!root) return;
    const seq = ++loadSeq, el = root;
    const cats = await deskCategories();
    const [all, ...perCat] = await Promise.all([
        api.get('/tickets?count=50'),
        ...cats.map(c => api.get(`/tickets?unassigned=1&count=20&category=${api.q(c)}`).catch(() => ({ tickets: [] }))),
    ]);
    if (seq !== loadSeq) return;   // a newer load is on its way
    const open = api.listOf(all, 'tickets');
    mount($('#queue-open', el), h('h2', {}, `Open queue `, h('span', { class: 'muted' }, `(${open.length} most urgent)`)),
        ticketList(open, { label: 'Open queue', showAgent: true, empty: 'No active tickets.' }));
    mount($('#queue-cats', el), cats.map((c, i) => {
        const list = api.listOf(perCat[i], 'tickets');
        return h('section', { class: 'card queue', 'data-category': c, 'aria-label': `Unassigned ${c}` },
            h('h3', {}, c, ' ', h('span', { class: 'count' }, String(list.length))),
            ticketList(list, { label: `Unassigned ${c}`, empty: 'empty' }));
    }));
}

const refreshSoon = debounce(() => load().catch(e => ctx.toast(ctx.describe(e), 'error')), 150);

export default {
    title: 'Queues',
    async render(el) {
        root = el;
        mount(el, h('h1', {}, 'Queues'),
            h('div', { class: 'queues' },
                h('section', { id: 'queue-open', class: 'card', 'aria-label': 'Open queue' }),
                h('div', { id: 'queue-cats', class: 'queue-cats' })));
        await load();
    },
    refresh: refreshSoon,
    onEvent: () => refreshSoon(),
    leave() { root = null; },
};
