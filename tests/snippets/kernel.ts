import { RiskKernel } from '@portfolio-margin/sdk/kernel';

// Margin before and after a proposed trade, and liquidation prices, computed in the client by
// the program's risk kernel compiled to WebAssembly: the same numbers as `pm risk`, to the bit.
export async function simulateTrade(portfolioJson: string) {
  const kernel = await RiskKernel.load(); // Node: app/sdk/wasm/risk_kernel.wasm; browsers: fetched
  const { before, after } = kernel.whatIf({
    portfolio: portfolioJson,
    trades: [{ underlying: 'ETH', type: 'call', strike: 3200, expiry_years: 0.25, vol: 0.65, lot_size: 0.01, lots: -100 }],
  });
  const largestSell = kernel.maxTrade({ portfolio: portfolioJson, side: 'sell', trade: { underlying: 'ETH', type: 'perp', lot_size: 0.01 } });
  const liquidation = kernel.liquidationPrices(portfolioJson).underlyings; // [{ name, spot, down, up }]
  return { initialBefore: before.initial, initialAfter: after.initial, largestSell: largestSell.lots, liquidation };
}
