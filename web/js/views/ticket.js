// One ticket: its fields, status changes, close with a resolution, reassign,
// the log timeline, the chat thread (live from /events) with a reply box,
// and internal notes. Keys: r reply, i note, c close, a reassign, x take.

import * as api from '../api.js';
import { h, mount, $, chip, priorityChip, slaLeft, time, debounce } from '../dom.js';
import { ctx } from '../context.js';
import { eventTicket } from '../tickets.js';

const STATUSES = ['open', 'in_progress', 'on_hold'];
const FIELDS = ['status', 'priority', 'category', 'urgency', 'assigned_agent', 'user_id',
    'created_at', 'updated_at', 'sla_due_at', 'first_reply_due_at', 'first_reply_at',
    'next_reply_due_at', 'sla_breached', 'closed_at', 'master', 'version'];
const TIMES = new Set(['created_at', 'updated_at', 'sla_due_at', 'closed_at',
    'first_reply_due_at', 'first_reply_at', 'next_reply_due_at']);

let root = null, id = null, ticket = null;
let seen = new Set(), lastMsg = null;

function showError(e) {
    const box = root && $('#ticket-error', root);
    if (box) box.textContent = e ? ctx.describe(e) : '';
    if (e) ctx.toast(ctx.describe(e), 'error');
}

// Run a write; on success refresh the view, on failure show the refusal.
async function act(fn, ok) {
    showError(null);
    try { await fn(); if (ok) ctx.toast(ok); await loadTicket(); }
    catch (e) { showError(e); }
}

function fieldValue(name, v) {
    if (v === null || v === undefined || v === '') return h('span', { class: 'muted' }, '—');
    if (TIMES.has(name)) {
        const sla = name.endsWith('due_at') && !ticket.closed_at ? slaLeft(v) : null;
        return h('span', {}, time(v), sla ? h('span', { class: `sla ${sla.cls}` }, ` (${sla.text})`) : null);
    }
    if (name === 'status') return chip(v, `st-${v}`);
    if (name === 'priority') return priorityChip(v);
    if (name === 'urgency') return String(Math.round(Number(v) * 100) / 100);
    return String(v);
}

function renderHeader() {
    mount($('#ticket-head', root),
        h('a', { href: '#/mine', class: 'back' }, '← My tickets'),
        h('h1', { 'data-ticket-id': id },
            h('span', { class: 'tid' }, `#${id} `), h('span', { id: 'ticket-subject' }, ticket.subject ?? '')),
        h('p', { class: 'body' }, ticket.body ?? ''));
}

function renderFields() {
    mount($('#ticket-fields', root), h('dl', { class: 'fields' },
        FIELDS.filter(f => f in ticket).map(f => [h('dt', {}, f.replace(/_/g, ' ')),
            h('dd', { 'data-field': f }, fieldValue(f, ticket[f]))])));
}

function renderActions() {
    const active = ticket.status !== 'closed' && ticket.status !== 'merged';
    const sel = h('select', { id: 'status-select', 'aria-label': 'New status' },
        STATUSES.map(s => h('option', { value: s, selected: s === ticket.status }, s)));
    mount($('#ticket-actions', root),
        active ? [
            h('div', { class: 'row' }, sel,
                h('button', { id: 'status-apply', onclick: () => act(() => api.post(`/tickets/${id}/status`, { status: sel.value }), `Status set to ${sel.value}`) }, 'Set status')),
            h('div', { class: 'row' },
                h('button', { class: 'danger', id: 'close-button', onclick: openClose, 'aria-keyshortcuts': 'c' }, 'Close…'),
                h('button', { id: 'assign-button', onclick: openAssign, 'aria-keyshortcuts': 'a' }, 'Reassign…'),
                ticket.assigned_agent
                    ? h('button', { onclick: () => act(() => api.post(`/tickets/${id}/unassign`), 'Back in the queue') }, 'Unassign')
                    : h('button', { id: 'take-button', onclick: take, 'aria-keyshortcuts': 'x' }, 'Take'))]
            : h('div', { class: 'row' },
                h('button', { onclick: () => act(() => api.post(`/tickets/${id}/reopen`), 'Reopened') }, 'Reopen')));
}

