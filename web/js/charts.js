// Small SVG charts drawn by hand: a bar chart, load bars, a two-line chart.
// Each is an <svg role="img"> with an aria-label and a <title> that says
// what it shows in words, for screen readers.

import { s } from './dom.js';

// bars([{label, value}], {title}) -> vertical bar chart
export function barChart(items, { title = '', width = 420, height = 180 } = {}) {
    const pad = { l: 28, r: 8, t: 12, b: 34 };
    const max = Math.max(1, ...items.map(i => i.value));
    const w = (width - pad.l - pad.r) / Math.max(1, items.length);
    const y = v => pad.t + (height - pad.t - pad.b) * (1 - v / max);
    const label = `${title}: ` + items.map(i => `${i.label} ${i.value}`).join(', ');
    return s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart' },
        s('title', {}, label),
        axis(pad, width, height, max, y),
        items.map((it, i) => s('g', { 'data-label': it.label, 'data-value': it.value },
            s('rect', { x: pad.l + i * w + w * 0.15, y: y(it.value), width: w * 0.7,
                height: Math.max(0, height - pad.b - y(it.value)), class: 'bar', rx: 2 }),
            s('text', { x: pad.l + i * w + w / 2, y: y(it.value) - 3, class: 'val', 'text-anchor': 'middle' }, it.value),
            s('text', { x: pad.l + i * w + w / 2, y: height - pad.b + 14, class: 'lbl', 'text-anchor': 'middle' }, it.label))));
}

function axis(pad, width, height, max, y) {
    return s('g', { class: 'axis' },
        s('line', { x1: pad.l, y1: height - pad.b, x2: width - pad.r, y2: height - pad.b }),
        s('text', { x: pad.l - 4, y: y(max) + 4, 'text-anchor': 'end' }, max),
        s('text', { x: pad.l - 4, y: height - pad.b, 'text-anchor': 'end' }, 0));
}

// loadBars([{id, name, load, capacity, availability}]) -> one bar per agent
export function loadBars(agents, { width = 420 } = {}) {
    const row = 26, height = Math.max(row, agents.length * row) + 4, lw = 120;
    const label = 'Agent load against capacity: ' +
        agents.map(a => `${a.id} ${a.load} of ${a.capacity}`).join(', ');
    return s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart loadbars' },
        s('title', {}, label),
        agents.map((a, i) => {
            const cap = Math.max(1, Number(a.capacity) || 1), load = Number(a.load) || 0;
            const full = width - lw - 60, w = full * Math.min(1, load / cap);
            const cls = load >= cap ? 'bar full' : load / cap >= 0.8 ? 'bar high' : 'bar';
            return s('g', { 'data-agent': a.id, 'data-load': load, 'data-capacity': cap, transform: `translate(0 ${i * row})` },
                s('text', { x: 0, y: 17, class: `lbl av-${a.availability}` }, `${a.id}`),
                s('rect', { x: lw, y: 5, width: full, height: 14, class: 'track', rx: 3 }),
                s('rect', { x: lw, y: 5, width: w, height: 14, class: cls, rx: 3 }),
                s('text', { x: lw + full + 6, y: 17, class: 'val' }, `${load}/${cap}`));
        }));
}

// lineChart([{label, values: [n...], cls}], xLabels) -> lines over hours
export function lineChart(series, xLabels, { title = '', width = 420, height = 180 } = {}) {
    const pad = { l: 28, r: 8, t: 12, b: 28 };
    const max = Math.max(1, ...series.flatMap(sr => sr.values));
    const n = Math.max(2, xLabels.length);
    const x = i => pad.l + (width - pad.l - pad.r) * i / (n - 1);
    const y = v => pad.t + (height - pad.t - pad.b) * (1 - v / max);
    const label = `${title}: ` + series.map(sr => `${sr.label} ${sr.values.join(' ')}`).join('; ');
    return s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart' },
        s('title', {}, label),
        axis(pad, width, height, max, y),
        xLabels.map((l, i) => i % 2 === 0 ? s('text', { x: x(i), y: height - pad.b + 14, class: 'lbl', 'text-anchor': 'middle' }, l) : null),
        series.map(sr => s('g', { class: sr.cls, 'data-series': sr.label, 'data-values': sr.values.join(',') },
            s('polyline', { points: sr.values.map((v, i) => `${x(i)},${y(v)}`).join(' '), class: 'line' }),
            sr.values.map((v, i) => s('circle', { cx: x(i), cy: y(v), r: 2.5, class: 'dot' })))),
        series.map((sr, i) => s('g', { class: `legend ${sr.cls}`, transform: `translate(${pad.l + 8 + i * 90} ${pad.t})` },
            s('rect', { width: 10, height: 10, class: 'swatch' }),
            s('text', { x: 14, y: 9 }, sr.label))));
}
