// The one remaining-accounts rule of a margin check (withdraw, trade, margin report, liquidation
// flag/plan, liquidate, resolve bankruptcy), in the order the Rust client crate writes it
// (crates/client/src/remaining.rs) so that both produce the same instructions. What: every
// balance's CollateralAsset and the Pyth price account of its feed, every position's
// Instrument, the Underlying of every instrument and of every asset mapped to a risk group.
// Order: four groups, each in order of first appearance, no address twice (the program refuses
// duplicates): 1. assets (the accounts' balances in slot order, first account first);
// 2. their price accounts, same order, each followed by the asset's rate account if it is a
// receipt token (an SPL stake pool); 3. underlyings (mapped assets', then each position's
// instrument's); 4. instruments (slot order). All read-only, except a liquidation's
// instruments (open interest moves).
import { AccountRole, type AccountMeta, type Address } from '@solana/kit';
import type { AccountSource } from './chain.ts';
import { NO_GROUP } from './constants.ts';
import { getCollateralAssetDecoder, type CollateralAsset } from './generated/accounts/collateralAsset.ts';
import { getUnderlyingDecoder, type Underlying } from './generated/accounts/underlying.ts';
import { RateSource } from './generated/types/index.ts';
import { underlyingPda } from './pda.ts';
import { decodeInstrument, decodeMarginAccount, type InstrumentData, type MarginAccountData } from './zeroCopy.ts';

/** Pyth price accounts by feed id (hex of the 32-byte id, as `feedKey` writes it). */
export type Oracles = Map<string, Address>;

export const feedKey = (feedId: ArrayLike<number>): string =>
  Array.from(feedId, (b) => b.toString(16).padStart(2, '0')).join('');

/** `Oracles` from `[feedId, priceAccount]` pairs. */
export function oracles(pairs: [ArrayLike<number>, Address][]): Oracles {
  return new Map(pairs.map(([f, a]) => [feedKey(f), a]));
}

/**
 * The program's accounts a client needs to assemble instructions, fetched on demand from an
 * `AccountSource` (a cluster or litesvm) and cached; `refresh()` forgets them.
 */
export class MarketIndex implements MarketAccounts {
  private assets = new Map<Address, CollateralAsset>();
  private instruments = new Map<Address, InstrumentData>();
  private underlyings = new Map<Address, Underlying>();

  constructor(readonly source: AccountSource, public oracles: Oracles) {}

  refresh() {
    this.assets.clear();
    this.instruments.clear();
    this.underlyings.clear();
  }

  private async one(a: Address): Promise<Uint8Array> {
    const [acc] = await this.source.getAccounts([a]);
    if (!acc) throw new Error(`account ${a} not found`);
    return acc.data;
  }

  async marginAccount(a: Address): Promise<MarginAccountData> {
    return decodeMarginAccount(await this.one(a));
  }

  async asset(a: Address): Promise<CollateralAsset> {
    let v = this.assets.get(a);
    if (!v) this.assets.set(a, (v = getCollateralAssetDecoder().decode(await this.one(a))));
    return v;
  }

  async instrument(a: Address): Promise<InstrumentData> {
    let v = this.instruments.get(a);
    if (!v) this.instruments.set(a, (v = decodeInstrument(await this.one(a))));
    return v;
  }

  async underlying(a: Address): Promise<Underlying> {
    let v = this.underlyings.get(a);
    if (!v) this.underlyings.set(a, (v = getUnderlyingDecoder().decode(await this.one(a))));
    return v;
  }

  /** The price account of `asset`'s feed (throws if `oracles` has none). */
  async oracleOf(asset: Address): Promise<Address> {
    const a = await this.asset(asset);
    const o = this.oracles.get(feedKey(a.params.feedId));
    if (!o) throw new Error(`no price account for the feed of asset ${asset} (${feedKey(a.params.feedId)})`);
    return o;
  }

  /** What the rule needs of an asset: its price account (by feed id) and its mapping. */
  async assetInfo(asset: Address): Promise<AssetInfo> {
    const a = await this.asset(asset);
    const rateAccount = a.rateSource !== RateSource.None ? a.rateAccount : undefined;
    return { oracle: this.oracles.get(feedKey(a.params.feedId)), group: a.params.group, rateAccount };
  }

  async instrumentUnderlying(instrument: Address): Promise<Address> {
    return (await this.instrument(instrument)).underlying;
  }

  /** A collateral asset into `r`: itself, its price account, the underlying it is mapped to. */
  addAsset(r: RemainingAccounts, asset: Address): Promise<RemainingAccounts> {
    return addAssetTo(r, asset, this);
  }

  /** An instrument and its underlying into `r`. */
  addInstrument(r: RemainingAccounts, instrument: Address): Promise<RemainingAccounts> {
    return addInstrumentTo(r, instrument, this);
  }