function renderLog(entries) {
    mount($('#ticket-log', root), h('ol', { class: 'timeline', 'aria-label': 'Log' },
        entries.map(e => {
            const m = /^(\d+): ?(.*)$/s.exec(typeof e === 'string' ? e : `${e.at}: ${e.action ?? e.text}`);
            return h('li', {}, h('time', {}, m ? time(m[1]) : ''), ' ', h('span', {}, m ? m[2] : String(e)));
        })));
}

function messageItem(m) {
    const mine = m.sender === ctx.sender();
    return h('li', { class: `msg ${mine ? 'mine' : ''}`, 'data-message-id': m.id },
        h('div', { class: 'msg-head' }, h('strong', {}, m.sender ?? ''), ' ', h('time', {}, time(m.at))),
        h('div', { class: 'msg-text' }, m.text ?? ''));
}

function addMessages(list) {
    const ul = $('#chat-thread', root);
    if (!ul) return;
    for (const m of list) {
        if (seen.has(m.id)) continue;
        seen.add(m.id);
        lastMsg = m.id;
        ul.append(messageItem(m));
    }
    $('#chat-empty', root).hidden = seen.size > 0;
    ul.scrollTop = ul.scrollHeight;
}

// A load still in flight when the agent moved on finds another root (or
// none) when its answer comes, and drops it.
async function loadMessages() {
    const el = root, path = `/tickets/${id}/messages` + (lastMsg ? `?after=${api.q(lastMsg)}` : '');
    const list = api.listOf(await api.get(path), 'messages');
    if (root === el && el) addMessages(list);
}

async function loadTicket() {
    const el = root, tid = id;
    const [data, log] = await Promise.all([api.get(`/tickets/${tid}`), api.get(`/tickets/${tid}/log`)]);
    if (root !== el || !el) return;
    ticket = data.ticket || data;
    renderHeader(); renderFields(); renderActions();
    renderLog(api.listOf(log, 'log', 'entries'));
}

const refreshSoon = debounce(() => loadTicket().catch(showError), 120);
const messagesSoon = debounce(() => loadMessages().catch(showError), 50);

async function take() {
    await act(() => api.post(`/tickets/${id}/assign`, { agent: ctx.agentId }), `Assigned to ${ctx.agentId}`);
}

async function sendReply(ev) {
    ev.preventDefault();
    const box = $('#reply-text', root), text = box.value.trim();
    if (!text) return;
    showError(null);
    try {
        await api.post(`/tickets/${id}/messages`, { sender: ctx.sender(), text });
        box.value = '';
        await loadMessages();
    } catch (e) { showError(e); }
}

async function addNote(ev) {
    ev.preventDefault();
    const box = $('#note-text', root), text = box.value.trim();
    if (!text) return;
    await act(() => api.post(`/tickets/${id}/notes`, { text }), 'Note added');
    if (!$('#ticket-error', root).textContent) box.value = '';
}

function openClose() {
    const dlg = $('#close-dialog', root);
    $('#close-resolution', root).value = '';
    dlg.showModal();
    $('#close-resolution', root).focus();
}

async function confirmClose(ev) {
    ev.preventDefault();
    $('#close-dialog', root).close();
    const resolution = $('#close-resolution', root).value.trim();
    await act(() => api.post(`/tickets/${id}/close`, resolution ? { resolution } : {}), `Ticket ${id} closed`);
}

function openAssign() {
    mount($('#assign-agent', root), ctx.agents.map(a =>
        h('option', { value: a.id, selected: String(a.id) === ticket.assigned_agent },
            `${a.id} · ${a.name || ''} (${a.load}/${a.capacity}, ${a.availability})`)));
    $('#assign-dialog', root).showModal();
}

async function confirmAssign(ev) {
    ev.preventDefault();
    $('#assign-dialog', root).close();
    const agent = $('#assign-agent', root).value, force = $('#assign-force', root).checked;
    await act(() => api.post(`/tickets/${id}/assign`, force ? { agent, force: true } : { agent }), `Assigned to ${agent}`);
}

