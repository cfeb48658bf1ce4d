import { MarketIndex, RpcChain, oracles } from '@portfolio-margin/sdk';
import type { Address } from '@solana/kit';

// A cluster, and the index the builders read accounts through (Pyth price accounts by feed id).
export function connect(rpcUrl: string, priceAccounts: [Uint8Array, Address][]) {
  const chain = new RpcChain(rpcUrl);
  const market = new MarketIndex(chain, oracles(priceAccounts));
  return { chain, market };
}
