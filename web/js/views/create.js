// Create a ticket. While the agent types, the classifier's category and
// urgency are shown (POST /classify, debounced); the agent may override
// them before creating.

import * as api from '../api.js';
import { h, mount, $, debounce, chip, priorityChip } from '../dom.js';
import { ctx } from '../context.js';
import { deskCategories } from './queues.js';

let root = null;
let classifySeq = 0;

async function classify() {
    if (!root) return;
    const text = `${$('#new-subject', root).value} ${$('#new-body', root).value}`.trim();
    const box = $('#new-classified', root);
    if (!text) { mount(box, h('span', { class: 'muted' }, 'Type a subject to see the classification.')); return; }
    const seq = ++classifySeq;
    try {
        const c = await api.post('/classify', { text });
        if (seq !== classifySeq || !root) return;   // a newer keystroke won
        box.dataset.category = c.category;
        box.dataset.label = c.label;
        mount(box, 'Classifier: ', chip(c.category, 'cat'), ' ',
            chip(`${c.label} urgency (${Number(c.urgency).toFixed(2)})`, `u-${c.label}`), ' ', priorityChip(c.priority));
    } catch (e) { if (seq === classifySeq) mount(box, h('span', { class: 'error' }, ctx.describe(e))); }
}

const classifySoon = debounce(classify, 250);

async function submit(ev) {
    ev.preventDefault();
    const f = ev.target, body = { subject: f.subject.value };
    if (f.body.value) body.body = f.body.value;
    if (f.category.value) body.category = f.category.value;
    if (f.priority.value) body.priority = Number(f.priority.value);
    if (f.customer.value) body.customer = f.customer.value;
    if (f.route.checked) body.route = true;
    $('#new-error', root).textContent = '';
    try {
        const t = await api.post('/tickets', body);
        const id = (t.ticket || t).id;
        ctx.toast(`Ticket ${id} created`);
        location.hash = `#/ticket/${id}`;
    } catch (e) { $('#new-error', root).textContent = ctx.describe(e); }
}

export default {
    title: 'New ticket',
    async render(el) {
        root = el;
        const cats = await deskCategories();
        mount(el, h('h1', {}, 'New ticket'),
            h('form', { class: 'card form', onsubmit: submit, id: 'new-form' },
                h('label', {}, 'Subject', h('input', { name: 'subject', id: 'new-subject', required: true, maxlength: 1024, oninput: classifySoon })),
                h('label', {}, 'Body', h('textarea', { name: 'body', id: 'new-body', rows: 5, oninput: classifySoon })),
                h('p', { id: 'new-classified', class: 'classified', 'aria-live': 'polite' }),
                h('div', { class: 'row' },
                    h('label', {}, 'Category', h('select', { name: 'category', id: 'new-category' },
                        h('option', { value: '' }, 'as classified'), cats.map(c => h('option', { value: c }, c)))),
                    h('label', {}, 'Priority', h('select', { name: 'priority', id: 'new-priority' },
                        h('option', { value: '' }, 'from urgency'), [20, 10, 5, 1].map(p => h('option', { value: p }, `P${p}`)))),
                    h('label', {}, 'Customer id', h('input', { name: 'customer', id: 'new-customer', inputmode: 'numeric', size: 8 })),
                    h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'route' }), ' route now')),
                h('p', { id: 'new-error', class: 'error', role: 'alert' }),
                h('button', { class: 'primary', type: 'submit' }, 'Create ticket')));
        classify();
        $('#new-subject', el).focus();
    },
    leave() { root = null; },
};
