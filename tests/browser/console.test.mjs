// Browser scenarios of the web console (run by tests/test_browser.sh, which
// starts redis-server, the gateway and the ACL users boss / A201..A203).
// Every wait is a poll with a deadline; nothing sleeps for a fixed time.

import { BASE, redis, rjson, ticketField, check, summary, assert, until, launch, newPage,
    signIn, asGatewayUser, go, shot, stopGateway, startGateway, watch } from './lib.mjs';

const XSS = '<img src=x onerror=alert(1)>';
const create = (...args) => redis('TICKET.CREATE', 'help', ...args);
const rowSel = id => `[data-ticket-id="${id}"]`;
// DESK.CONFIG GET D name (SPEC); older builds took DESK.CONFIG D GET name.
function cfgGet(name) {
    const v = redis('DESK.CONFIG', 'GET', 'help', name);
    return v.startsWith('ERR') ? redis('DESK.CONFIG', 'help', 'GET', name) : v;
}

const browser = await launch();
const tRefund = create('Refund not received for order 1182', 'BODY', 'I was charged twice.',
    'CUSTOMER', 1, 'CATEGORY', 'billing', 'PRIORITY', 10);
// legal: only A203 serves it, so it stays queued for the queue checks below.
const tXss = create(XSS, 'CATEGORY', 'legal', 'PRIORITY', 1, 'CUSTOMER', 1);

const maria = await newPage(browser);   // agent A201
const tom = await newPage(browser);     // agent A202
const boss = await newPage(browser);    // desk admin
watch({ maria, tom, boss });

await check('agent signs in; no token in storage, URL or document.cookie', async () => {
    await signIn(maria, 'A201', 'A201-pw');
    await until(() => maria.$('#view[data-view="mine"]'), 8000, 'lands on My tickets');
    const leak = await maria.evaluate(async () => {
        const s = await (await fetch('/v1/session')).json();
        const t = s.csrf_token;
        const stores = [localStorage, sessionStorage].flatMap(st =>
            Object.keys(st).map(k => `${k}=${st.getItem(k)}`)).join(' ');
        return { hasToken: Boolean(t), local: localStorage.length,
            inStore: stores.includes(t), inUrl: location.href.includes(t), cookie: document.cookie };
    });
    assert(leak.hasToken, 'GET /v1/session gave no token');
    assert(leak.local === 0, `localStorage has ${leak.local} items`);
    assert(!leak.inStore && !leak.inUrl, 'the CSRF token is in web storage or the URL');
    assert(leak.cookie === '', `document.cookie shows "${leak.cookie}" (session cookie must be HttpOnly)`);
    const cookies = await maria.context().cookies();
    assert(cookies.length >= 1 && cookies.every(c => c.httpOnly && c.sameSite === 'Strict'),
        `cookies not HttpOnly/Strict: ${JSON.stringify(cookies)}`);
});

await check('Next ticket (n) assigns the most urgent fitting ticket and opens it', async () => {
    await maria.keyboard.press('n');
    await until(() => maria.$(`article.ticket${rowSel(tRefund)}`), 8000, 'ticket view of the refund ticket');
    assert(ticketField(tRefund, 'assigned_agent') === 'A201', 'not assigned to A201 in Redis');
    await until(() => maria.$eval('#ticket-subject', e => e.textContent === 'Refund not received for order 1182'),
        2000, 'subject shown');
});

await check("a second context sees the agent's reply within 2 seconds", async () => {
    await signIn(boss, 'boss', 'boss-pw');
    await go(boss, `#/ticket/${tRefund}`);
    await boss.waitForSelector(`article${rowSel(tRefund)}`);
    const text = `We refunded you today (${Date.now()}).`;
    await maria.keyboard.press('r');
    assert(await maria.evaluate(() => document.activeElement.id) === 'reply-text', 'r did not focus the reply box');
    await maria.keyboard.type(text);
    const t0 = Date.now();
    await maria.click('#reply-send');
    await until(() => boss.$$eval('#chat-thread .msg-text', els => els.map(e => e.textContent)).then(
        l => l.includes(text)), 2000 - (Date.now() - t0), 'reply visible in the admin context');
    const msgs = rjson('TICKET.MSGS', 'help', tRefund);
    assert(msgs.some(m => m.text === text && m.sender === 'A201'), 'the reply is not in TICKET.MSGS as A201');
    await shot(maria, 'agent-ticket');
});

