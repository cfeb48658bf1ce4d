// Program-wide constants the IDL does not carry: seeds (programs/portfolio-margin/src/state/
// seeds.rs), fixed-point scales (crates/risk-kernel/src/fixed.rs), instrument kinds, liquidation
// scopes, and what every client requests from the compute-budget program (README "heap").
import { address, type Address } from '@solana/kit';
import { PORTFOLIO_MARGIN_PROGRAM_ADDRESS } from './generated/programs/index.ts';

export const PROGRAM_ID: Address = PORTFOLIO_MARGIN_PROGRAM_ADDRESS;

/** Every PDA seed of the program (state/seeds.rs). */
export const SEEDS = {
  config: 'config',
  collateral: 'collateral',
  vault: 'vault',
  vaultAuthority: 'vault-authority',
  marginAccount: 'margin',
  underlying: 'underlying',
  instrument: 'instrument',
  pendingParams: 'pending-params',
  /** A registered venue: ["venue", venue_program]. */
  venue: 'venue',
  /** A margin account's approval of a venue: ["venue-approval", margin_account, venue]. */
  venueApproval: 'venue-approval',
  /** A venue program's signing PDA, derived from the VENUE program: ["venue-authority"]. */
  venueAuthority: 'venue-authority',
} as const;

/** `VenueParams::scope` of a venue allowed every underlying (state/venue.rs `SCOPE_ALL`). */
export const VENUE_SCOPE_ALL = 255;

/** `Ratio` (Q16.48): vols, years, rates, haircuts, discounts. */
export const RATIO_ONE = 1n << 48n;
/** `Price` (Q32.32): prices per unit, strikes, per-lot risk arrays, funding (quote units Q32). */
export const PRICE_ONE = 1n << 32n;
/** `Money` (Q40.24): account totals in margin reports (equity, initial, maintenance). */
export const MONEY_ONE = 1n << 24n;

export const ratio = (v: number): bigint => BigInt(Math.round(v * 2 ** 48));
export const price = (v: number): bigint => BigInt(Math.round(v * 2 ** 32));
export const fromRatio = (raw: bigint): number => Number(raw) / 2 ** 48;
export const fromPrice = (raw: bigint): number => Number(raw) / 2 ** 32;
export const fromMoney = (raw: bigint): number => Number(raw) / 2 ** 24;

/** Instrument kinds as stored (state/instrument.rs `kind`). */
export const InstrumentKind = { Call: 0, Put: 1, Future: 2, Perpetual: 3 } as const;
export type InstrumentKind = (typeof InstrumentKind)[keyof typeof InstrumentKind];

/** `LiquidateArgs::scope` and `CollateralParams::status`: the IDL's named enums (generated). */
export { LiquidationScope, AssetStatus } from './generated/types/index.ts';

/** Pause bits of `Config` (deposit 1, withdraw 2, trade 4, liquidate 8, settle 16). */
export const Pause = { Deposit: 1, Withdraw: 2, Trade: 4, Liquidate: 8, Settle: 16 } as const;

/** Capacities of one margin account. */
export const MAX_BALANCES = 8;
export const MAX_POSITIONS = 32;
/** `CollateralParams::group` of an asset mapped to no underlying. */
export const NO_GROUP = 255;

/**
 * The heap frame clients request before the margin-checked instructions (`trade`, `venue_trade`,
 * `withdraw`, `margin_report`, `liquidation_flag`, `liquidation_plan`, `liquidate`, `resolve_bankruptcy`):
 * the program's allocator grows into it (localnet `HEAP_FRAME`).
 */
export const HEAP_FRAME = 256 * 1024;
/** A transaction's compute-unit ceiling (localnet `MAX_CU`). */
export const MAX_CU = 1_400_000;
/** A cluster packet: the largest transaction on the wire. */
export const PACKET_BYTES = 1232;

export const PYTH_RECEIVER_PROGRAM_ID = address('rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ');
export const BPF_LOADER_UPGRADEABLE_ID = address('BPFLoaderUpgradeab1e11111111111111111111111');
export const SYSTEM_PROGRAM_ID = address('11111111111111111111111111111111');
export const TOKEN_PROGRAM_ID = address('TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA');
export const TOKEN_2022_PROGRAM_ID = address('TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb');
export const ADDRESS_LOOKUP_TABLE_PROGRAM_ID = address('AddressLookupTab1e1111111111111111111111111');
export const COMPUTE_BUDGET_PROGRAM_ID = address('ComputeBudget111111111111111111111111111111');
