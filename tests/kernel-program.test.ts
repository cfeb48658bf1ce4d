// The WASM kernel against the program itself: an account's `margin_report`, simulated on the
// .so in litesvm, and the report the SDK's RiskKernel computes in the client from a portfolio
// file written from the same chain state (the underlying's snapshot and parameters, the
// config's rate and grid, the instrument's expiry and forward at its crank, the account's lots,
// cost and balances, the oracle's price and confidence), equal to the bit in Money units.
//
// The program margins from the crank's cached risk arrays (margin_from_risk), the client by
// full revaluation (margin_full) at the crank's inputs: the kernel computes both the same way.
// Futures, calls, puts and collateral; every Ratio written as raw / 2^48 (exact in a double), the
// vol-scaling parameters converted from the program's units (bps, hours) as the program does.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeInstrument,
  decodeMarginAccount,
  fromMoney,
  fromPrice,
  fromRatio,
  generated as g,
  InstrumentKind,
} from '@portfolio-margin/sdk';
import type { Address } from '@solana/kit';
import { Market, USDC, type Trader } from './helpers/market.ts';
import { marginReport } from './snippets/margin-report.ts';
import { trade } from './snippets/trade.ts';
import { RiskKernel, type PortfolioFile } from '../app/sdk/src/kernel/index.ts';

const ONE48 = 1n << 48n;
const YEAR = 365n * 24n * 3600n;
const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const ceilDiv = (a: bigint, b: bigint) => -floorDiv(-a, b);

let m: Market;
let fut: Address, call: Address, put: Address;
let maker: Trader, taker: Trader;
let kernel: RiskKernel;

before(async () => {
  kernel = await RiskKernel.load();
  m = await Market.create();
  fut = await m.future();
  call = await m.list(InstrumentKind.Call, m.expiry, 106);
  put = await m.list(InstrumentKind.Put, m.expiry, 92.5);
  await m.crank(100);
  maker = await m.trader(1_000_000n * USDC);
  taker = await m.trader(2_500n * USDC);
});

/** Pyth's (value, exponent) as a Price raw, rounded as the program's `normalize`. */
function normalize(value: bigint, expo: number, up: boolean): bigint {
  const num = value << 32n;
  const den = 10n ** BigInt(-expo);
  return up ? ceilDiv(num, den) : floorDiv(num, den);
}

/** The program's F/S of a future at `expiry`, cranked at `now` (`forward_ratio_for`, own slice). */
function forwardRatio(surface: g.VolSurface, expiry: bigint, now: bigint): bigint {
  const s = surface.slices.slice(0, surface.nSlices).find((x) => x.expiry === expiry);
  assert.ok(s, 'the future has its own slice');
  const basis = floorDiv((s.forward - ONE48) * (s.expiry - now), s.expiry - surface.publishedAt);
  return ONE48 + basis;
}

/** A portfolio file whose kernel inputs are the program's for `account`, every number exact. */
/** The program's `VolScalingParams::to_kernel` units: bps and hours to Ratio raw. */
const q = (n: bigint, d: bigint, up: boolean) => (up ? (n + d - 1n) / d : n / d);
const bps = (v: number, up: boolean) => q(BigInt(v) << 44n, 625n, up);

