// Keyboard shortcuts. Views register their keys while shown; the `?` overlay
// lists whatever is registered. Keys are ignored while typing in a field
// (except Escape), so replies and notes can contain any letter.

import { h, mount, $, $$ } from './dom.js';

const global = new Map();   // key -> {label, fn}
let local = new Map();      // the current view's keys
let selected = null;        // data-ticket-id of the j/k selection

export function bindGlobal(key, label, fn) { global.set(key, { label, fn }); }
export function bindView(map) { local = new Map(Object.entries(map || {})); selected = null; }
// Live refreshes rebuild lists; rows ask this to keep the selection.
export function isSelected(id) { return selected !== null && selected === String(id); }

function typing(el) {
    return el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

export function showHelp() {
    const rows = [];
    const add = (k, v) => rows.push(h('tr', {}, h('td', {}, h('kbd', {}, k)), h('td', {}, v.label)));
    for (const [k, v] of local) add(k, v);
    for (const [k, v] of global) add(k, v);
    add('j / k', { label: 'move down / up a list' });
    add('Enter', { label: 'open the selected ticket' });
    add('Esc', { label: 'leave a field, close a dialog' });
    add('?', { label: 'this list' });
    mount($('#help-keys'), rows);
    $('#help').showModal();
}

// j/k move a selection through the current view's ticket rows.
function moveSelection(delta) {
    const rows = $$('#view [data-ticket-id].row-item');
    if (!rows.length) return;
    let i = rows.findIndex(r => r.classList.contains('selected'));
    i = i < 0 ? (delta > 0 ? 0 : rows.length - 1) : Math.max(0, Math.min(rows.length - 1, i + delta));
    rows.forEach(r => { r.classList.remove('selected'); r.removeAttribute('aria-current'); });
    rows[i].classList.add('selected');
    rows[i].setAttribute('aria-current', 'true');
    rows[i].focus();
    selected = rows[i].dataset.ticketId;
}

function openSelection() {
    const row = $('#view [data-ticket-id].row-item.selected') || document.activeElement;
    if (row && row.dataset && row.dataset.ticketId) location.hash = `#/ticket/${row.dataset.ticketId}`;
}

export function installKeys() {
    document.addEventListener('keydown', ev => {
        if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
        if (ev.key === 'Escape' && typing(ev.target)) { ev.target.blur(); return; }
        if (typing(ev.target) || document.querySelector('dialog[open]')) return;
        const k = ev.key;
        let hit = local.get(k) || global.get(k);
        if (k === '?') hit = { fn: showHelp };
        else if (k === 'j') hit = { fn: () => moveSelection(1) };
        else if (k === 'k') hit = { fn: () => moveSelection(-1) };
        else if (k === 'Enter' && $('#view [data-ticket-id].row-item.selected')) hit = { fn: openSelection };
        if (!hit) return;
        ev.preventDefault();
        hit.fn(ev);
    });
}
