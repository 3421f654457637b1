// DOM helpers. Every piece of data reaches the page through text nodes or
// attribute values set with setAttribute, never through innerHTML, so a
// subject such as <img src=x onerror=alert(1)> is shown as text.

// h('div', {class: 'x', onclick: fn}, 'text', childNode, [more]) -> Element
export function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === undefined || v === null || v === false) continue;
        if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (k === 'dataset') Object.assign(el.dataset, v);
        else if (k === 'value') el.value = v;
        else el.setAttribute(k, v === true ? '' : String(v));
    }
    append(el, children);
    return el;
}

function append(el, children) {
    for (const c of children.flat(Infinity)) {
        if (c === undefined || c === null || c === false) continue;
        el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
}

// SVG elements need their namespace; same contract as h().
const SVGNS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v !== undefined && v !== null) el.setAttribute(k, String(v));
    }
    append(el, children);
    return el;
}

// Replace the children of el.
export function mount(el, ...children) {
    el.replaceChildren();
    append(el, children);
    return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// "3h 20m", "45s": compact durations for SLA clocks.
export function duration(ms) {
    const a = Math.abs(ms), sec = Math.floor(a / 1000);
    if (a < 1000) return `${Math.round(a)} ms`;
    const d = Math.floor(sec / 86400), hr = Math.floor(sec / 3600) % 24;
    const m = Math.floor(sec / 60) % 60, ss = sec % 60;
    if (d) return `${d}d ${hr}h`;
    if (hr) return `${hr}h ${m}m`;
    if (m) return `${m}m`;
    return `${ss}s`;
}

// SLA time left as text plus a class for its colour.
export function slaLeft(dueAt, now = Date.now()) {
    if (!dueAt) return { text: 'no SLA', cls: 'sla-none' };
    const left = Number(dueAt) - now;
    if (left < 0) return { text: `overdue ${duration(left)}`, cls: 'sla-over' };
    return { text: `${duration(left)} left`, cls: left < 3600e3 ? 'sla-soon' : 'sla-ok' };
}

export function time(ms) {
    if (!ms) return '';
    const d = new Date(Number(ms));
    return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// Calls fn at most once per `wait` ms, after the last call (live refreshes).
export function debounce(fn, wait) {
    let t = null;
    return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), wait); };
}

// A status chip, a priority chip: small labelled spans.
export function chip(text, cls) {
    return h('span', { class: `chip ${cls || ''}` }, text);
}

export function priorityChip(p) {
    const n = Number(p) || 0;
    const cls = n >= 20 ? 'p-urgent' : n >= 10 ? 'p-high' : n >= 5 ? 'p-normal' : 'p-low';
    return h('span', { class: `chip ${cls}`, title: `priority ${n}` }, `P${n}`);
}