await check("an agent cannot close another agent's ticket and sees the refusal", async () => {
    await signIn(tom, 'A202', 'A202-pw');
    await go(tom, `#/ticket/${tRefund}`);
    await tom.waitForSelector('#close-button');
    await tom.keyboard.press('c');
    await tom.fill('#close-resolution', 'not mine');
    await tom.click('#close-confirm');
    const msg = await until(() => tom.$eval('#ticket-error', e => e.textContent), 8000, 'refusal shown');
    assert(/DENIED|403/.test(msg), `refusal text: ${msg}`);
    assert(ticketField(tRefund, 'status') !== 'closed', 'the ticket was closed anyway');
    await shot(tom, 'agent-refused');
});

await check('an XSS subject is shown as text', async () => {
    await go(boss, '#/queues');
    const txt = await until(() => boss.$eval(`#queue-open ${rowSel(tXss)} .subject`, e => e.textContent), 8000, 'row');
    assert(txt === XSS, `subject shown as "${txt}"`);
    assert(await boss.$$eval('#view img', l => l.length) === 0, 'an <img> was injected');
    await go(boss, `#/ticket/${tXss}`);
    await until(() => boss.$eval('#ticket-subject', (e, x) => e.textContent === x, XSS), 8000, 'ticket subject as text');
    assert(boss.alerts.length === 0 && maria.alerts.length === 0, `alert() ran: ${boss.alerts}`);
});

await check('every ticket shown carries data-ticket-id', async () => {
    await go(boss, '#/queues');
    await boss.waitForSelector(`#queue-open ${rowSel(tXss)}`);
    const { rows, tagged } = await boss.$$eval('#view .row-item', l => ({ rows: l.length,
        tagged: l.filter(e => /^\d+$/.test(e.dataset.ticketId)).length }));
    assert(rows > 0 && rows === tagged, `${tagged} of ${rows} rows carry data-ticket-id`);
});

await check('a ticket created through redis-cli appears in the open queue without reload', async () => {
    await go(boss, '#/queues');
    await boss.evaluate(() => { window.__noReload = 1; });
    const id = create('Printer on fire in the warehouse', 'CATEGORY', 'technical', 'PRIORITY', 5);
    await until(() => boss.$(`#queue-open ${rowSel(id)}`), 8000, `row of ticket ${id}`);
    assert(await boss.evaluate(() => window.__noReload) === 1, 'the page reloaded');
    await shot(boss, 'queues');
});

await check('Wait for next shows a waiting state and opens the ticket when it arrives', async () => {
    await go(tom, '#/mine');
    await tom.waitForSelector('#mine-next');
    await tom.keyboard.press('w');
    await tom.waitForSelector('#mine-waiting:not([hidden])', { timeout: 8000 });
    await until(() => /helpdesk_blocked_next_waiters:1/.test(redis('INFO', 'helpdesk')), 8000, 'NEXT is blocked in Redis');
    await shot(tom, 'agent-waiting');
    const id = create('Parcel lost between depots', 'CATEGORY', 'shipping', 'PRIORITY', 5);
    await until(() => tom.$(`article.ticket${rowSel(id)}`), 8000, 'opened the arriving ticket');
    assert(ticketField(id, 'assigned_agent') === 'A202', 'not assigned to A202');
});

await check('Claim batch (b) tops the agent up and lists its tickets, most urgent first', async () => {
    create('Return label missing', 'CATEGORY', 'returns', 'PRIORITY', 1);
    create('Wrong size delivered', 'CATEGORY', 'returns', 'PRIORITY', 10);
    await go(tom, '#/mine');
    await tom.waitForSelector('#mine-claim');
    await tom.keyboard.press('b');
    const want = rjson('AGENT.TICKETS', 'help', 'A202').map(t => String(t.id));
    assert(want.length === 3, `A202 holds ${want.length} tickets`);
    const got = await until(async () => {
        const ids = await tom.$$eval('#mine-list [data-ticket-id]', l => l.map(e => e.dataset.ticketId));
        return ids.length === want.length && ids;
    }, 8000, 'list of 3');
    const prios = got.map(id => Number(ticketField(id, 'priority')));
    assert(prios.every((p, i) => i === 0 || prios[i - 1] >= p), `not most urgent first: ${prios}`);
    assert(await tom.$$eval('#mine-list .sla', l => l.every(e => /left|overdue/.test(e.textContent))), 'SLA time left missing');
    await shot(tom, 'agent-mine');
});

