// Instruction builders for what generation cannot assemble: the margin-checked instructions
// with every remaining account (the rule in market.ts), the crank, a liquidation that
// follows the program's own plan, and the venue instructions keyed by the venue program (as
// pm_client::ix takes them; the generated ones want the `Venue` and approval PDAs). Two levels, as in the Rust client crate (crates/client/src/
// ix.rs): `xxxIx(accounts, args, remaining)` takes the remaining accounts ready-made (what
// tests/fixture.test.ts compares byte for byte with the Rust builders), and
// `xxxInstruction(market, ...)` fetches the accounts it needs and applies the rule. The fixed
// accounts come from Codama's generated builders (PDAs resolved by their async variants).
import { AccountRole, type AccountMeta, type Address, type Instruction, type TransactionSigner } from '@solana/kit';
import { getDepositInstructionAsync } from './generated/instructions/deposit.ts';
import { getInstrumentRefreshInstructionAsync } from './generated/instructions/instrumentRefresh.ts';
import { getLiquidateInstructionAsync } from './generated/instructions/liquidate.ts';
import { getLiquidationFlagInstructionAsync } from './generated/instructions/liquidationFlag.ts';
import { getLiquidationPlanInstructionAsync } from './generated/instructions/liquidationPlan.ts';
import { getMarginReportInstructionAsync } from './generated/instructions/marginReport.ts';
import { getResolveBankruptcyInstructionAsync } from './generated/instructions/resolveBankruptcy.ts';
import { getSettlePositionInstructionAsync } from './generated/instructions/settlePosition.ts';
import { getTradeInstructionAsync } from './generated/instructions/trade.ts';
import { getUnderlyingRefreshInstructionAsync } from './generated/instructions/underlyingRefresh.ts';
import { getVenueApproveInstructionAsync } from './generated/instructions/venueApprove.ts';
import { getVenueRegisterInstructionAsync } from './generated/instructions/venueRegister.ts';
import { getVenueRevokeInstruction } from './generated/instructions/venueRevoke.ts';
import { getVenueTradeInstructionAsync } from './generated/instructions/venueTrade.ts';
import { getVenueUpdateInstructionAsync } from './generated/instructions/venueUpdate.ts';
import { getWithdrawInstructionAsync } from './generated/instructions/withdraw.ts';
import type { LiquidateArgsArgs, LiquidationPlan, VenueParamsArgs } from './generated/types/index.ts';
import { TOKEN_PROGRAM_ID } from './constants.ts';
import { LiquidationScope } from './generated/types/index.ts';
import { RemainingAccounts, type MarketIndex } from './market.ts';
import { assetPda, vaultPda, venueApprovalPda, venueAuthorityPda, venuePda } from './pda.ts';
import type { MarginAccountData } from './zeroCopy.ts';

/** `ix` with `remaining` appended to its accounts. */
export function withRemaining<T extends Instruction>(ix: T, remaining: readonly AccountMeta[]): T {
  return { ...ix, accounts: [...(ix.accounts ?? []), ...remaining] };
}

/** The quote asset an account's liquidation or bankruptcy settles in: its first recorded one. */
function defaultQuote(acc: MarginAccountData): Address {
  const q = acc.quoteNeeds[0] ?? acc.balances[0]?.asset;
  if (!q) throw new Error('the account has no quote asset: pass quoteAsset');
  return q;
}

// ---- with the remaining accounts given (the Rust builders' shape) ----

export type TradeAccounts = {
  underlying: Address;
  instrument: Address;
  quoteAsset: Address;
  makerAccount: Address;
  maker: TransactionSigner;
  takerAccount: Address;
  taker: TransactionSigner;
};
export type TradeArgs = { lots: bigint | number; price: bigint; quoteExpiry: bigint | number; nonce: bigint | number };

/** `trade` signed by both sides; `remaining` covers both accounts' margin checks. */
export async function tradeIx(t: TradeAccounts, args: TradeArgs, remaining: readonly AccountMeta[]) {
  return withRemaining(await getTradeInstructionAsync({ ...t, ...args }), remaining);
}

/** A venue fill's market and sides: `TradeAccounts` without the owners' signatures (the approvals stand in for them). */
export type VenueTradeAccounts = Omit<TradeAccounts, 'maker' | 'taker'>;
/** `VenueTradeArgs`: `lots` the taker buys (> 0) or sells (< 0) at `price` per unit (Price raw). */
export type VenueTradeArgs = { lots: bigint | number; price: bigint | number };

/**
 * `venue_trade`: a fill through the venue of `venueProgram`, signed by `authority` (its
 * registered key; a venue program signs by CPI with `venueAuthorityPda(venueProgram)`). The
 * venue and both approvals are derived; `remaining` as for `tradeIx` (pm_client::ix::venue_trade).
 */
