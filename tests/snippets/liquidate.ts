import {
  getLiquidationPlanDecoder,
  liquidateByPlanInstruction,
  liquidationPlanInstruction,
  sendInstructions,
  simulateView,
  type Chain,
  type MarketIndex,
} from '@portfolio-margin/sdk';
import type { Address, TransactionSigner } from '@solana/kit';

// Liquidation as the program plans it: simulate `liquidation_plan` (a view), then send the
// `liquidate` it names, signed by the liquidator (owner of `liquidatorAccount`).
export async function liquidateByPlan(chain: Chain, market: MarketIndex, liquidatee: Address, liquidator: TransactionSigner, liquidatorAccount: Address) {
  const plan = await simulateView(chain, liquidator, await liquidationPlanInstruction(market, liquidatee), getLiquidationPlanDecoder());
  if (!plan.liquidatable) return { plan, sent: null };
  const ix = await liquidateByPlanInstruction(market, plan, { liquidatee, liquidatorAccount, liquidator });
  return { plan, sent: await sendInstructions(chain, liquidator, [ix]) };
}