await check('keyboard: j/k move through the list, Enter opens, ? shows the shortcuts', async () => {
    await go(tom, '#/mine');
    const n = rjson('AGENT.TICKETS', 'help', 'A202').length;
    await until(() => tom.$$eval('#mine-list [data-ticket-id]', l => l.length).then(k => k === n), 8000, `${n} rows`);
    await tom.keyboard.press('j'); await tom.keyboard.press('j'); await tom.keyboard.press('k');
    const sel = await tom.$$eval('#mine-list .row-item', l => l.findIndex(e => e.classList.contains('selected')));
    assert(sel === 0, `selection at ${sel} after j j k`);
    const id = await tom.$eval('#mine-list .row-item.selected', e => e.dataset.ticketId);
    await tom.keyboard.press('Enter');
    await until(() => tom.$(`article.ticket${rowSel(id)}`), 8000, 'Enter opened the selected ticket');
    await tom.keyboard.press('?');
    await tom.waitForSelector('#help[open]');
    const help = await tom.$eval('#help', e => e.textContent);
    for (const k of ['reply', 'close', 'next ticket', 'j / k']) assert(help.includes(k), `help lacks "${k}"`);
    await shot(tom, 'help');
    await tom.keyboard.press('Escape');
    await until(() => tom.$('#help:not([open])'), 2000, 'help closes');
});

await check('status change, internal note and close with a resolution', async () => {
    const id = rjson('AGENT.TICKETS', 'help', 'A202')[0].id;
    await go(tom, `#/ticket/${id}`);
    await tom.waitForSelector('#status-select');
    await tom.selectOption('#status-select', 'in_progress');
    await tom.click('#status-apply');
    await until(() => ticketField(id, 'status') === 'in_progress', 8000, 'status in_progress');
    await tom.keyboard.press('i');
    await tom.keyboard.type('customer is a VIP');
    await tom.click('#note-send');
    await until(() => redis('TICKET.LOG', 'help', id).includes('customer is a VIP'), 8000, 'note in the log');
    await until(() => tom.$eval('#ticket-log', e => e.textContent.includes('customer is a VIP')), 8000, 'note in the timeline');
    await tom.keyboard.press('c');
    await tom.fill('#close-resolution', 'sent a replacement');
    await tom.click('#close-confirm');
    await until(() => ticketField(id, 'status') === 'closed', 8000, 'closed in Redis');
    await until(() => tom.$eval('#ticket-fields [data-field="status"]', e => e.textContent === 'closed'), 8000, 'closed on screen');
});

await check('an admin reassigns a ticket', async () => {
    const id = rjson('AGENT.TICKETS', 'help', 'A202')[0].id;
    await go(boss, `#/ticket/${id}`);
    await boss.waitForSelector('#assign-button');
    await boss.keyboard.press('a');
    await boss.selectOption('#assign-agent', 'A203');
    await boss.check('#assign-force');
    await boss.click('#assign-dialog button[type=submit]');
    await until(() => ticketField(id, 'assigned_agent') === 'A203', 8000, 'assigned to A203');
});

await check('availability online/away/offline', async () => {
    await maria.selectOption('#availability', 'away');
    await until(() => rjson('AGENT.GET', 'help', 'A201').availability === 'away', 8000, 'A201 away');
    await maria.selectOption('#availability', 'online');
    await until(() => rjson('AGENT.GET', 'help', 'A201').availability === 'online', 8000, 'A201 online');
});

await check('My tickets follows live: a ticket assigned through redis-cli appears', async () => {
    await go(maria, '#/mine');
    await maria.waitForSelector('#mine-list');
    await maria.evaluate(() => { window.__noReload = 1; });
    const id = create('Chargeback notice from the bank', 'CATEGORY', 'billing', 'PRIORITY', 20);
    redis('TICKET.ASSIGN', 'help', id, 'A201');
    await until(() => maria.$(`#mine-list ${rowSel(id)}`), 8000, `row of ticket ${id}`);
    const first = await maria.$eval('#mine-list .row-item', e => e.dataset.ticketId);
    assert(first === id, `the P20 ticket is not first (first: ${first})`);
    assert(await maria.evaluate(() => window.__noReload) === 1, 'the page reloaded');
});