function dialogs() {
    return [
        h('dialog', { id: 'close-dialog', 'aria-labelledby': 'close-title' },
            h('form', { onsubmit: confirmClose },
                h('h2', { id: 'close-title' }, `Close ticket #${id}`),
                h('label', {}, 'Resolution', h('textarea', { id: 'close-resolution', rows: 3 })),
                h('div', { class: 'row' },
                    h('button', { class: 'danger', type: 'submit', id: 'close-confirm' }, 'Close ticket'),
                    h('button', { type: 'button', onclick: () => $('#close-dialog', root).close() }, 'Cancel')))),
        h('dialog', { id: 'assign-dialog', 'aria-labelledby': 'assign-title' },
            h('form', { onsubmit: confirmAssign },
                h('h2', { id: 'assign-title' }, `Reassign ticket #${id}`),
                h('label', {}, 'Agent', h('select', { id: 'assign-agent' })),
                h('label', { class: 'inline' }, h('input', { type: 'checkbox', id: 'assign-force' }),
                    ' Force (skip availability, capacity and skill checks)'),
                h('div', { class: 'row' },
                    h('button', { class: 'primary', type: 'submit' }, 'Reassign'),
                    h('button', { type: 'button', onclick: () => $('#assign-dialog', root).close() }, 'Cancel')))),
    ];
}

export default {
    title: 'Ticket',
    keys: () => ({
        r: { label: 'reply to the customer', fn: () => $('#reply-text', root)?.focus() },
        i: { label: 'write an internal note', fn: () => $('#note-text', root)?.focus() },
        c: { label: 'close the ticket', fn: () => ticket && $('#close-button', root) && openClose() },
        a: { label: 'reassign', fn: () => ticket && $('#assign-button', root) && openAssign() },
        x: { label: 'take the ticket', fn: () => $('#take-button', root) && take() },
    }),
    async render(el, args) {
        root = el; id = args[0]; ticket = null; seen = new Set(); lastMsg = null;
        mount(el,
            h('article', { class: 'ticket', 'data-ticket-id': id, 'aria-labelledby': 'ticket-subject' },
                h('div', { id: 'ticket-head' }),
                h('p', { id: 'ticket-error', class: 'error', role: 'alert' }),
                h('div', { class: 'ticket-grid' },
                    h('section', { class: 'chat', 'aria-label': 'Conversation' },
                        h('h2', {}, 'Conversation'),
                        h('p', { id: 'chat-empty', class: 'empty' }, 'No messages yet.'),
                        h('ul', { id: 'chat-thread', class: 'thread', 'aria-live': 'polite' }),
                        h('form', { class: 'reply', onsubmit: sendReply },
                            h('label', { for: 'reply-text' }, 'Reply to the customer (r)'),
                            h('textarea', { id: 'reply-text', rows: 3, onkeydown: ev => { if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) sendReply(ev); } }),
                            h('button', { class: 'primary', type: 'submit', id: 'reply-send' }, 'Send reply')),
                        h('form', { class: 'note', onsubmit: addNote },
                            h('label', { for: 'note-text' }, 'Internal note (i), not shown to the customer'),
                            h('textarea', { id: 'note-text', rows: 2 }),
                            h('button', { type: 'submit', id: 'note-send' }, 'Add note'))),
                    h('aside', { class: 'side' },
                        h('section', { 'aria-label': 'Actions', id: 'ticket-actions', class: 'card' }),
                        h('section', { 'aria-label': 'Fields', id: 'ticket-fields', class: 'card' }),
                        h('section', { 'aria-label': 'Timeline', class: 'card' }, h('h2', {}, 'Timeline'), h('div', { id: 'ticket-log' }))))),
            dialogs());
        await loadTicket();
        await loadMessages();
    },
    refresh() { refreshSoon(); messagesSoon(); },
    onEvent(type, data) {
        if (eventTicket(data) !== id) return;
        if (type === 'message') messagesSoon();
        else refreshSoon();
    },
    leave() { root = null; },
};
