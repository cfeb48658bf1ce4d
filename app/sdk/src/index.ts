// @portfolio-margin/sdk: a @solana/kit client of the portfolio-margin program.
//
// Why Codama (and not Anchor's TS client): the generated code is plain @solana/kit (addresses
// are strings, instructions are kit `Instruction`s, signers ride in the account metas), the
// same types litesvm 1.x, wallets built on kit and the RPC client speak, with no web3.js 1.x
// `PublicKey`/`BN` bridge; it is typed per instruction (every account and argument named by
// the IDL, PDAs with seeds the IDL carries resolved by the async builders), tree-shakable,
// and the generator is a pinned dev dependency run by `npm run generate`, its output
// committed and checked for staleness in scripts/test.sh. Anchor's `@anchor-lang/core`
// Program client decodes the same IDL at run time but is untyped without a generated IDL
// type, drags web3.js 1.x, and does not know the zero-copy layouts better than we do.
//
// Generated (src/generated, do not edit): instruction builders and codecs, Borsh account
// decoders, defined types (and the events' structs), error constants, a few PDAs.
// Hand-written: PDAs (pda.ts), zero-copy decoders (zeroCopy.ts), events (events.ts), typed
// errors (errors.ts), the remaining-accounts rule (market.ts), builders of the margin-checked
// instructions (builders.ts), transactions with budget, v0 and lookup tables (tx.ts), a chain
// interface with a JSON-RPC implementation (chain.ts), fake Pyth prices for local chains (pyth.ts).
export * as generated from './generated/index.ts';
export {
  getMarginSummaryDecoder,
  getLiquidationPlanDecoder,
  type MarginSummary,
  type LiquidationPlan,
  type LiquidateArgsArgs,
  type CollateralParamsArgs,
  type UnderlyingParamsArgs,
  type LiquidationParamsArgs,
  type VolSurfaceArgs,
  type VenueParamsArgs,
} from './generated/types/index.ts';
export * from './constants.ts';
export * from './pda.ts';
export * from './zeroCopy.ts';
export * from './events.ts';
export * from './errors.ts';
export * from './chain.ts';
export * from './market.ts';
export * from './builders.ts';
export * from './tx.ts';
export * from './pyth.ts';