await check("the dashboard's numbers match DESK.STATS after a scripted workload", async () => {
    await go(boss, '#/dashboard');
    await boss.waitForSelector('[data-stat="status.open"]');
    // The workload runs while the dashboard is open: it must follow live.
    const ids = ['billing', 'technical', 'account', 'legal', 'shipping', 'general', 'billing']
        .map((c, i) => create(`Workload ticket ${i}`, 'CATEGORY', c, 'PRIORITY', [1, 5, 10, 20][i % 4]));
    redis('TICKET.CLAIM', 'help', 'A203', 'COUNT', 3);
    redis('TICKET.CLOSE', 'help', ids[0], 'RESOLUTION', 'done');
    redis('TICKET.STATUS', 'help', ids[1], 'on_hold');
    redis('TICKET.UPDATE', 'help', ids[2], 'sla_due_at', 1000);
    const st = rjson('DESK.STATS', 'help');
    const want = { unassigned: st.unassigned, overdue: st.overdue,
        agents_online: `${st.agents_online}/${st.agents}`, total_load: `${st.total_load}/${st.total_capacity}` };
    for (const [k, v] of Object.entries(st.status)) want[`status.${k}`] = v;
    for (const [k, v] of Object.entries(st.category)) want[`category.${k}`] = v;
    const seen = await until(async () => {
        const got = await boss.$$eval('[data-stat]', l => Object.fromEntries(l.map(e =>
            [e.dataset.stat, (e.querySelector('.tile-value') || e).textContent])));
        const bad = Object.entries(want).filter(([k, v]) => got[k] !== String(v));
        return bad.length === 0 ? got : null;
    }, 8000, `dashboard equals DESK.STATS ${JSON.stringify(want)}`);
    assert(seen['overdue'] === String(st.overdue) && st.overdue >= 1, 'overdue not shown');
    const active = rjson('TICKET.PEEK', 'help', 'COUNT', 1000).length;
    const bars = await boss.$$eval('#dash-open-chart [data-value]', l => l.reduce((n, e) => n + Number(e.dataset.value), 0));
    assert(bars === active, `open-by-category bars sum to ${bars}, PEEK has ${active}`);
    const loads = await boss.$$eval('#dash-load [data-agent]', l => l.map(e => `${e.dataset.agent}:${e.dataset.load}`).sort());
    const agents = rjson('AGENT.LIST', 'help').map(a => `${a.id}:${a.load}`).sort();
    assert(JSON.stringify(loads) === JSON.stringify(agents), `load bars ${loads} vs ${agents}`);
    // The hourly line counts the desk's created/closed events of the last 12 hours.
    const first = Date.now() - Date.now() % 3600e3 - 11 * 3600e3;
    const evs = rjson('XRANGE', 'help:events', `${first}-0`, '+');
    const count = t => evs.filter(([, f]) => f[f.indexOf('type') + 1] === t).length;
    for (const t of ['created', 'closed']) {
        await until(() => boss.$eval(`#dash-hourly [data-series="${t}"]`, e =>
            e.dataset.values.split(',').reduce((n, v) => n + Number(v), 0)).then(n => n === count(t)),
            3000, `hourly ${t} sums to ${count(t)}`);
    }
    await shot(boss, 'dashboard');
});

await check('new ticket: the classifier result shows as you type', async () => {
    await go(boss, '#/new');
    await boss.waitForSelector('#new-subject');
    const text = 'My invoice was charged twice, please refund';
    await boss.type('#new-subject', text);
    const want = rjson('TICKET.CLASSIFY', 'help', text).category;
    await until(() => boss.$eval('#new-classified', (e, w) => e.dataset.category === w, want), 8000, `classified as ${want}`);
    await shot(boss, 'new-ticket');
    await boss.click('#new-form button[type=submit]');
    const id = await until(() => boss.$eval('article.ticket', e => e.dataset.ticketId), 8000, 'created ticket opens');
    assert(ticketField(id, 'subject') === text, 'created ticket has another subject');
});

await check('desk settings: a bad value is refused next to its field, a good one saved', async () => {
    await go(boss, '#/settings');
    await boss.waitForSelector('#cfg-flood-window');
    await boss.fill('#cfg-flood-window', '0');
    await boss.fill('#cfg-default-capacity', '12');
    await boss.click('#cfg-save');
    const err = await until(() => boss.$eval('#cfg-flood-window-error', e => e.textContent), 8000, 'error by the field');
    assert(/INVALID/.test(err), `error text: ${err}`);
    assert(await boss.$eval('#cfg-flood-window', e => e.getAttribute('aria-invalid')) === 'true', 'field not marked invalid');
    await until(() => cfgGet('default-capacity') === '12', 8000, 'default-capacity saved');
    assert(cfgGet('flood-window') === '60', 'flood-window changed');
    await shot(boss, 'settings');
});