  /** Everything a margin check of `acc` needs into `r`: balances, then positions. */
  addAccount(r: RemainingAccounts, acc: AccountHoldings): Promise<RemainingAccounts> {
    return addAccountTo(r, acc, this);
  }

  /** The remaining accounts a margin check of `accounts` needs, in the rule's order. */
  async checkAccounts(accounts: AccountHoldings[]): Promise<Address[]> {
    const r = new RemainingAccounts();
    for (const acc of accounts) await this.addAccount(r, acc);
    return r.keys();
  }

  /** As metas: read-only, the instruments writable when `writableInstruments` (liquidations). */
  checkMetas(accounts: AccountHoldings[], opts: { writableInstruments?: boolean } = {}): Promise<AccountMeta[]> {
    return marginCheckAccounts(accounts, this, opts.writableInstruments ?? false);
  }
}

/** What the rule needs to know of an asset (crates/client's `AssetInfo`): its price account,
 * its mapping, and a receipt token's pinned exchange-rate account. */
export type AssetInfo = { oracle?: Address; group: number; rateAccount?: Address };

/** The market as a client knows it (crates/client's `MarketAccounts`): `MarketIndex` fetches
 * it from a chain; tests/fixture.test.ts gives it from the Rust fixture. */
export interface MarketAccounts {
  assetInfo(asset: Address): Promise<AssetInfo>;
  instrumentUnderlying(instrument: Address): Promise<Address>;
}

/** The balances and positions of a margin account (a decoded `MarginAccountData` is one). */
export type AccountHoldings = { balances: readonly { asset: Address }[]; positions: readonly { instrument: Address }[] };

export async function addAssetTo(r: RemainingAccounts, asset: Address, market: MarketAccounts): Promise<RemainingAccounts> {
  const info = await market.assetInfo(asset);
  const mapped = info.group !== NO_GROUP ? await underlyingPda(info.group) : undefined;
  return r.asset(asset, info.oracle, mapped, info.rateAccount);
}

export async function addInstrumentTo(r: RemainingAccounts, instrument: Address, market: MarketAccounts): Promise<RemainingAccounts> {
  return r.instrument(instrument, await market.instrumentUnderlying(instrument));
}

/** The rule for one account: its balances (asset, price account, mapped underlying), then its
 * positions (instrument, underlying). */
export async function addAccountTo(r: RemainingAccounts, acc: AccountHoldings, market: MarketAccounts): Promise<RemainingAccounts> {
  for (const b of acc.balances) await addAssetTo(r, b.asset, market);
  for (const p of acc.positions) await addInstrumentTo(r, p.instrument, market);
  return r;
}

/** The remaining accounts of a margin check of `accounts` (a trade: both sides; a liquidation:
 * the liquidatee then the liquidator, `writableInstruments`), crates/client's
 * `margin_check_accounts`. */
export async function marginCheckAccounts(accounts: AccountHoldings[], market: MarketAccounts, writableInstruments = false): Promise<AccountMeta[]> {
  const r = new RemainingAccounts();
  for (const a of accounts) await addAccountTo(r, a, market);
  return r.metas(writableInstruments);
}

/** The rule's four groups, filled from accounts (`MarketIndex.addAccount`) or by hand. */
export class RemainingAccounts {
  readonly assets: Address[] = [];
  readonly oracles: Address[] = [];
  readonly underlyings: Address[] = [];
  readonly instruments: Address[] = [];

  private static push(v: Address[], k: Address) {
    if (!v.includes(k)) v.push(k);
  }

  /** A collateral asset, its price account (then a receipt token's rate account), and (mapped)
   * the underlying it moves with. */
  asset(asset: Address, oracle?: Address, mappedUnderlying?: Address, rateAccount?: Address): this {
    RemainingAccounts.push(this.assets, asset);
    if (oracle) RemainingAccounts.push(this.oracles, oracle);
    if (rateAccount) RemainingAccounts.push(this.oracles, rateAccount);
    if (mappedUnderlying) RemainingAccounts.push(this.underlyings, mappedUnderlying);
    return this;
  }

  underlying(underlying: Address): this {
    RemainingAccounts.push(this.underlyings, underlying);
    return this;
  }

  /** An instrument and its underlying. */
  instrument(instrument: Address, underlying?: Address): this {
    if (underlying) RemainingAccounts.push(this.underlyings, underlying);
    RemainingAccounts.push(this.instruments, instrument);
    return this;
  }

  /** The addresses in the rule's order, each once. */
  keys(): Address[] {
    const out: Address[] = [];
    for (const k of [...this.assets, ...this.oracles, ...this.underlyings, ...this.instruments]) RemainingAccounts.push(out, k);
    return out;
  }

  metas(writableInstruments = false): AccountMeta[] {
    return this.keys().map((k) => ({
      address: k,
      role: writableInstruments && this.instruments.includes(k) ? AccountRole.WRITABLE : AccountRole.READONLY,
    }));
  }
}
