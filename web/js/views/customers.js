// Customer lookup by email (CUSTOMER.FIND) with the customer's tickets.

import * as api from '../api.js';
import { h, mount, $, time, debounce } from '../dom.js';
import { ctx } from '../context.js';
import { ticketList, fetchTickets, byUrgency } from '../tickets.js';

let root = null;
let shownEmail = null;      // the customer on screen, refreshed on its tickets' events

async function lookup(ev) {
    ev.preventDefault();
    await show($('#cust-email', root).value.trim(), true);
}

async function show(email, fresh) {
    const el = root, box = el && $('#cust-result', el);
    if (!email || !box) return;
    if (fresh) mount(box, h('p', { class: 'muted' }, 'Looking up…'));
    shownEmail = email;
    let c;
    try { c = await api.get(`/customers?email=${api.q(email)}`); }
    catch (e) {
        mount(box, h('p', { class: e.status === 404 ? 'empty' : 'error', role: 'alert' },
            e.status === 404 ? `No customer with email ${email}.` : ctx.describe(e)));
        return;
    }
    c = c.customer || c;
    if (!c || c.id === undefined) { mount(box, h('p', { class: 'empty' }, `No customer with email ${email}.`)); return; }
    const ids = api.listOf(await api.get(`/customers/${api.q(c.id)}/tickets`), 'tickets', 'ids');
    const tickets = (await fetchTickets(ids)).sort(byUrgency);
    if (root !== el) return;
    mount(box, h('section', { class: 'card', 'data-customer-id': c.id, 'aria-label': `Customer ${c.name ?? ''}` },
        h('h2', {}, c.name ?? '', ' ', h('span', { class: 'muted' }, `#${c.id}`)),
        h('dl', { class: 'fields' },
            h('dt', {}, 'email'), h('dd', {}, c.email ?? ''),
            h('dt', {}, 'phone'), h('dd', {}, c.phone || '—'),
            h('dt', {}, 'joined'), h('dd', {}, time(c.joined_at))),
        h('h3', {}, `Tickets (${tickets.length})`),
        ticketList(tickets, { label: 'Customer tickets', showAgent: true })));
}

export default {
    title: 'Customers',
    async render(el) {
        root = el;
        mount(el, h('h1', {}, 'Customer lookup'),
            h('form', { class: 'row card', onsubmit: lookup, role: 'search' },
                h('label', { for: 'cust-email' }, 'Email'),
                h('input', { id: 'cust-email', type: 'email', required: true, autocomplete: 'off', placeholder: 'name@example.com' }),
                h('button', { class: 'primary', type: 'submit' }, 'Find')),
            h('div', { id: 'cust-result' }));
        $('#cust-email', el).focus();
    },
    onEvent: debounce(() => { if (root && shownEmail) show(shownEmail, false).catch(() => {}); }, 300),
    leave() { root = null; shownEmail = null; },
};
