// Instruction builders for what generation cannot assemble: the margin-checked instructions
// with every remaining account (the rule in market.ts), the crank, and a liquidation that
// follows the program's own plan. The fixed accounts come from Codama's generated builders
// (PDAs resolved by their async variants); these add the remaining accounts and defaults.
import type { AccountMeta, Address, Instruction, TransactionSigner } from '@solana/kit';
import { getDepositInstructionAsync } from './generated/instructions/deposit.ts';
import { getInstrumentRefreshInstructionAsync } from './generated/instructions/instrumentRefresh.ts';
import { getLiquidateInstructionAsync } from './generated/instructions/liquidate.ts';
import { getLiquidationFlagInstructionAsync } from './generated/instructions/liquidationFlag.ts';
import { getLiquidationPlanInstructionAsync } from './generated/instructions/liquidationPlan.ts';
import { getMarginReportInstructionAsync } from './generated/instructions/marginReport.ts';
import { getResolveBankruptcyInstructionAsync } from './generated/instructions/resolveBankruptcy.ts';
import { getTradeInstructionAsync } from './generated/instructions/trade.ts';
import { getUnderlyingRefreshInstructionAsync } from './generated/instructions/underlyingRefresh.ts';
import { getWithdrawInstructionAsync } from './generated/instructions/withdraw.ts';
import type { LiquidateArgsArgs, LiquidationPlan } from './generated/types/index.ts';
import { LiquidationScope, TOKEN_PROGRAM_ID } from './constants.ts';
import { RemainingAccounts, type MarketIndex } from './market.ts';
import { assetPda, vaultPda } from './pda.ts';
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

/** `margin_report` (a view: simulate it, decode with `getMarginSummaryDecoder`). */
export async function marginReportInstruction(market: MarketIndex, marginAccount: Address) {
  const acc = await market.marginAccount(marginAccount);
  const ix = await getMarginReportInstructionAsync({ marginAccount });
  return withRemaining(ix, await market.checkMetas([acc]));
}

/** `liquidation_flag`: starts (or clears) an account's auction clock. */
export async function liquidationFlagInstruction(market: MarketIndex, marginAccount: Address) {
  const acc = await market.marginAccount(marginAccount);
  const ix = await getLiquidationFlagInstructionAsync({ marginAccount });
  return withRemaining(ix, await market.checkMetas([acc]));
}

/** `liquidation_plan` (a view: simulate it, decode with `getLiquidationPlanDecoder`). */
export async function liquidationPlanInstruction(market: MarketIndex, marginAccount: Address, quoteAsset?: Address) {
  const acc = await market.marginAccount(marginAccount);
  const ix = await getLiquidationPlanInstructionAsync({ marginAccount, quoteAsset: quoteAsset ?? defaultQuote(acc) });
  return withRemaining(ix, await market.checkMetas([acc]));
}

export type TradeSide = { account: Address; signer: TransactionSigner };

/**
 * `trade`: the maker's quote (`lots` the taker buys at `price` per unit, Price raw) moves a
 * position. Remaining accounts: the rule over both sides as they will be after the trade
 * (maker's, then taker's balances and positions, then the quote asset the premium or cost
 * settles in and the traded instrument, where not already held).
 */
export async function tradeInstruction(
  market: MarketIndex,
  t: { instrument: Address; maker: TradeSide; taker: TradeSide; lots: bigint | number; price: bigint; quoteExpiry: bigint | number; nonce: bigint | number },
) {
  const inst = await market.instrument(t.instrument);
  const und = await market.underlying(inst.underlying);
  const [maker, taker] = await Promise.all([market.marginAccount(t.maker.account), market.marginAccount(t.taker.account)]);
  const ix = await getTradeInstructionAsync({
    underlying: inst.underlying,
    instrument: t.instrument,
    quoteAsset: und.quoteAsset,
    makerAccount: t.maker.account,
    takerAccount: t.taker.account,
    maker: t.maker.signer,
    taker: t.taker.signer,
    lots: t.lots,
    price: t.price,
    quoteExpiry: t.quoteExpiry,
    nonce: t.nonce,
  });
  const r = new RemainingAccounts();
  await market.addAccount(r, maker);
  await market.addAccount(r, taker);
  await market.addAsset(r, und.quoteAsset);
  await market.addInstrument(r, t.instrument);
  return withRemaining(ix, r.metas());
}

