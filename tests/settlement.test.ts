// A delegate trading for an account, and expiry settlement, through the SDK on the .so: the
// delegate gets fair value or better (typed DelegatePriceWorse otherwise); after expiry the
// Pyth update that straddles it fixes the settlement price and both positions settle into cash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSigner } from '@solana/kit';
import {
  PortfolioMarginError,
  encodePriceUpdateV2,
  eventsNamed,
  generated as g,
  price,
  PYTH_RECEIVER_PROGRAM_ID,
  sendInstructions,
  settlePositionIx,
  tradeInstruction,
} from '@portfolio-margin/sdk';
import { DAY, Market, SOL_FEED, USDC } from './helpers/market.ts';

test('delegate trades, then the future expires and both sides settle at the straddling update', async () => {
  const m = await Market.create();
  const expiry = m.chain.now() + DAY;
  const fut = await m.future(expiry);
  await m.crank(100);
  const maker = await m.trader(100_000n * USDC);
  const taker = await m.trader(10_000n * USDC);
  const bot = await m.chain.funded();
  await sendInstructions(m.chain, taker.key, [g.getAccountSetDelegateInstruction({ marginAccount: taker.margin, owner: taker.key, delegate: bot.address })]);
  assert.equal((await m.index.marginAccount(taker.margin)).delegate, bot.address);

  const quote = (px: number, nonce: bigint) =>
    tradeInstruction(m.index, {
      instrument: fut, maker: { account: maker.margin, signer: maker.key }, taker: { account: taker.margin, signer: bot },
      lots: 5n, price: price(px), quoteExpiry: m.chain.now() + 60n, nonce,
    });
  // Above fair value (the one-day forward, ~100.01) a delegate may not buy.
  await assert.rejects(sendInstructions(m.chain, bot, [await quote(105, 1n)]), (e: unknown) => e instanceof PortfolioMarginError && e.is('DelegatePriceWorse'));
  await sendInstructions(m.chain, bot, [await quote(100, 2n)]);
  assert.equal((await m.index.marginAccount(taker.margin)).positions[0].lots, 5n);

  // Past expiry: the update whose previous publish time is before expiry and whose own is at
  // or after it fixes the settlement price (SOL at 110).
  m.chain.warp(DAY + 10n);
  const update = (await generateKeyPairSigner()).address;
  m.chain.write(
    update,
    PYTH_RECEIVER_PROGRAM_ID,
    encodePriceUpdateV2({ feedId: SOL_FEED, price: 11_000_000_000n, conf: 1_000_000n, exponent: -8, publishTime: expiry + 5n, prevPublishTime: expiry - 1n }),
  );
  const fixed = await sendInstructions(m.chain, m.payer, [await g.getSettlePriceSetInstructionAsync({ underlying: m.sol, instrument: fut, priceUpdate: update })]);
  assert.equal(eventsNamed(fixed.events, 'SettlementPriceSet').length, 1);
  const before = (await m.index.marginAccount(taker.margin)).balances[0].amount;
  for (const account of [taker.margin, maker.margin])
    await sendInstructions(m.chain, m.payer, [await settlePositionIx({ underlying: m.sol, instrument: fut, quoteAsset: m.usdc, marginAccount: account })]);
  const after = await m.index.marginAccount(taker.margin);
  assert.equal(after.positions.length, 0);
  assert.equal(after.balances[0].amount - before, 5n * 10n * USDC, 'long 5 at 100, settled at 110');
  assert.equal((await m.index.marginAccount(maker.margin)).positions.length, 0);
});
