// Ticket rows shared by the lists (my tickets, queues, customer tickets).
// Each row carries data-ticket-id, opens the ticket on click or Enter, and
// is a stop for j/k navigation.

import { h, chip, priorityChip, slaLeft } from './dom.js';
import * as api from './api.js';
import { isSelected } from './keys.js';

export function ticketId(t) {
    return String(t.id ?? t.ticket ?? t).replace(/^ticket:/, '');
}

export function ticketRow(t, opts = {}) {
    const id = ticketId(t);
    const sla = t.sla_due_at ? slaLeft(t.sla_due_at) : null;
    const sel = isSelected(id);
    return h('li', {
        class: sel ? 'row-item selected' : 'row-item', tabindex: '0', 'data-ticket-id': id,
        'aria-current': sel ? 'true' : null,
        'aria-label': `Ticket ${id}: ${t.subject ?? ''}`,
        onclick: () => { location.hash = `#/ticket/${id}`; },
        onkeydown: ev => { if (ev.key === 'Enter') location.hash = `#/ticket/${id}`; },
    },
    h('span', { class: 'tid' }, `#${id}`),
    priorityChip(t.priority),
    h('span', { class: 'subject' }, t.subject ?? ''),
    h('span', { class: 'meta' },
        t.status ? chip(t.status, `st-${t.status}`) : null,
        t.category ? chip(t.category, 'cat') : null,
        opts.showAgent ? chip(t.assigned_agent || 'unassigned', t.assigned_agent ? 'agent' : 'unassigned') : null,
        sla ? h('span', { class: `sla ${sla.cls}` }, sla.text) : null));
}

export function ticketList(tickets, opts = {}) {
    if (!tickets.length) return h('p', { class: 'empty' }, opts.empty || 'No tickets.');
    return h('ul', { class: 'list', 'aria-label': opts.label || 'Tickets' }, tickets.map(t => ticketRow(t, opts)));
}

// Full tickets for a list of ids (lists from AGENT.TICKETS and CUSTOMER.TICKETS
// lack the SLA fields); a ticket deleted meanwhile is left out.
export async function fetchTickets(ids) {
    const got = await Promise.all(ids.map(id =>
        api.get(`/tickets/${api.q(ticketId(id))}`).catch(() => null)));
    return got.filter(Boolean).map(t => t.ticket || t);
}

// Most urgent first: priority, then the earliest SLA due time, then age.
export function byUrgency(a, b) {
    return (Number(b.priority) - Number(a.priority)) ||
        ((Number(a.sla_due_at) || Infinity) - (Number(b.sla_due_at) || Infinity)) ||
        (Number(a.id) - Number(b.id));
}

// The id of the ticket an event is about, as a string ('' if none).
export function eventTicket(data) {
    return data && data.ticket !== undefined ? String(data.ticket).replace(/^ticket:/, '') : '';
}
