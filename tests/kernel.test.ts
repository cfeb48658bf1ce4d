// The kernel in the client (app/sdk/src/kernel, crates/kernel-wasm as WebAssembly) against the
// native code on the same files: `pm risk` for the report, and the shared code's native build
// (crates/portfolio/examples/tools.rs) for what-if, liquidation prices and the largest trade.
// Bit for bit: the answers' text must be identical, and every number in them (compared with
// Object.is after parsing, field by field).
// Needs app/sdk/wasm/risk_kernel.wasm (scripts/wasm-build.sh; scripts/test.sh builds it first).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_WASM_URL, KernelError, RiskKernel } from '../app/sdk/src/kernel/index.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TARGET = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(ROOT, 'target');
const PM = join(TARGET, 'release', 'pm');
const TOOLS = join(TARGET, 'release', 'examples', 'tools');
const FIXTURES = [
  'examples/portfolio.json',
  'examples/concentration.json',
  ...readdirSync(join(ROOT, 'tests/kernel-fixtures'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => `tests/kernel-fixtures/${f}`),
];

let kernel: RiskKernel;

before(() => {
  assert.ok(existsSync(DEFAULT_WASM_URL), `${DEFAULT_WASM_URL.pathname} is missing: run scripts/wasm-build.sh`);
  // The native side, release as scripts/test.sh builds it (a no-op when up to date).
  const cargo = (...args: string[]) =>
    execFileSync('cargo', ['build', '--release', '--locked', '--quiet', ...args], { cwd: ROOT, stdio: 'inherit' });
  cargo('-p', 'pm');
  cargo('-p', 'pm-portfolio', '--example', 'tools');
});

before(async () => {
  kernel = await RiskKernel.load();
});

/** Every leaf of two parsed answers equal, numbers by Object.is (so -0 vs 0 and NaN count). */
function sameLeaves(a: unknown, b: unknown, path = '$'): number {
  if (typeof a === 'number' || typeof b === 'number') {
    assert.ok(Object.is(a, b), `${path}: wasm ${a} != native ${b}`);
    return 1;
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    assert.equal(a, b, path);
    return 1;
  }
  const ka = Object.keys(a as object);
  assert.deepEqual(ka, Object.keys(b as object), `${path}: fields`);
  let n = 0;
  for (const k of ka) n += sameLeaves((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
  return n;
}

function pmRisk(file: string): { ok: true; text: string } | { ok: false; message: string } {
  const r = spawnSync(PM, ['risk', '--portfolio', file], { cwd: ROOT, encoding: 'utf8' });
  if (r.status === 0) return { ok: true, text: r.stdout.replace(/\n$/, '') };
  assert.equal(r.status, 2, r.stderr);
  const prefix = `pm risk: ${file}: `;
  assert.ok(r.stderr.startsWith(prefix), r.stderr);
  return { ok: false, message: r.stderr.slice(prefix.length).replace(/\n$/, '') };
}

function native(entry: string, request: string): string {
  const r = spawnSync(TOOLS, [entry], { input: request, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/\n$/, '');
}

for (const file of FIXTURES) {
  test(`pm risk = kernel.risk, bit for bit: ${file}`, () => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const want = pmRisk(file);
    if (!want.ok) {
      assert.throws(() => kernel.risk(text), (e: unknown) => e instanceof KernelError && e.message === want.message);
      return;
    }
    assert.equal(kernel.riskText(text), want.text);
    const leaves = sameLeaves(kernel.risk(text), JSON.parse(want.text));
    assert.ok(leaves > 50, `${leaves} fields compared`);
  });
}

test('a portfolio given as an object is the file it was parsed from', () => {
  const text = readFileSync(join(ROOT, 'examples/portfolio.json'), 'utf8');
  const pm = pmRisk('examples/portfolio.json');
  assert.ok(pm.ok);
  assert.equal(kernel.riskText(JSON.parse(text)), pm.text);
});

const trades = {
  'examples/portfolio.json': [
    { underlying: 'ETH', type: 'call', strike: 3200, expiry_years: 0.25, vol: 0.65, lot_size: 0.01, lots: 300 },
    { underlying: 'BTC', type: 'perp', lot_size: 0.001, lots: 200, price: 60100.5 },
  ],
  'tests/kernel-fixtures/four-groups-credits.json': [
    { underlying: 'SOL', type: 'put', strike: 140, expiry_years: 0.08, vol: 0.9, lot_size: 1, lots: 300 },
    { underlying: 'JUP', type: 'future', expiry_years: 0.1, lot_size: 100, lots: -20 },
  ],
} as const;

/** One request through the .wasm and through the native build: identical text, every field. */
function both(entry: 'what-if' | 'liquidation-prices' | 'max-trade', request: string): string {
  const wasmEntry = { 'what-if': 'pm_what_if', 'liquidation-prices': 'pm_liquidation_prices', 'max-trade': 'pm_max_trade' } as const;
  const got = kernel.call(wasmEntry[entry], request);
  const want = native(entry, request);
  assert.equal(got, want, entry);
  sameLeaves(JSON.parse(got), JSON.parse(want));
  return got;
}

for (const [file, ts] of Object.entries(trades)) {
  test(`what-if, liquidation prices, largest trade: wasm = native, bit for bit: ${file}`, () => {
    const portfolio = readFileSync(join(ROOT, file), 'utf8');
    const transfers = [{ name: 'USDC', amount: '-1234.5' }];
    const req = `{"portfolio":${portfolio},"trades":${JSON.stringify(ts)},"transfers":${JSON.stringify(transfers)}}`;
    both('what-if', req);
    // The typed call: the same answer.
    const w = kernel.whatIf({ portfolio, trades: [...ts], transfers });
    sameLeaves(w, JSON.parse(kernel.call('pm_what_if', req)));
    // Its "before" is pm risk's report.
    const pm = pmRisk(file);
    assert.ok(pm.ok);
    sameLeaves(w.before, JSON.parse(pm.text));
    assert.notEqual(w.after.initial, w.before.initial);

    const liq = JSON.parse(both('liquidation-prices', `{"portfolio":${portfolio}}`));
    sameLeaves(kernel.liquidationPrices(portfolio), liq);
    assert.equal(liq.underlyings.length, w.before.groups.length);

    const { lots: _, ...trade } = ts[0];
    for (const side of ['buy', 'sell'] as const) {
      const m = kernel.maxTrade({ portfolio, side, trade });
      sameLeaves(m, JSON.parse(both('max-trade', `{"portfolio":${portfolio},"side":"${side}","trade":${JSON.stringify(trade)}}`)));
      if (m.lots !== 0) {
        assert.ok(m.after!.excess_initial >= 0);
        // One lot more is over initial margin.
        const more = kernel.whatIf({ portfolio, trades: [{ ...trade, lots: m.lots + Math.sign(m.lots), price: m.price }] });
        if (m.limited_by === 'initial margin') assert.ok(more.after.excess_initial < 0, `${side} ${m.lots}`);
      }
    }
  });
}

test('an account under maintenance is liquidatable now; the others have prices on both sides of spot', () => {
  const under = kernel.liquidationPrices(readFileSync(join(ROOT, 'tests/kernel-fixtures/underwater.json'), 'utf8'));
  assert.equal(under.liquidatable_now, true);
  const ok = kernel.liquidationPrices(readFileSync(join(ROOT, 'examples/portfolio.json'), 'utf8'));
  assert.equal(ok.liquidatable_now, false);
  for (const u of ok.underlyings) {
    if (u.down !== null) assert.ok(u.down < u.spot);
    if (u.up !== null) assert.ok(u.up > u.spot);
  }
});

test('errors name the field, as pm does', () => {
  assert.throws(
    () => kernel.whatIf({ portfolio: readFileSync(join(ROOT, 'examples/portfolio.json'), 'utf8'), transfers: [{ name: 'USDT', amount: 1 }] }),
    /transfers\[0\]\.name: unknown collateral "USDT" \(known: USDC, jitoSOL\)/,
  );
  assert.throws(() => kernel.risk('{'), KernelError);
  assert.throws(() => kernel.maxTrade({ portfolio: '{"underlyings": []}', side: 'buy', trade: { underlying: 'ETH', type: 'perp' } }), /unknown underlying "ETH"/);
});

test("README snippet kernel.ts: margin before/after a trade, the largest sell, liquidation prices", async () => {
  const { simulateTrade } = await import('./snippets/kernel.ts');
  const portfolio = readFileSync(join(ROOT, 'examples/portfolio.json'), 'utf8');
  const r = await simulateTrade(portfolio);
  const pm = pmRisk('examples/portfolio.json');
  assert.ok(pm.ok);
  assert.ok(Object.is(r.initialBefore, JSON.parse(pm.text).initial));
  assert.ok(r.initialAfter > r.initialBefore, 'selling calls raises initial margin');
  assert.ok(r.largestSell < 0);
  assert.deepEqual(r.liquidation.map((u) => u.name), ['ETH', 'BTC', 'SOL']);
});
