/**
 * A margin account on chain as a portfolio file: the kernel inputs the program's margin check
 * builds (`programs/portfolio-margin/src/margin/snapshot.rs`), read through a `MarketIndex` and
 * written so that the file reads back to the very same fixed-point values (every Ratio as
 * raw / 2^48, every Price as raw / 2^32, Money as raw / 2^24: exact in a double). The WASM
 * kernel's report of it is then the program's `margin_report`, to the Money unit
 * (tests/kernel-program.test.ts checks it on the .so).
 *
 * Each instrument is taken at its last crank (its cached risk: years to expiry, vol and forward
 * then), as the program's check reads it. Refused, with the reason, rather than approximated:
 * an instrument not cranked at its underlying's snapshot or marked in the stale-surface mode
 * (whose doubled scans a file cannot carry per instrument), an expired position, a
 * written-down balance (loss index), a profit haircut (its IM add-on is not a kernel input).
 * Oracles are read as published (age and confidence limits are the program's to enforce).
 */
import type { Address } from '@solana/kit';
import { NO_GROUP, fromMoney, fromPrice, fromRatio, InstrumentKind } from '../constants.ts';
import { AssetStatus, findConfigPda, getConfigDecoder, type VolSurface, type ScanLevel, type VolScaleLevel } from '../generated/index.ts';
import type { MarketIndex } from '../market.ts';
import { underlyingPda } from '../pda.ts';
import type { CollateralIn, PortfolioFile, PositionIn, UnderlyingIn } from './types.ts';

const ONE48 = 1n << 48n;
const YEAR = 365n * 24n * 3600n;
const LOSS_INDEX_ONE = 1n << 60n;

const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const ceilDiv = (a: bigint, b: bigint) => -floorDiv(-a, b);
const r = (raw: bigint) => fromRatio(raw);

/** Pyth's (value, exponent) as Price raw, rounded as the program's `oracle::pyth::normalize`. */
export function normalizePyth(value: bigint, exponent: number, up: boolean): bigint {
  if (exponent > 0) return (value * 10n ** BigInt(exponent)) << 32n;
  const den = 10n ** BigInt(-exponent);
  return up ? ceilDiv(value << 32n, den) : floorDiv(value << 32n, den);
}

/** Price, confidence and exponent of a PriceUpdateV2 account (pyth-solana-receiver layout). */
export function readPriceUpdate(data: Uint8Array): { feedId: Uint8Array; price: bigint; conf: bigint; exponent: number } {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let o = 8 + 32; // discriminator, write authority
  o += data[o] === 1 ? 1 : 2; // VerificationLevel: Full (1 byte) or Partial { num_signatures }
  const feedId = data.slice(o, o + 32);
  o += 32;
  return { feedId, price: v.getBigInt64(o, true), conf: v.getBigUint64(o + 8, true), exponent: v.getInt32(o + 16, true) };
}

/** The program's F/S of a future expiring at `expiry`, cranked at `now` (`VolSurface::forward_ratio_for`). */
export function forwardRatioFor(s: VolSurface, expiry: bigint, now: bigint): bigint | null {
  if (s.publishedAt <= 0n) return null;
  const p = s.publishedAt;
  const live = s.slices.slice(0, s.nSlices).filter((x) => x.expiry > now);
  const knot = (x: (typeof live)[number]): [bigint, bigint] => {
    const toExpiry = x.expiry - now;
    return [toExpiry, floorDiv((x.forward - ONE48) * toExpiry, x.expiry - p)];
  };
  const t = expiry - now > 0n ? expiry - now : 0n;
  const below = [...live].reverse().find((x) => x.expiry <= expiry);
  const above = live.find((x) => x.expiry > expiry);
  let basis: bigint;
  if (below && below.expiry === expiry) basis = knot(below)[1];
  else if (below && above) {
    const [[ta, ba], [tb, bb]] = [knot(below), knot(above)];
    basis = ba + floorDiv((bb - ba) * (t - ta), tb - ta);
  } else if (below || above) {
    const [ts, bs] = knot((below ?? above)!);
    basis = floorDiv(bs * t, ts);
  } else return null;
  const f = ONE48 + basis;
  return f > 1n ? f : 1n;
}

