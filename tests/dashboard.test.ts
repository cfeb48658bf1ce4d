// The risk dashboard (app/dashboard) in headless Chromium (Debian's `chromium`, driven by
// playwright-core; no browser download): every number the page shows, computed there by the
// WebAssembly kernel, equals `pm risk`'s on the same file, the heat map marks the worst
// scenario, the what-if panel moves margin as the native code does, and a screenshot is saved
// (target/dashboard.png, target/dashboard-whatif.png). In account mode (a margin account read
// over JSON-RPC, here a stub cluster serving the .so's accounts from litesvm) the page shows
// the program's own margin_report numbers.
// Needs /usr/bin/chromium (scripts/test.sh installs it) and app/sdk/wasm/risk_kernel.wasm.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { InstrumentKind } from '@portfolio-margin/sdk';
import { Market, SOL_FEED, USDC, USDC_FEED } from './helpers/market.ts';
import { marginReport } from './snippets/margin-report.ts';
import { trade } from './snippets/trade.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TARGET = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(ROOT, 'target');
const PM = join(TARGET, 'release', 'pm');
const TOOLS = join(TARGET, 'release', 'examples', 'tools');
const FIXTURES = ['examples/portfolio.json', 'tests/kernel-fixtures/four-groups-credits.json', 'tests/kernel-fixtures/span16-forward.json'];

let browser: Browser;
const servers: ChildProcess[] = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium (scripts/test.sh does)`);
  assert.ok(existsSync(join(ROOT, 'app/sdk/wasm/risk_kernel.wasm')), 'run scripts/wasm-build.sh');
  const cargo = (...args: string[]) =>
    execFileSync('cargo', ['build', '--release', '--locked', '--quiet', ...args], { cwd: ROOT, stdio: 'inherit' });
  cargo('-p', 'pm');
  cargo('-p', 'pm-portfolio', '--example', 'tools');
  // Headless, no background traffic: the page talks only to its own server. playwright-core
  // starts Chromium with a fresh temporary --user-data-dir of its own (and removes it).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.kill('SIGTERM');
});

/** Starts `node app/dashboard/serve.mjs --portfolio FILE --port 0` (or other arguments); its URL. */
async function serve(file: string | string[]): Promise<string> {
  const args = typeof file === 'string' ? ['--portfolio', file] : file;
  const child = spawn(process.execPath, ['app/dashboard/serve.mjs', ...args, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(child);
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/dashboard: (http:\/\/\S+)/);
      if (m) ok(m[1]);
    });
    child.on('exit', (code) => fail(new Error(`serve.mjs exited ${code}: ${out}`)));
  });
}

async function open(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"], body[data-ready="error"]', { timeout: 30_000 });
  const ready = await page.getAttribute('body', 'data-ready');
  assert.equal(ready, '1', `page failed: ${await page.textContent('#error')} ${errors.join('; ')}`);
  assert.deepEqual(errors, []);
  return page;
}

/** Every [data-field] number on the page: field path -> its exact value. */
async function fields(page: Page): Promise<[string, string, string][]> {
  return page.$$eval('[data-field]', (els) => els.map((e) => [(e as HTMLElement).dataset.field!, (e as HTMLElement).dataset.value!, e.textContent ?? '']));
}

const get = (o: unknown, path: string) => path.split('.').reduce<any>((v, k) => (v == null ? undefined : v[k]), o);

function pmRisk(file: string) {
  const r = spawnSync(PM, ['risk', '--portfolio', file], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

for (const file of FIXTURES) {
  test(`dashboard shows pm risk's numbers, bit for bit: ${file}`, async () => {
    const page = await open(await serve(file));
    const want = pmRisk(file);
    const shown = await fields(page);
    let scenarios = 0;
    for (const [field, value, text] of shown) {
      const expected = get(want, field);
      assert.equal(typeof expected, 'number', `${field}: not in pm risk's report`);
      assert.ok(Object.is(Number(value), expected), `${field}: page ${value}, pm risk ${expected}`);
      assert.ok(text.trim().length > 0, `${field}: shown`);
      if (/^groups\.\d+\.scenarios\.\d+\.pnl$/.test(field)) scenarios++;
    }
    for (const f of ['equity', 'initial', 'maintenance', 'excess_initial']) assert.ok(shown.some(([k]) => k === f), f);
    // Every maintenance scenario of every group is on the heat map (or its strip), with its Greeks.
    const nScen = want.groups.reduce((n: number, g: any) => n + g.scenarios.length, 0);
    assert.equal(scenarios, nScen, 'every scenario shown');
    for (let g = 0; g < want.groups.length; g++) {
      for (const k of ['delta', 'gamma', 'vega', 'theta', 'rho']) assert.ok(shown.some(([f]) => f === `groups.${g}.greeks.${k}`));
      // The worst scenario, marked once per group, is pm risk's.
      const worst = await page.$$eval(`.heatwrap [data-worst="1"]`, (els) => els.map((e) => [e.closest('article')!.getAttribute('data-group'), (e as HTMLElement).dataset.scenario]));
      assert.ok(worst.some(([name, idx]) => name === want.groups[g].name && Number(idx) === want.groups[g].worst_scenario.index), `${want.groups[g].name}: worst marked`);
    }
    // The initial level's heat map too.
    await page.selectOption('article.group >> nth=0 >> select.level-select', 'initial');
    for (const [field, value] of await fields(page)) assert.ok(Object.is(Number(value), get(want, field)), field);
    await page.selectOption('article.group >> nth=0 >> select.level-select', 'maintenance');
    if (file === 'examples/portfolio.json') {
      mkdirSync(join(ROOT, 'target'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'target/dashboard.png'), fullPage: true });
    }
    await page.close();
  });
}

