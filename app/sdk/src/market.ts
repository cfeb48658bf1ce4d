// The one remaining-accounts rule of a margin check (the program's `margin::view`; in Rust:
// app/keeper/src/book.rs `check_accounts` and crates/localnet): for each account checked, in
// order, each balance's CollateralAsset, the Pyth PriceUpdateV2 account of its feed and, for an
// asset mapped to a risk group, that Underlying; then each position's Instrument and its
// Underlying. Each address once (the program refuses duplicates), accounts after the first
// adding only what is new. Liquidations take the instruments writable (open interest moves).
import { AccountRole, type AccountMeta, type Address } from '@solana/kit';
import type { AccountSource } from './chain.ts';
import { NO_GROUP } from './constants.ts';
import { getCollateralAssetDecoder, type CollateralAsset } from './generated/accounts/collateralAsset.ts';
import { getUnderlyingDecoder, type Underlying } from './generated/accounts/underlying.ts';
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
export class MarketIndex {
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

  /** The remaining accounts a margin check of `accounts` needs, in the rule's order. */
  async checkAccounts(accounts: MarginAccountData[]): Promise<Address[]> {
    const out: Address[] = [];
    const push = (k: Address) => {
      if (!out.includes(k)) out.push(k);
    };
    for (const acc of accounts) {
      for (const b of acc.balances) {
        push(b.asset);
        const a = await this.asset(b.asset);
        const o = this.oracles.get(feedKey(a.params.feedId));
        if (o) push(o);
        if (a.params.group !== NO_GROUP) push(await underlyingPda(a.params.group));
      }
      for (const p of acc.positions) {
        push(p.instrument);
        push((await this.instrument(p.instrument)).underlying);
      }
    }
    return out;
  }

  /** `checkAccounts` as read-only metas; instruments writable when `writableInstruments`. */
  async checkMetas(accounts: MarginAccountData[], opts: { writableInstruments?: boolean } = {}): Promise<AccountMeta[]> {
    const keys = await this.checkAccounts(accounts);
    const metas: AccountMeta[] = [];
    for (const k of keys) {
      const writable = opts.writableInstruments && (await this.isInstrument(k));
      metas.push({ address: k, role: writable ? AccountRole.WRITABLE : AccountRole.READONLY });
    }
    return metas;
  }

  private async isInstrument(k: Address): Promise<boolean> {
    if (this.instruments.has(k)) return true;
    const [acc] = await this.source.getAccounts([k]);
    try {
      if (acc) this.instruments.set(k, decodeInstrument(acc.data));
      return !!acc && this.instruments.has(k);
    } catch {
      return false;
    }
  }
}

/** `metas` followed by those of `extra` not in it yet (an address once). */
export function appendUnique(metas: AccountMeta[], extra: AccountMeta[]): AccountMeta[] {
  const out = [...metas];
  for (const m of extra) if (!out.some((o) => o.address === m.address)) out.push(m);
  return out;
}