/** `deposit` of `amount` native units of `mint` from the `source` token account. */
export async function depositInstruction(d: {
  marginAccount: Address; mint: Address; source: Address; depositor: TransactionSigner; amount: bigint | number; tokenProgram?: Address;
}) {
  return getDepositInstructionAsync({
    marginAccount: d.marginAccount,
    mint: d.mint,
    vault: await vaultPda(d.mint),
    source: d.source,
    depositor: d.depositor,
    tokenProgram: d.tokenProgram ?? TOKEN_PROGRAM_ID,
    amount: d.amount,
  });
}

/** `withdraw`, with the margin check's remaining accounts. */
export async function withdrawInstruction(
  market: MarketIndex,
  w: { marginAccount: Address; mint: Address; destination: Address; owner: TransactionSigner; amount: bigint | number; tokenProgram?: Address },
) {
  const acc = await market.marginAccount(w.marginAccount);
  const ix = await getWithdrawInstructionAsync({
    marginAccount: w.marginAccount,
    mint: w.mint,
    vault: await vaultPda(w.mint),
    destination: w.destination,
    owner: w.owner,
    tokenProgram: w.tokenProgram ?? TOKEN_PROGRAM_ID,
    amount: w.amount,
  });
  const r = await market.addAccount(new RemainingAccounts(), acc);
  await market.addAsset(r, await assetPda(w.mint));
  return withRemaining(ix, r.metas());
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
  const ix = await getLiquidateInstructionAsync({
    quoteAsset,
    liquidatee: l.liquidatee,
    liquidatorAccount: l.liquidatorAccount,
    liquidator: l.liquidator,
    args: l.args,
  });
  const r = new RemainingAccounts();
  await market.addAccount(r, victim);
  await market.addAccount(r, mine);
  await market.addAsset(r, quoteAsset);
  return withRemaining(ix, r.metas(true));
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
  const args: LiquidateArgsArgs =
    listed && !l.compact ? plan.request : { positions: [], collateral: [], scope: plan.scope || LiquidationScope.Both };
  return liquidateInstruction(market, { ...l, args });
}

/** `resolve_bankruptcy` with the margin check's remaining accounts. */
export async function resolveBankruptcyInstruction(market: MarketIndex, marginAccount: Address, quoteAsset?: Address) {
  const acc = await market.marginAccount(marginAccount);
  const q = quoteAsset ?? defaultQuote(acc);
  const ix = await getResolveBankruptcyInstructionAsync({ quoteAsset: q, marginAccount });
  const r = await market.addAccount(new RemainingAccounts(), acc);
  await market.addAsset(r, q);
  return withRemaining(ix, r.metas());
}

/**
 * The crank of one underlying: a new snapshot from `priceUpdate`, then each instrument's risk
 * cache at it. Send them in one transaction (README "The crank"); more than about 7
 * instruments: the first 7 with the snapshot, the rest 8 per transaction (as localnet does).
 */
export async function crankInstructions(underlying: Address, priceUpdate: Address, instruments: Address[]): Promise<Instruction[][]> {
  const refresh = await getUnderlyingRefreshInstructionAsync({ underlying, priceUpdate });
  const each = await Promise.all(instruments.map((instrument) => getInstrumentRefreshInstructionAsync({ underlying, instrument })));
  const batches: Instruction[][] = [[refresh, ...each.slice(0, 7)]];
  for (let i = 7; i < each.length; i += 8) batches.push(each.slice(i, i + 8));
  return batches;
}