export async function venueTradeIx(
  t: VenueTradeAccounts,
  venueProgram: Address,
  authority: TransactionSigner,
  args: VenueTradeArgs,
  remaining: readonly AccountMeta[],
) {
  const venue = await venuePda(venueProgram);
  const [makerApproval, takerApproval] = await Promise.all([
    venueApprovalPda(t.makerAccount, venue),
    venueApprovalPda(t.takerAccount, venue),
  ]);
  const ix = await getVenueTradeInstructionAsync({
    underlying: t.underlying, instrument: t.instrument, quoteAsset: t.quoteAsset,
    makerAccount: t.makerAccount, takerAccount: t.takerAccount,
    venue, authority, makerApproval, takerApproval, lots: args.lots, price: args.price,
  });
  return withRemaining(ix, remaining);
}

/** `margin_report` (a view: simulate it, decode with `getMarginSummaryDecoder`). */
export async function marginReportIx(marginAccount: Address, remaining: readonly AccountMeta[]) {
  return withRemaining(await getMarginReportInstructionAsync({ marginAccount }), remaining);
}

/** `liquidation_flag`: starts (or clears) an account's auction clock. */
export async function liquidationFlagIx(marginAccount: Address, remaining: readonly AccountMeta[]) {
  return withRemaining(await getLiquidationFlagInstructionAsync({ marginAccount }), remaining);
}

/** `liquidation_plan` (a view: simulate it, decode with `getLiquidationPlanDecoder`). */
export async function liquidationPlanIx(quoteAsset: Address, marginAccount: Address, remaining: readonly AccountMeta[]) {
  return withRemaining(await getLiquidationPlanInstructionAsync({ quoteAsset, marginAccount }), remaining);
}

/** `liquidate`; `remaining` covers the liquidatee and the liquidator, instruments writable. */
export async function liquidateIx(
  l: { quoteAsset: Address; liquidatee: Address; liquidatorAccount: Address; liquidator: TransactionSigner },
  args: LiquidateArgsArgs,
  remaining: readonly AccountMeta[],
) {
  return withRemaining(await getLiquidateInstructionAsync({ ...l, args }), remaining);
}

/** `withdraw` of `amount` native units of `mint` to `destination`. */
export async function withdrawIx(
  w: { marginAccount: Address; mint: Address; destination: Address; owner: TransactionSigner; tokenProgram?: Address },
  amount: bigint | number,
  remaining: readonly AccountMeta[],
) {
  const ix = await getWithdrawInstructionAsync({
    marginAccount: w.marginAccount,
    mint: w.mint,
    vault: await vaultPda(w.mint),
    destination: w.destination,
    owner: w.owner,
    tokenProgram: w.tokenProgram ?? TOKEN_PROGRAM_ID,
    amount,
  });
  return withRemaining(ix, remaining);
}

/** `resolve_bankruptcy` of an account left with only a debt in `quoteAsset`. */
export async function resolveBankruptcyIx(quoteAsset: Address, marginAccount: Address, remaining: readonly AccountMeta[]) {
  return withRemaining(await getResolveBankruptcyInstructionAsync({ quoteAsset, marginAccount }), remaining);
}

/**
 * `settle_position`: an expired position (anyone), or a live future's or perpetual's P&L
 * realized by the owner or delegate `realizer` (the first remaining account, a signer).
 */
export async function settlePositionIx(s: {
  underlying: Address; instrument: Address; quoteAsset: Address; marginAccount: Address; realizer?: TransactionSigner;
}) {
  const ix = await getSettlePositionInstructionAsync({
    underlying: s.underlying, instrument: s.instrument, quoteAsset: s.quoteAsset, marginAccount: s.marginAccount,
  });
  const realizer = s.realizer ? [{ address: s.realizer.address, role: AccountRole.READONLY_SIGNER, signer: s.realizer } as AccountMeta] : [];
  return withRemaining(ix, realizer);
}

/** `deposit` of `amount` native units of `mint` from the `source` token account. */
export async function depositInstruction(d: {
  marginAccount: Address; mint: Address; source: Address; depositor: TransactionSigner; amount: bigint | number; tokenProgram?: Address; vault?: Address;
}) {
  return getDepositInstructionAsync({
    marginAccount: d.marginAccount,
    mint: d.mint,
    vault: d.vault ?? (await vaultPda(d.mint)),
    source: d.source,
    depositor: d.depositor,
    tokenProgram: d.tokenProgram ?? TOKEN_PROGRAM_ID,
    amount: d.amount,
  });
}

