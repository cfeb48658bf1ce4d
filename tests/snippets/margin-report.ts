import {
  fromMoney,
  getMarginSummaryDecoder,
  marginReportInstruction,
  simulateView,
  type Chain,
  type MarketIndex,
} from '@portfolio-margin/sdk';
import type { Address, TransactionSigner } from '@solana/kit';

// An account's margin, computed by the program itself: `margin_report` simulated (with every
// remaining account, the heap frame and CU limit), its return data decoded. Money is Q24.
export async function marginReport(chain: Chain, payer: TransactionSigner, market: MarketIndex, account: Address) {
  const ix = await marginReportInstruction(market, account);
  const r = await simulateView(chain, payer, ix, getMarginSummaryDecoder());
  return { equity: fromMoney(r.equity), initial: fromMoney(r.initial), maintenance: fromMoney(r.maintenance), raw: r };
}