/** The program's `VolScalingParams::to_kernel` units: bps and hours as Ratio raw. */
const q = (n: bigint, d: bigint, up: boolean) => (up ? (n + d - 1n) / d : n / d);
const bps = (v: number, up: boolean) => q(BigInt(v) << 44n, 625n, up);

export interface AccountPortfolioOptions {
  /** Names of underlyings by id (default `U<id>`). */
  underlyingNames?: Record<number, string>;
  /** Names of collateral assets by address (default the asset's address). */
  assetNames?: Record<string, string>;
}

/** `account`'s kernel inputs as a portfolio file, in the program's group order and credit order. */
export async function accountPortfolio(market: MarketIndex, account: Address, opts: AccountPortfolioOptions = {}): Promise<PortfolioFile> {
  const src = market.source;
  const [cfgAcc] = await src.getAccounts([(await findConfigPda())[0]]);
  if (!cfgAcc) throw new Error('no Config account');
  const cfg = getConfigDecoder().decode(cfgAcc.data);
  const acc = await market.marginAccount(account);

  // Risk groups in order of first use: positions' underlyings, then mapped balances'.
  const groups: Address[] = [];
  const underlyings: UnderlyingIn[] = [];
  const spreads: { id: number; credits: { partner: number; rate: bigint }[] }[] = [];
  const group = async (key: Address): Promise<string> => {
    const u = await market.underlying(key);
    const name = opts.underlyingNames?.[u.id] ?? `U${u.id}`;
    if (groups.includes(key)) return name;
    if (groups.length >= 4) throw new Error('more than 4 risk groups (the program refuses: TooManyUnderlyings)');
    if (u.params.profitHaircut > 0n) throw new Error(`${name}: profit_haircut > 0 (its IM add-on is not a kernel input)`);
    groups.push(key);
    spreads.push({ id: u.id, credits: u.params.spreadCredits });
    const vs = u.params.volScaling;
    const level = (l: ScanLevel, v: VolScaleLevel) => ({
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
    underlyings.push({
      name,
      spot: fromPrice(u.snapshot.spot),
      conf: fromPrice(u.snapshot.conf),
      atm_vol: r(u.snapshot.atmVol),
      rate: r(cfg.rate),
      min_vol: r(u.params.minVol),
      short_option_min: r(u.params.shortOptionMin),
      max_basis: r(u.params.maxBasis),
      vol_t_ref_days: r(q(BigInt(vs.tRefHours) << 45n, 1095n, true)) * 365,
      maintenance: level(u.params.maintenance, vs.maintenance),
      initial: level(u.params.initial, vs.initial),
    });
    return name;
  };

  const positions: PositionIn[] = [];
  for (const p of acc.positions) {
    const inst = await market.instrument(p.instrument);
    const u = await market.underlying(inst.underlying);
    const name = await group(inst.underlying);
    const field = `position ${p.instrument}`;
    const hasExpiry = inst.kind !== InstrumentKind.Perpetual;
    if (inst.riskEpoch !== u.snapshot.epoch) throw new Error(`${field}: not cranked at its underlying's snapshot (RiskStale)`);
    if (hasExpiry && inst.expiry <= inst.riskTime) throw new Error(`${field}: expired`);
    const surfaceFresh = u.surface.publishedAt > 0n && u.surface.publishedAt + BigInt(u.params.maxVolAgeSecs) >= inst.riskTime;
    const years = hasExpiry ? floorDiv((inst.expiry - inst.riskTime) << 48n, YEAR) : 0n;
    const common = { underlying: name, lot_size: r(inst.lotSize), lots: Number(p.lots) };
    if (inst.kind === InstrumentKind.Call || inst.kind === InstrumentKind.Put) {
      if (!surfaceFresh) throw new Error(`${field}: marked on a stale vol surface (doubled vol scan)`);
      positions.push({ ...common, type: inst.kind === InstrumentKind.Call ? 'call' : 'put', strike: fromPrice(inst.strike), expiry_years: r(years), vol: r(inst.vol) });
      continue;
    }
    // Linear positions carry their cost as cash: entry 0; -cost (native quote units -> Money,
    // down) plus funding settled and pending (>> 8: Q32 -> Q24, as `funding::to_money`).
    const negCost = floorDiv(-p.cost << 24n, 10n ** BigInt(u.quoteDecimals));
    const owed = p.funding - p.lots * (inst.fundingIndex - p.fundingIndex);
    const funding = fromMoney(negCost + (owed >> 8n));
    if (inst.kind === InstrumentKind.Future) {
      const fwd = surfaceFresh ? forwardRatioFor(u.surface, inst.expiry, inst.riskTime) : null;
      if (fwd === null) throw new Error(`${field}: no fresh forward curve at its crank (doubled basis scan)`);
      if ((u.snapshot.spot * fwd) >> 48n !== inst.risk.fair) throw new Error(`${field}: its cached fair value is not the forward curve's`);
      positions.push({ ...common, type: 'future', expiry_years: r(years), entry_price: 0, funding, forward: fromPrice(u.snapshot.spot) * r(fwd) });
    } else {
      positions.push({ ...common, type: 'perp', entry_price: 0, funding });
    }
  }

  const collateral: CollateralIn[] = [];
  for (const b of acc.balances) {
    const asset = await market.asset(b.asset);
    const ap = asset.params;
    const name = opts.assetNames?.[b.asset] ?? String(b.asset);
    if (ap.status === AssetStatus.Delisted && b.amount > 0n) continue; // counts zero, as on chain
    const index = asset.lossIndex === 0n ? LOSS_INDEX_ONE : asset.lossIndex;
    const slot = b.balanceIndex === 0n ? LOSS_INDEX_ONE : b.balanceIndex;
    if (b.amount > 0n && index !== slot) throw new Error(`balance ${name}: written down by a socialized loss`);
    let groupName: string | undefined;
    if (ap.group !== NO_GROUP) {
      const key = await underlyingPda(ap.group);
      if (b.amount > 0n && !groups.includes(key) && groups.length >= 4) continue; // counts zero, as on chain
      groupName = await group(key);
    }
    const [oracle] = await src.getAccounts([await market.oracleOf(b.asset)]);
    if (!oracle) throw new Error(`balance ${name}: no price account`);
    const pu = readPriceUpdate(oracle.data);
    const d = asset.decimals;
    const abs = b.amount < 0n ? -b.amount : b.amount;
    const whole = `${abs / 10n ** BigInt(d)}${d > 0 ? `.${(abs % 10n ** BigInt(d)).toString().padStart(d, '0')}` : ''}`;
    collateral.push({
      name,
      amount: `${b.amount < 0n ? '-' : ''}${whole}`,
      decimals: d,
      price: fromPrice(normalizePyth(pu.price, pu.exponent, false)),
      conf: fromPrice(normalizePyth(pu.conf, pu.exponent, true)),
      conf_mult: r(ap.confMult),
      maint_haircut: r(ap.maintHaircut),
      init_haircut: r(ap.initHaircut),
      size_growth: r(ap.sizeGrowth),
      size_ref: fromMoney(ap.sizeRef),
      depeg_shock: r(ap.depegShock),
      ...(groupName ? { group: groupName } : {}),
    });
  }

  // The program's pairing (`Snapshot::pair_credits`): declared by either side (the smaller
  // rate if by both), highest rate first, ties by underlying ids.
  const credits: { a: number; b: number; rate: bigint }[] = [];
  for (let a = 0; a < groups.length; a++) {
    for (let b = a + 1; b < groups.length; b++) {
      const onA = spreads[a].credits.find((c) => c.partner === spreads[b].id)?.rate;
      const onB = spreads[b].credits.find((c) => c.partner === spreads[a].id)?.rate;
      const rate = onA !== undefined && onB !== undefined ? (onA < onB ? onA : onB) : (onA ?? onB);
      if (rate !== undefined && rate > 0n) credits.push({ a, b, rate });
    }
  }
  const ids = (c: { a: number; b: number }) => [spreads[c.a].id, spreads[c.b].id].sort((x, y) => x - y);
  credits.sort((x, y) => (x.rate !== y.rate ? (y.rate > x.rate ? 1 : -1) : ids(x)[0] - ids(y)[0] || ids(x)[1] - ids(y)[1]));

  return {
    underlyings,
    positions,
    collateral,
    spread_credits: credits.map((c) => ({ a: underlyings[c.a].name, b: underlyings[c.b].name, rate: r(c.rate) })),
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