await check('customer lookup by email lists the customer and its tickets', async () => {
    await go(boss, '#/customers');
    await boss.fill('#cust-email', 'JANE@example.com');
    await boss.keyboard.press('Enter');
    const want = redis('CUSTOMER.TICKETS', 'help', 1).split('\n').sort();
    const got = await until(async () => {
        const ids = (await boss.$$eval('#cust-result [data-ticket-id]', l => l.map(e => e.dataset.ticketId))).sort();
        return ids.length === want.length && ids;
    }, 8000, `tickets ${want}`);
    assert(JSON.stringify(got) === JSON.stringify(want), `${got} vs ${want}`);
    const id = create('Jane again: invoice copy', 'CUSTOMER', 1, 'CATEGORY', 'billing');
    await until(() => boss.$(`#cust-result ${rowSel(id)}`), 8000, 'her new ticket appears live');
});

await check('usable at 390 px: no horizontal scrolling on the main views', async () => {
    const phone = await newPage(browser, { width: 390, height: 844 });
    await signIn(phone, 'A201', 'A201-pw');
    for (const v of ['#/mine', `#/ticket/${tRefund}`, '#/queues', '#/dashboard']) {
        await go(phone, v);
        await phone.waitForSelector('#view > *');
        const w = await phone.evaluate(() => document.documentElement.scrollWidth);
        assert(w <= 391, `${v} is ${w}px wide`);
        if (v.startsWith('#/ticket')) await shot(phone, 'phone-ticket');
    }
    await phone.context().close();
});

await check('every control in every view has an accessible name', async () => {
    const unnamed = [];
    for (const v of ['#/mine', `#/ticket/${tRefund}`, '#/queues', '#/dashboard', '#/customers', '#/new', '#/settings']) {
        await go(boss, v);
        await boss.waitForSelector('#view .view-body > *');
        unnamed.push(...await boss.$$eval('button, input, select, textarea, [role=img]', (els, view) => els
            .filter(e => e.offsetParent !== null || e.closest('dialog'))
            .filter(e => !(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') ||
                (e.labels && e.labels.length) || e.textContent.trim() || e.title))
            .map(e => `${view} ${e.tagName.toLowerCase()}#${e.id}`), v));
    }
    assert(unnamed.length === 0, `unnamed: ${unnamed.join(', ')}`);
});

await check('a write from the page without the CSRF token is refused', async () => {
    const status = await boss.evaluate(async () => (await fetch('/v1/desks/help/tickets', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"subject":"csrf"}' })).status);
    assert(status === 403, `status ${status}`);
});

await check('sign out ends the session on the gateway', async () => {
    await maria.click('#signout');
    await maria.waitForSelector('#signin:not([hidden])');
    // Through the context's own cookie jar (a page fetch of a 401 would meet
    // the browser's Basic-auth prompt).
    const st = (await maria.context().request.get(`${BASE}/v1/session`)).status();
    assert(st === 401, `GET /v1/session after sign-out: ${st}`);
    assert(await maria.evaluate(() => Object.keys(sessionStorage).every(k => !/csrf|token/i.test(k))), 'token left in sessionStorage');
});

await check('the console survives a gateway restart: banner, then recovery and catch-up', async () => {
    const desk = await newPage(browser);
    await asGatewayUser(desk);
    await go(desk, '#/queues');
    await desk.waitForSelector('#queue-open .row-item');
    await until(() => desk.$('#banner[hidden]'), 8000, 'no banner while connected');
    await stopGateway();
    await until(() => desk.$('#banner:not([hidden])'), 8000, 'banner while the gateway is down');
    await shot(desk, 'banner');
    const id = create('Created while the gateway was down', 'CATEGORY', 'general', 'PRIORITY', 20);
    await startGateway();
    await until(() => desk.$('#banner[hidden]'), 10000, 'banner gone after the restart');
    await until(() => desk.$(`#queue-open ${rowSel(id)}`), 8000, 'missed ticket caught up');
    assert(desk.errors.length === 0, `page errors: ${desk.errors}`);
});

for (const p of [maria, tom, boss]) if (p.errors.length) console.log(`FAIL - page errors: ${p.errors.join('; ')}`);
await browser.close();
const { passed, failed } = summary();
console.log(`browser: ${passed} passed, ${failed} failed`);
console.log('browser: done');