/** A portfolio file whose kernel inputs are the program's for `account`, every number exact. */
async function portfolioOf(account: Address): Promise<PortfolioFile> {
  const chain = m.chain;
  const [cfgAcc, undAcc, accAcc, assetAcc] = await chain.getAccounts([(await g.findConfigPda())[0], m.sol, account, m.usdc]);
  const cfg = g.getConfigDecoder().decode(cfgAcc!.data);
  const u = g.getUnderlyingDecoder().decode(undAcc!.data);
  const acc = decodeMarginAccount(accAcc!.data);
  const asset = g.getCollateralAssetDecoder().decode(assetAcc!.data);
  const r = (raw: bigint) => fromRatio(raw); // raw / 2^48: exact in a double, so the file reads raw back
  const vs = u.params.volScaling;
  const level = (l: g.ScanLevel, v: g.VolScaleLevel) => ({
    min_range: r(l.minRange),
    vol_mult: r(l.volMult),
    horizon_days: r(l.horizon) * 365,
    conf_mult: r(l.confMult),
    vol_scan: r(l.volScan),
    dynamic: l.dynamic,
    basis_scan: r(l.basisScan),
    vol_p_short: r(bps(v.pShortBps, true)),
    vol_p_long: r(bps(v.pLongBps, false)),
    vol_scale_cap: r(bps(Math.min(v.capBps, 1 << 18), true)),
    vol_scale_floor: r(bps(v.floorBps, true)),
  });
  const spot = fromPrice(u.snapshot.spot);
  const insts = await chain.getAccounts(acc.positions.map((p) => p.instrument));
  const positions = acc.positions.map((p, i) => {
    const inst = decodeInstrument(insts[i]!.data);
    assert.equal(p.funding, 0n);
    // Every position at its crank: years to expiry then, its vol then.
    const years = floorDiv((inst.expiry - inst.riskTime) << 48n, YEAR);
    const common = { underlying: 'SOL', expiry_years: r(years), lot_size: r(inst.lotSize), lots: Number(p.lots) };
    if (inst.kind === InstrumentKind.Future) {
      const fwd = forwardRatio(u.surface, inst.expiry, inst.riskTime);
      // The crank's fair value is spot x F/S rounded down: the forward we write is the one it used.
      assert.equal((u.snapshot.spot * fwd) >> 48n, inst.risk.fair, 'forward reconstructed');
      // Linear positions carry their cost as cash: entry 0, -cost (native USDC -> Money, down).
      const negCost = floorDiv(-p.cost << 24n, 10n ** BigInt(u.quoteDecimals));
      return { ...common, type: 'future' as const, entry_price: 0, funding: fromMoney(negCost), forward: spot * r(fwd) };
    }
    const type = inst.kind === InstrumentKind.Call ? ('call' as const) : ('put' as const);
    return { ...common, type, strike: fromPrice(inst.strike), vol: r(inst.vol) };
  });
  assert.equal(acc.balances.length, 1);
  const units = acc.balances[0].amount;
  const ap = asset.params;
  return {
    underlyings: [
      {
        name: 'SOL',
        spot,
        conf: fromPrice(u.snapshot.conf),
        atm_vol: r(u.snapshot.atmVol),
        rate: r(cfg.rate),
        min_vol: r(u.params.minVol),
        short_option_min: r(u.params.shortOptionMin),
        max_basis: r(u.params.maxBasis),
        vol_t_ref_days: r(q(BigInt(vs.tRefHours) << 45n, 1095n, true)) * 365,
        maintenance: level(u.params.maintenance, vs.maintenance),
        initial: level(u.params.initial, vs.initial),
      },
    ],
    positions,
    collateral: [
      {
        name: 'USDC',
        amount: `${units / 1_000_000n}.${(units % 1_000_000n).toString().padStart(6, '0')}`,
        decimals: asset.decimals,
        // The oracle as the test chain publishes it (litesvm-chain.ts: price 1, conf 1e-4, expo -8).
        price: fromPrice(normalize(100_000_000n, -8, false)),
        conf: fromPrice(normalize(10_000n, -8, true)),
        conf_mult: r(ap.confMult),
        maint_haircut: r(ap.maintHaircut),
        init_haircut: r(ap.initHaircut),
        size_growth: r(ap.sizeGrowth),
        size_ref: fromMoney(ap.sizeRef),
        depeg_shock: r(ap.depegShock),
      },
    ],
    scenarios: cfg.grid.map((p) => ({
      price_scan: r(p.priceScan),
      vol_scan: r(p.volScan),
      weight: r(p.weight),
      spot_shock: r(p.spotShock),
      basis_scan: r(p.basisScan),
      vol_twist: r(p.volTwist),
    })),
  };
}

const money = (x: number) => BigInt(x * 2 ** 24); // exact: the report's money is raw / 2^24

async function compare(label: string) {
  const prog = (await marginReport(m.chain, m.payer, m.index, taker.margin)).raw;
  const file = await portfolioOf(taker.margin);
  const rep = kernel.risk(file);
  assert.deepEqual(
    { equity: money(rep.equity), initial: money(rep.initial), maintenance: money(rep.maintenance) },
    { equity: prog.equity, initial: prog.initial, maintenance: prog.maintenance },
    `${label}: the WASM kernel (left) and the program's margin_report (right), Money raw`,
  );
  return rep;
}

test("program's margin_report = WASM kernel on the same inputs: a long future, then after a crank", async () => {
  await trade(m.chain, m.index, { instrument: fut, maker: { account: maker.margin, signer: maker.key }, taker: { account: taker.margin, signer: taker.key }, lots: 40n, px: 100.25, nonce: m.nonce++, now: m.chain.now() });
  const a = await compare('long 40 at 100.25, spot 100');
  assert.ok(a.maintenance > 0 && a.initial > a.maintenance);
  await m.crank(97.5);
  const b = await compare('spot 97.5');
  assert.ok(b.equity < a.equity);
});

test("program's margin_report = WASM kernel: short the future, spot up", async () => {
  await trade(m.chain, m.index, { instrument: fut, maker: { account: maker.margin, signer: maker.key }, taker: { account: taker.margin, signer: taker.key }, lots: -70n, px: 97.8, nonce: m.nonce++, now: m.chain.now() });
  await m.crank(103.1);
  const r = await compare('short 30 net, spot 103.1');
  assert.ok(r.groups[0].greeks.delta < 0);
});

test("program's margin_report = WASM kernel: short calls, long puts and the future, across cranks", async () => {
  const sides = { maker: { account: maker.margin, signer: maker.key }, taker: { account: taker.margin, signer: taker.key } };
  await trade(m.chain, m.index, { instrument: call, ...sides, lots: -25n, px: 2.1, nonce: m.nonce++, now: m.chain.now() });
  await trade(m.chain, m.index, { instrument: put, ...sides, lots: 15n, px: 1.4, nonce: m.nonce++, now: m.chain.now() });
  const a = await compare('short calls, long puts, short future');
  assert.ok(a.groups[0].short_option_charge > 0);
  await m.crank(98.2);
  await compare('spot 98.2');
  await m.crank(104.9);
  await compare('spot 104.9');
});