// ---- venues: registration and approvals (no margin check, no remaining accounts) ----
// Keyed by the venue program like pm_client::ix. The generated `getVenueRegisterInstructionAsync`
// derives the venue from `venueProgram` already; `getVenueApproveInstructionAsync` derives the
// approval but wants the `Venue` PDA; `getVenueUpdateInstructionAsync` and
// `getVenueRevokeInstruction` derive nothing (the revoke's seeds are the approval's own data).

/**
 * `venue_register` signed by the risk authority: `venueProgram` signing fills with `authority`
 * (default: the program's `venueAuthorityPda(venueProgram)`, what a CPI-signing venue uses).
 */
export async function venueRegisterInstruction(r: {
  riskAuthority: TransactionSigner; venueProgram: Address; authority?: Address; params: VenueParamsArgs;
}) {
  return getVenueRegisterInstructionAsync({
    riskAuthority: r.riskAuthority,
    venueProgram: r.venueProgram,
    authority: r.authority ?? (await venueAuthorityPda(r.venueProgram)),
    params: r.params,
  });
}

/** `venue_update`: the venue's scope, open-interest cap and active flag, signed by the risk authority. */
export async function venueUpdateInstruction(u: { riskAuthority: TransactionSigner; venueProgram: Address; params: VenueParamsArgs }) {
  return getVenueUpdateInstructionAsync({ riskAuthority: u.riskAuthority, venue: await venuePda(u.venueProgram), params: u.params });
}

/** `venue_approve`: the margin account's owner (not its delegate) lets the venue of `venueProgram` fill at most `maxLotsPerTrade` lots per trade. */
export async function venueApproveInstruction(a: {
  marginAccount: Address; owner: TransactionSigner; venueProgram: Address; maxLotsPerTrade: bigint | number;
}) {
  return getVenueApproveInstructionAsync({
    marginAccount: a.marginAccount, venue: await venuePda(a.venueProgram), owner: a.owner, maxLotsPerTrade: a.maxLotsPerTrade,
  });
}

/** `venue_revoke`: the owner closes its account's approval of the venue of `venueProgram` (rent back to the owner). */
export async function venueRevokeInstruction(r: { marginAccount: Address; owner: TransactionSigner; venueProgram: Address }) {
  const approval = await venueApprovalPda(r.marginAccount, await venuePda(r.venueProgram));
  return getVenueRevokeInstruction({ approval, owner: r.owner });
}

// ---- with the remaining accounts found by the rule ----

/** `margin_report` of `marginAccount` with its remaining accounts. */
export async function marginReportInstruction(market: MarketIndex, marginAccount: Address) {
  return marginReportIx(marginAccount, await market.checkMetas([await market.marginAccount(marginAccount)]));
}

export async function liquidationFlagInstruction(market: MarketIndex, marginAccount: Address) {
  return liquidationFlagIx(marginAccount, await market.checkMetas([await market.marginAccount(marginAccount)]));
}

export async function liquidationPlanInstruction(market: MarketIndex, marginAccount: Address, quoteAsset?: Address) {
  const acc = await market.marginAccount(marginAccount);
  return liquidationPlanIx(quoteAsset ?? defaultQuote(acc), marginAccount, await market.checkMetas([acc]));
}

export type TradeSide = { account: Address; signer: TransactionSigner };

/**
 * A fill's market (instrument, its underlying and quote asset) and remaining accounts: the rule
 * over both sides as they will be after the fill (maker's, then taker's balances and positions,
 * then the quote asset the premium or cost settles in and the traded instrument, where not
 * already held). Shared by `trade` and `venue_trade`.
 */
async function fillAccounts(market: MarketIndex, instrument: Address, makerAccount: Address, takerAccount: Address) {
  const inst = await market.instrument(instrument);
  const und = await market.underlying(inst.underlying);
  const [maker, taker] = await Promise.all([market.marginAccount(makerAccount), market.marginAccount(takerAccount)]);
  const r = new RemainingAccounts();
  await market.addAccount(r, maker);
  await market.addAccount(r, taker);
  await market.addAsset(r, und.quoteAsset);
  await market.addInstrument(r, instrument);
  const accounts: VenueTradeAccounts = { underlying: inst.underlying, instrument, quoteAsset: und.quoteAsset, makerAccount, takerAccount };
  return { accounts, remaining: r.metas() };
}

/**
 * `trade`: the maker's quote (`lots` the taker buys at `price` per unit, Price raw) moves a
 * position. Remaining accounts: the rule over both sides as they will be after the trade
 * (maker's, then taker's balances and positions, then the quote asset the premium or cost
 * settles in and the traded instrument, where not already held).
 */
