// The loss waterfall through the SDK on the .so: a crash no margin covers, `resolve_bankruptcy`
// refused (typed NotBankrupt) while the account holds a position, the program's plan takes
// everything, then the insurance fund pays what it holds and the rest is socialized
// (InsuranceCovered, LossSocialized events).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PortfolioMarginError,
  depositInstruction,
  eventsNamed,
  fromMoney,
  getLiquidationPlanDecoder,
  getMarginSummaryDecoder,
  insurancePda,
  liquidateByPlanInstruction,
  liquidationPlanInstruction,
  marginReportInstruction,
  resolveBankruptcyInstruction,
  sendInstructions,
  simulateView,
} from '@portfolio-margin/sdk';
import { Market, USDC } from './helpers/market.ts';
import { trade } from './snippets/trade.ts';

test('bankruptcy: liquidated whole by the plan, then insurance fund, then socialized', async () => {
  const m = await Market.create();
  const fut = await m.future();
  await m.crank(100);
  const maker = await m.trader(1_000_000n * USDC);
  const victim = await m.trader(200n * USDC);
  const liquidator = await m.trader(100_000n * USDC);
  const saver = await m.trader(10_000n * USDC);
  // A small insurance fund: anyone may deposit the quote asset into it.
  const wallet = await m.chain.tokenAccount(m.usdcMint, saver.key.address, 30n * USDC);
  await sendInstructions(m.chain, saver.key, [
    await depositInstruction({ marginAccount: await insurancePda(), mint: m.usdcMint, source: wallet, depositor: saver.key, amount: 30n * USDC }),
  ]);
  const side = (t: typeof maker) => ({ account: t.margin, signer: t.key });
  await trade(m.chain, m.index, { instrument: fut, maker: side(maker), taker: side(victim), lots: 10n, px: 100, nonce: 1n, now: m.chain.now() });

  await m.crank(60);
  const r = await simulateView(m.chain, m.payer, await marginReportInstruction(m.index, victim.margin), getMarginSummaryDecoder());
  assert.ok(r.equity < 0n, `equity ${fromMoney(r.equity)}`);
  await assert.rejects(
    sendInstructions(m.chain, m.payer, [await resolveBankruptcyInstruction(m.index, victim.margin)]),
    (e: unknown) => e instanceof PortfolioMarginError && e.is('NotBankrupt'),
  );

  const plan = await simulateView(m.chain, liquidator.key, await liquidationPlanInstruction(m.index, victim.margin), getLiquidationPlanDecoder());
  assert.ok(plan.liquidatable && !plan.reachesTarget, 'nothing restores it: everything goes');
  assert.equal(plan.request.positions[0].lots, 10n);
  await sendInstructions(m.chain, liquidator.key, [
    await liquidateByPlanInstruction(m.index, plan, { liquidatee: victim.margin, liquidatorAccount: liquidator.margin, liquidator: liquidator.key }),
  ]);
  const v = await m.index.marginAccount(victim.margin);
  assert.equal(v.positions.length, 0);
  const debt = -v.balances[0].amount;
  const fund = (await m.index.marginAccount(await insurancePda())).balances[0].amount;
  assert.ok(debt > fund && fund >= 30n * USDC, `debt ${debt} beyond the fund ${fund}`);

  const sent = await sendInstructions(m.chain, m.payer, [await resolveBankruptcyInstruction(m.index, victim.margin)]);
  const covered = eventsNamed<{ amount: bigint }>(sent.events, 'InsuranceCovered');
  const socialized = eventsNamed<{ amount: bigint }>(sent.events, 'LossSocialized');
  assert.equal(covered.length, 1);
  assert.equal(socialized.length, 1);
  assert.equal((await m.index.marginAccount(victim.margin)).balances.length, 0, 'the debt is gone');
  assert.equal((await m.index.marginAccount(await insurancePda())).balances.length, 0, 'the fund paid all it had');
  console.log(`bankruptcy: debt ${Number(debt) / 1e6} USDC, insurance fund ${Number(fund) / 1e6}, the rest socialized`);
});
