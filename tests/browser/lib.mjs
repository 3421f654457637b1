// Helpers of the browser suite: redis-cli, bounded polling, TAP-like output
// ("ok - name" / "FAIL - name: why", counted by tests/test_browser.sh),
// browser launch (Debian chromium through playwright-core, fresh profile,
// nothing downloaded) and the gateway's stop/start for the restart scenario.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { chromium } from 'playwright-core';

export const BASE = process.env.BASE;
const REDIS_PORT = process.env.REDIS_PORT;

// redis(args...) -> redis-cli's text; rjson(args...) -> the RESP3 reply as JSON.
export function redis(...args) {
    return execFileSync('redis-cli', ['-p', REDIS_PORT, ...args.map(String)], { encoding: 'utf8' }).trim();
}
export function rjson(...args) {
    return JSON.parse(execFileSync('redis-cli', ['-3', '--json', '-p', REDIS_PORT, ...args.map(String)], { encoding: 'utf8' }));
}
export const ticketField = (id, f) => rjson('TICKET.GET', 'help', id)[f];

let passed = 0, failed = 0;
const watched = new Map();   // name -> page, screenshotted when a check fails
export function watch(pages) { for (const [k, v] of Object.entries(pages)) watched.set(k, v); }

export async function check(name, fn) {
    try { await fn(); passed++; console.log(`ok - ${name}`); }
    catch (e) {
        failed++;
        console.log(`FAIL - ${name}: ${(e && e.message || String(e)).split('\n')[0]}`);
        for (const [who, page] of watched) {
            await page.screenshot({ path: `${process.env.SHOTS}/fail-${failed}-${who}.png` }).catch(() => {});
            if (page.errors.length) console.log(`# ${who} page errors: ${page.errors.join('; ')}`);
            if (page.logs.length) console.log(`# ${who} console: ${page.logs.slice(-5).join(' | ')}`);
        }
    }
}
export function summary() { return { passed, failed }; }

export function assert(cond, msg) { if (!cond) throw new Error(msg); }

// Poll fn() until it returns a truthy value, at most `ms`; no fixed sleeps.
export async function until(fn, ms, what) {
    const deadline = Date.now() + ms;
    let last;
    for (;;) {
        try { last = await fn(); if (last) return last; } catch (e) { last = e.message; }
        if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(last)})`);
        await new Promise(r => setTimeout(r, 40));
    }
}

// Chromium headless from Debian. playwright's launch() gives every run a
// fresh temporary profile (user-data-dir) of its own.
export async function launch() {
    return chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
}

// A page in a new browser context (its own cookie jar); records page errors
// and any alert() so the XSS check can assert none ran.
export async function newPage(browser, viewport = { width: 1280, height: 860 }) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.errors = [];
    page.alerts = [];
    page.logs = [];
    page.on('console', m => { if (m.type() === 'error') page.logs.push(m.text()); });
    page.on('pageerror', e => page.errors.push(e.message));
    page.on('dialog', d => { page.alerts.push(d.message()); d.dismiss(); });
    return page;
}

export async function signIn(page, user, password) {
    await page.goto(`${BASE}/`);
    await page.fill('#signin-user', user);
    await page.fill('#signin-password', password);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])', { timeout: 5000 });
}

export async function asGatewayUser(page) {
    await page.goto(`${BASE}/`);
    await page.click('#signin-anon');
    await page.waitForSelector('#app:not([hidden])', { timeout: 5000 });
}

export async function go(page, hash) {
    await page.evaluate(h => { location.hash = h; }, hash);
    await page.waitForFunction(h => document.querySelector('#view').dataset.view === h.split('/')[1], hash);
}

export async function shot(page, name) {
    await page.evaluate(() => document.querySelector('#toasts')?.replaceChildren());
    await page.screenshot({ path: `${process.env.SHOTS}/${name}.png`, fullPage: true });
}

// ---- the gateway process (restart scenario) ---------------------------------

async function healthy() {
    try { return (await fetch(`${BASE}/health`)).ok; } catch { return false; }
}

export async function stopGateway() {
    const pid = Number(fs.readFileSync(process.env.GW_PID_FILE, 'utf8'));
    process.kill(pid, 'SIGTERM');
    await until(async () => !(await healthy()), 5000, 'gateway stops');
}

export async function startGateway() {
    const log = fs.openSync(process.env.GW_LOG, 'a');
    const child = spawn('sh', ['-c', `exec ${process.env.GW_CMD}`], { stdio: ['ignore', log, log], detached: true });
    child.unref();
    fs.writeFileSync(process.env.GW_PID_FILE, String(child.pid));
    await until(healthy, 10000, 'gateway answers /health again');
}
