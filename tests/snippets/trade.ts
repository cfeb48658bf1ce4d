import { price, sendInstructions, tradeInstruction, type Chain, type MarketIndex, type TradeSide } from '@portfolio-margin/sdk';
import type { Address, TransactionSigner } from '@solana/kit';

// A maker's quote taken: `lots` the taker buys at `px` per unit. Both sides sign (their
// signers ride in the instruction); the SDK adds both margin checks' accounts and the budget.
export async function trade(
  chain: Chain,
  market: MarketIndex,
  q: { instrument: Address; maker: TradeSide; taker: TradeSide; lots: bigint; px: number; nonce: bigint; now: bigint },
  payer: TransactionSigner = q.taker.signer,
) {
  const ix = await tradeInstruction(market, {
    instrument: q.instrument,
    maker: q.maker,
    taker: q.taker,
    lots: q.lots,
    price: price(q.px),
    quoteExpiry: q.now + 60n,
    nonce: q.nonce,
  });
  return sendInstructions(chain, payer, [ix]);
}