test('what-if panel: a trade moves margin as the native code computes it; the largest size fits IM', async () => {
  const file = 'examples/portfolio.json';
  const page = await open(await serve(file));
  await page.selectOption('#trade-form select[name=underlying]', 'ETH');
  await page.selectOption('#trade-form select[name=type]', 'call');
  for (const [k, v] of Object.entries({ strike: '3200', expiry_years: '0.25', vol: '0.65', lot_size: '0.01', lots: '-800' })) {
    await page.fill(`#trade-form input[name=${k}]`, v);
  }
  await page.click('#add-trade');
  await page.waitForSelector('[data-field="whatif.after.initial"]');
  const trade = { underlying: 'ETH', type: 'call', lot_size: 0.01, lots: -800, strike: 3200, expiry_years: 0.25, vol: 0.65 };
  const portfolio = readFileSync(join(ROOT, file), 'utf8');
  const r = spawnSync(TOOLS, ['what-if'], { input: `{"portfolio":${portfolio},"trades":[${JSON.stringify(trade)}]}`, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const want = JSON.parse(r.stdout);
  const shown = (await fields(page)).filter(([f]) => f.startsWith('whatif.'));
  assert.ok(shown.length >= 12, `${shown.length} what-if numbers`);
  for (const [field, value] of shown) {
    const [, side, ...path] = field.split('.');
    const p = path.join('.');
    const expected = side === 'change' ? get(want.after, p) - get(want.before, p) : get(want[side], p);
    assert.ok(Object.is(Number(value), expected), `${field}: page ${value}, native ${expected}`);
  }
  assert.ok(get(want.after, 'initial') > get(want.before, 'initial'), 'selling calls raises IM');

  // Largest sell of that call within initial margin: the native answer.
  await page.click('#max-size');
  const lots = Number(await page.getAttribute('[data-field="max.lots"]', 'data-value'));
  const { lots: _, ...t } = trade;
  const m = spawnSync(TOOLS, ['max-trade'], { input: `{"portfolio":${portfolio},"side":"sell","trade":${JSON.stringify(t)}}`, encoding: 'utf8' });
  assert.equal(m.status, 0, m.stderr);
  assert.equal(lots, JSON.parse(m.stdout).lots);
  assert.ok(lots < 0);
  // Liquidation prices are shown for each underlying.
  assert.equal(await page.locator('#liquidation tbody tr').count(), 3);
  await page.screenshot({ path: join(ROOT, 'target/dashboard-whatif.png'), fullPage: true });

  // A refused trade shows the kernel's message and leaves the panel as it was.
  await page.selectOption('#trade-form select[name=type]', 'call');
  await page.fill('#trade-form input[name=vol]', '0.01');
  await page.click('#add-trade');
  assert.match((await page.textContent('#whatif-error')) ?? '', /trades\[1\]\.vol: 0\.01 is below ETH's min_vol/);
  assert.equal(await page.locator('#trades li').count(), 1);
  await page.close();
});

test("account mode: a live margin account over JSON-RPC shows the program's margin_report, to the Money unit", async () => {
  const m = await Market.create();
  const fut = await m.future();
  const call = await m.list(InstrumentKind.Call, m.expiry, 106);
  await m.crank(100);
  const maker = await m.trader(1_000_000n * USDC);
  const taker = await m.trader(3_000n * USDC);
  const sides = { maker: { account: maker.margin, signer: maker.key }, taker: { account: taker.margin, signer: taker.key } };
  await trade(m.chain, m.index, { instrument: fut, ...sides, lots: 20n, px: 100.4, nonce: m.nonce++, now: m.chain.now() });
  await trade(m.chain, m.index, { instrument: call, ...sides, lots: -10n, px: 2.2, nonce: m.nonce++, now: m.chain.now() });
  const prog = (await marginReport(m.chain, m.payer, m.index, taker.margin)).raw;

  // A loopback cluster answering getMultipleAccounts from the litesvm chain.
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      const call = JSON.parse(body);
      assert.equal(call.method, 'getMultipleAccounts', 'the dashboard only reads accounts');
      const accs = await m.chain.getAccounts(call.params[0]);
      const value = accs.map((a) =>
        a ? { data: [Buffer.from(a.data).toString('base64'), 'base64'], executable: a.executable, lamports: Number(a.lamports), owner: a.owner, rentEpoch: 0, space: a.data.length } : null,
      );
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result: { context: { slot: 1 }, value } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const rpc = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const hex = (f: Uint8Array) => Buffer.from(f).toString('hex');
    const page = await open(
      await serve([
        '--account', taker.margin, '--rpc-url', rpc,
        '--oracle', `${hex(SOL_FEED)}=${m.solOracle}`, '--oracle', `${hex(USDC_FEED)}=${m.usdcOracle}`,
        '--underlying-name', '0=SOL', '--asset-name', `${m.usdc}=USDC`,
      ]),
    );
    const shown = Object.fromEntries((await fields(page)).map(([f, v]) => [f, Number(v)]));
    const raw = (x: number) => BigInt(x * 2 ** 24); // the page's money is raw / 2^24, exactly
    assert.deepEqual(
      { equity: raw(shown.equity), initial: raw(shown.initial), maintenance: raw(shown.maintenance) },
      { equity: prog.equity, initial: prog.initial, maintenance: prog.maintenance },
    );
    assert.equal(await page.locator('article.group h2').textContent(), 'SOL');
    await page.screenshot({ path: join(ROOT, 'target/dashboard-account.png'), fullPage: true });
    await page.close();
  } finally {
    server.close();
  }
});