export async function tradeInstruction(
  market: MarketIndex,
  t: { instrument: Address; maker: TradeSide; taker: TradeSide } & TradeArgs,
) {
  const { accounts, remaining } = await fillAccounts(market, t.instrument, t.maker.account, t.taker.account);
  return tradeIx(
    { ...accounts, maker: t.maker.signer, taker: t.taker.signer },
    { lots: t.lots, price: t.price, quoteExpiry: t.quoteExpiry, nonce: t.nonce },
    remaining,
  );
}

/**
 * `venue_trade`: the venue of `venueProgram` fills `lots` (the taker's) at `price` between two
 * margin accounts that approved it, signed by its registered `authority`. Remaining accounts by
 * the same rule as `tradeInstruction`. A venue program that makes this call by CPI passes the
 * same accounts in the same order: take them from this instruction's `accounts`.
 */
export async function venueTradeInstruction(
  market: MarketIndex,
  v: { instrument: Address; makerAccount: Address; takerAccount: Address; venueProgram: Address; authority: TransactionSigner } & VenueTradeArgs,
) {
  const { accounts, remaining } = await fillAccounts(market, v.instrument, v.makerAccount, v.takerAccount);
  return venueTradeIx(accounts, v.venueProgram, v.authority, { lots: v.lots, price: v.price }, remaining);
}

/** `withdraw`, with the margin check's remaining accounts. */
export async function withdrawInstruction(
  market: MarketIndex,
  w: { marginAccount: Address; mint: Address; destination: Address; owner: TransactionSigner; amount: bigint | number; tokenProgram?: Address },
) {
  const r = await market.addAccount(new RemainingAccounts(), await market.marginAccount(w.marginAccount));
  await market.addAsset(r, await assetPda(w.mint));
  return withdrawIx(w, w.amount, r.metas());
}

/**
 * `liquidate` of `liquidatee` by `liquidator` (owner or delegate of `liquidatorAccount`):
 * remaining accounts of both margin checks (instruments writable) and the quote asset's.
 */
export async function liquidateInstruction(
  market: MarketIndex,
  l: { liquidatee: Address; liquidatorAccount: Address; liquidator: TransactionSigner; args: LiquidateArgsArgs; quoteAsset?: Address },
) {
  const [victim, mine] = await Promise.all([market.marginAccount(l.liquidatee), market.marginAccount(l.liquidatorAccount)]);
  const quoteAsset = l.quoteAsset ?? defaultQuote(victim);
  const r = new RemainingAccounts();
  await market.addAccount(r, victim);
  await market.addAccount(r, mine);
  await market.addAsset(r, quoteAsset);
  return liquidateIx({ quoteAsset, liquidatee: l.liquidatee, liquidatorAccount: l.liquidatorAccount, liquidator: l.liquidator }, l.args, r.metas(true));
}

/**
 * The `liquidate` the program's plan names: its listed request when it fits, else the compact
 * form (`scope`: the program expands it and finds the same share at execution).
 */
export async function liquidateByPlanInstruction(
  market: MarketIndex,
  plan: LiquidationPlan,
  l: { liquidatee: Address; liquidatorAccount: Address; liquidator: TransactionSigner; quoteAsset?: Address; compact?: boolean },
) {
  if (!plan.liquidatable) throw new Error('the plan says the account is not liquidatable');
  const listed = plan.request.positions.length + plan.request.collateral.length > 0;
  const scope = plan.scope === LiquidationScope.Listed ? LiquidationScope.Everything : plan.scope;
  const args: LiquidateArgsArgs = listed && !l.compact ? plan.request : { positions: [], collateral: [], scope };
  return liquidateInstruction(market, { ...l, args });
}

/** `resolve_bankruptcy` with the margin check's remaining accounts. */
export async function resolveBankruptcyInstruction(market: MarketIndex, marginAccount: Address, quoteAsset?: Address) {
  const acc = await market.marginAccount(marginAccount);
  const q = quoteAsset ?? defaultQuote(acc);
  const r = await market.addAccount(new RemainingAccounts(), acc);
  await market.addAsset(r, q);
  return resolveBankruptcyIx(q, marginAccount, r.metas());
}

/**
 * The crank of one underlying: a new snapshot from `priceUpdate`, then each instrument's risk
 * cache at it. Send them in one transaction (README "The crank"); more than 7 instruments:
 * the first 7 with the snapshot, the rest 8 per transaction (as localnet does).
 */
export async function crankInstructions(underlying: Address, priceUpdate: Address, instruments: Address[]): Promise<Instruction[][]> {
  const refresh = await getUnderlyingRefreshInstructionAsync({ underlying, priceUpdate });
  const each = await Promise.all(instruments.map((instrument) => getInstrumentRefreshInstructionAsync({ underlying, instrument })));
  const batches: Instruction[][] = [[refresh, ...each.slice(0, 7)]];
  for (let i = 7; i < each.length; i += 8) batches.push(each.slice(i, i + 8));
  return batches;
}
