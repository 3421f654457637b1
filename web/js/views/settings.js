// Desk settings (DESK.CONFIG through GET|PUT /config). Each changed field is
// saved on its own, so a validation error can be shown next to the field
// that caused it while the others still save.

import * as api from '../api.js';
import { h, mount, $, $$ } from '../dom.js';
import { ctx } from '../context.js';

let root = null;
const HELP = {
    'alert-threshold': 'urgency 0–1 from which a ticket is announced',
    'flood-window': 'seconds (1–86400)',
    'flood-threshold': 'near-identical tickets that open an incident; 0 = off',
    'default-capacity': 'tickets a new agent may hold',
    'auto-route': 'yes / no',
    'events-maxlen': 'event stream length; 0 = off',
    'chat-maxlen': 'messages kept per ticket',
    'state-ttl': 'seconds',
    'state-history-max': 'entries',
    categories: 'comma-separated; general is always added',
};

function fieldId(name) { return `cfg-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`; }

function fieldRow(name, value) {
    const id = fieldId(name);
    return h('div', { class: 'field', 'data-setting': name },
        h('label', { for: id }, name),
        h('input', { id, name, value: String(value ?? ''), 'data-initial': String(value ?? ''),
            'aria-describedby': `${id}-help ${id}-error` }),
        h('small', { id: `${id}-help`, class: 'muted' }, HELP[name] || ''),
        h('span', { id: `${id}-error`, class: 'error field-error', role: 'alert' }));
}

async function load() {
    const data = await api.get('/config');
    const cfg = data.config || data;
    mount($('#cfg-fields', root), Object.keys(cfg).sort().map(k => fieldRow(k, cfg[k])));
}

async function save(ev) {
    ev.preventDefault();
    let saved = 0, failed = 0;
    for (const input of $$('#cfg-fields input', root)) {
        if (input.value === input.dataset.initial) continue;
        const err = $(`#${input.id}-error`, root);
        err.textContent = '';
        input.removeAttribute('aria-invalid');
        try {
            await api.put('/config', { name: input.name, value: input.value });
            input.dataset.initial = input.value;
            saved++;
        } catch (e) {
            err.textContent = ctx.describe(e);
            input.setAttribute('aria-invalid', 'true');
            failed++;
        }
    }
    ctx.toast(failed ? `${saved} saved, ${failed} refused` : saved ? `${saved} setting(s) saved` : 'Nothing changed',
        failed ? 'error' : 'info');
}

export default {
    title: 'Settings',
    async render(el) {
        root = el;
        mount(el, h('h1', {}, 'Desk settings'),
            h('form', { class: 'card form settings', onsubmit: save, novalidate: true },
                h('div', { id: 'cfg-fields', class: 'cfg-fields' }),
                h('button', { class: 'primary', type: 'submit', id: 'cfg-save' }, 'Save changes')));
        await load();
    },
    leave() { root = null; },
};
