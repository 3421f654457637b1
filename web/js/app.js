// Console entry point: sign-in, the header (acting agent, availability,
// sign-out), the connection banner, toasts and the hash router that shows
// one view at a time. Views live in js/views/, one file each.

import * as api from './api.js';
import * as events from './events.js';
import { h, mount, $ } from './dom.js';
import { installKeys, bindGlobal, bindView } from './keys.js';
import { ctx } from './context.js';
import mine, { nextFromAnywhere, onMine } from './views/mine.js';
import ticket from './views/ticket.js';
import queues from './views/queues.js';
import dashboard from './views/dashboard.js';
import customers from './views/customers.js';
import create from './views/create.js';
import settings from './views/settings.js';

const routes = { mine, ticket, queues, dashboard, customers, new: create, settings };
let current = null;

// ---- toasts and banner ------------------------------------------------------

function toast(text, kind = 'info') {
    const t = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
    $('#toasts').append(t);
    setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

let apiDown = false;
function updateBanner() {
    const down = apiDown || !events.isConnected();
    $('#banner').hidden = !down;
    document.body.classList.toggle('offline', down);
}

// ---- router -------------------------------------------------------------------

function parseHash() {
    const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
    return { name: parts[0] || ctx.home(), args: parts.slice(1).map(decodeURIComponent) };
}

async function route() {
    const { name, args } = parseHash();
    const view = routes[name] || routes[ctx.home()];
    if (current && current.leave) current.leave();
    current = view;
    for (const a of document.querySelectorAll('#nav a')) {
        const on = a.getAttribute('href') === `#/${name}`;
        if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    // Each visit renders into a fresh container: a slow request of the view
    // left behind then writes into a detached node, never over the new view.
    const root = $('#view'), box = h('div', { class: 'view-body' });
    mount(root, box);
    root.dataset.view = name;
    bindView(view.keys ? view.keys(args) : {});
    document.title = `${view.title || name} · helpdesk`;
    try { await view.render(box, args); }
    catch (e) { if (box.isConnected) mount(box, h('p', { class: 'error', role: 'alert' }, describe(e))); }
}

export function describe(e) {
    return e && e.code ? `${e.code}: ${e.message}` : String(e && e.message || e);
}

// ---- header -------------------------------------------------------------------

async function loadAgents() {
    try { ctx.agents = api.listOf(await api.get('/agents'), 'agents'); }
    catch { ctx.agents = []; }
    const sel = $('#act-as');
    const ids = ctx.agents.map(a => String(a.id));
    // A signed-in agent acts as itself; admins (and the gateway's user) pick one.
    if (ctx.user && ids.includes(ctx.user)) ctx.agentId = ctx.user;
    else if (!ids.includes(ctx.agentId)) ctx.agentId = sessionStorage.getItem('helpdesk.actAs') || ids[0] || null;
    mount(sel, ctx.agents.map(a => h('option', { value: a.id }, `${a.id} · ${a.name || ''}`)),
        ids.length ? null : h('option', { value: '' }, 'no agents'));
    sel.value = ctx.agentId || '';
    sel.disabled = Boolean(ctx.user && ids.includes(ctx.user));
    const me = ctx.agents.find(a => String(a.id) === ctx.agentId);
    $('#availability').value = me ? me.availability : 'online';
    $('#availability').disabled = !me;
}

function wireHeader() {
    $('#act-as').addEventListener('change', ev => {
        ctx.agentId = ev.target.value;
        sessionStorage.setItem('helpdesk.actAs', ctx.agentId);
        loadAgents().then(route);
    });
    $('#availability').addEventListener('change', async ev => {
        const value = ev.target.value;
        try {
            await api.put(`/agents/${api.q(ctx.agentId)}/availability`, { availability: value });
            toast(`${ctx.agentId} is now ${value}`);
        } catch (e) { toast(describe(e), 'error'); await loadAgents(); }
    });
    $('#signout').addEventListener('click', signOut);
    $('#help-button').addEventListener('click', () => import('./keys.js').then(k => k.showHelp()));
}

async function signOut() {
    events.disconnect();
    // Only a signed-in console has a session to end (a DELETE without one
    // would only earn a 401).
    if (api.signedIn()) {
        try { await api.signOut(); } catch (e) { /* the cookie expires anyway */ }
    }
    sessionStorage.removeItem('helpdesk.actAs');
    sessionStorage.removeItem('helpdesk.anon');
    ctx.user = null;
    location.hash = '';
    location.reload();
}

// ---- sign-in ------------------------------------------------------------------

function showSignin(why) {
    events.disconnect();
    $('#signin-error').textContent = why || '';
    $('#app').hidden = true;
    $('#signin').hidden = false;
    $('#signin-desk').value = sessionStorage.getItem('helpdesk.desk') || 'help';
    $('#signin-user').focus();
}

function wireSignin() {
    $('#signin-form').addEventListener('submit', async ev => {
        ev.preventDefault();
        const f = ev.target;
        $('#signin-error').textContent = '';
        chooseDesk(f.desk.value);
        try {
            ctx.user = await api.signIn(f.user.value, f.password.value);
            f.password.value = '';
            await start();
        } catch (e) { $('#signin-error').textContent = describe(e); }
    });
    $('#signin-anon').addEventListener('click', async () => {
        chooseDesk($('#signin-desk').value);
        ctx.user = null;
        sessionStorage.setItem('helpdesk.anon', '1');
        await start();
    });
}

function chooseDesk(name) {
    api.setDesk(name || 'help');
    sessionStorage.setItem('helpdesk.desk', api.getDesk());
}

async function start() {
    $('#signin').hidden = true;
    $('#app').hidden = false;
    $('#desk-name').textContent = api.getDesk();
    $('#user-name').textContent = ctx.user ? `signed in as ${ctx.user}` : "as the gateway's user";
    $('#signout').textContent = ctx.user ? 'Sign out' : 'Sign in';
    await loadAgents();
    events.connect();
    if (!location.hash) location.hash = `#/${ctx.home()}`;
    await route();
}

// ---- boot ---------------------------------------------------------------------

function wireLive() {
    api.onSessionLost(() => showSignin('Your session has ended (signed out elsewhere, expired, or the gateway restarted). Sign in again.'));
    api.onConnectivity(up => { apiDown = !up; updateBanner(); });
    events.onStreamState(updateBanner);
    // Replayed and live events go to the view on screen; agent changes to the header.
    events.onEvent((type, data) => {
        if (current && current.onEvent) current.onEvent(type, data);
        if (type === 'assigned' || type === 'unassigned' || type === 'closed') refreshAgentsSoon();
    });
    // After a reconnect, refresh once so lists match even beyond the replay.
    let opened = false;
    events.onOpen(() => {
        apiDown = false;
        updateBanner();
        if (opened && current && current.refresh) current.refresh();
        opened = true;
    });
}

let agentsTimer = null;
function refreshAgentsSoon() {
    clearTimeout(agentsTimer);
    agentsTimer = setTimeout(loadAgents, 300);
}

async function boot() {
    ctx.toast = toast;
    ctx.describe = describe;
    installKeys();
    bindGlobal('n', 'take the next ticket', nextFromAnywhere);
    bindGlobal('w', 'wait for the next ticket', () => onMine('wait'));
    bindGlobal('b', 'claim a batch of tickets', () => onMine('claim'));
    bindGlobal('m', 'my tickets', () => { location.hash = '#/mine'; });
    bindGlobal('q', 'queues', () => { location.hash = '#/queues'; });
    bindGlobal('d', 'dashboard', () => { location.hash = '#/dashboard'; });
    bindGlobal('u', 'customer lookup', () => { location.hash = '#/customers'; });
    bindGlobal('t', 'new ticket', () => { location.hash = '#/new'; });
    bindGlobal('s', 'desk settings', () => { location.hash = '#/settings'; });
    wireHeader();
    wireSignin();
    wireLive();
    window.addEventListener('hashchange', () => { if (!$('#app').hidden) route(); });
    chooseDesk(sessionStorage.getItem('helpdesk.desk') || 'help');
    const resumed = await api.resumeSession();
    if (resumed) { ctx.user = resumed; await start(); }
    else if (sessionStorage.getItem('helpdesk.anon')) { await start(); }
    else showSignin();
}

boot();
