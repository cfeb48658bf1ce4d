/**
 * Requests and answers of the WebAssembly kernel. The portfolio file is README's "Portfolio
 * file" (defaults in its text); the report is `pm risk`'s output (README, "`pm risk`").
 */

/** Scan parameters of one margin level; every field defaults to its level's value. */
export interface ScanIn {
  min_range?: number;
  vol_mult?: number;
  horizon_days?: number;
  conf_mult?: number;
  vol_scan?: number;
  dynamic?: boolean;
  basis_scan?: number;
  vol_p_short?: number;
  vol_p_long?: number;
  vol_scale_cap?: number;
  vol_scale_floor?: number;
}

export interface UnderlyingIn {
  name: string;
  spot: number;
  conf?: number;
  atm_vol: number;
  rate?: number;
  min_vol?: number;
  short_option_min?: number;
  maintenance?: ScanIn;
  initial?: ScanIn;
  max_basis?: number;
  vol_t_ref_days?: number;
}

export type InstrumentType = "call" | "put" | "future" | "perp" | "perpetual";

export interface PositionIn {
  underlying: string;
  type: InstrumentType;
  strike?: number;
  expiry_years?: number;
  vol?: number;
  lot_size?: number;
  lots: number;
  entry_price?: number;
  funding?: number;
  forward?: number;
}

export interface CollateralIn {
  name: string;
  /** Whole tokens, an exact decimal: a string ("0.0045") keeps every digit. */
  amount: number | string;
  decimals: number;
  price: number;
  conf?: number;
  conf_mult?: number;
  maint_haircut?: number;
  init_haircut?: number;
  size_growth?: number;
  size_ref?: number;
  group?: string;
  depeg_shock?: number;
}

export interface ScenarioIn {
  price_scan: number;
  vol_scan: number;
  weight?: number;
  spot_shock?: number;
  basis_scan?: number;
  vol_twist?: number;
}

export interface PortfolioFile {
  underlyings: UnderlyingIn[];
  positions?: PositionIn[];
  collateral?: CollateralIn[];
  spread_credits?: { a: string; b: string; rate: number }[];
  scenarios?: ScenarioIn[];
  extreme_weight?: number;
}

export interface Scenario {
  spot_move: number;
  vol_move: number;
  weight: number;
  basis_move: number;
  twist_move: number;
  /** Unweighted group P&L in quote units. */
  pnl: number;
}

export interface LevelReport {
  scan_range: number;
  scenarios: Scenario[];
  worst_scenario: Scenario & { index: number };
  loss: number;
}

export interface GroupReport {
  name: string;
  scan_range: number;
  scenarios: Scenario[];
  worst_scenario: Scenario & { index: number };
  maintenance_loss: number;
  initial: LevelReport;
  short_option_charge: number;
  greeks: { delta: number; gamma: number; vega: number; theta: number; rho: number };
}

/** `pm risk`'s report. */
export interface MarginReport {
  equity: number;
  initial: number;
  maintenance: number;
  excess_initial: number;
  spread_credit: { maintenance: number; initial: number };
  initial_haircut_extra: number;
  collateral: { name: string; market_value: number; maintenance_value: number; initial_value: number }[];
  funding: { position: number; funding: number }[];
  groups: GroupReport[];
}

/** A proposed trade: a position entry with a trade price (per unit; default the kernel's mark). */
export interface TradeIn {
  underlying: string;
  type: InstrumentType;
  strike?: number;
  expiry_years?: number;
  vol?: number;
  lot_size?: number;
  /** Signed (> 0 buy). Ignored by maxTrade (its `side` decides). */
  lots?: number;
  /** Option premium (paid from `pay_with`), or futures/perpetual entry price. */
  price?: number;
  forward?: number;
}

export interface WhatIfRequest {
  portfolio: PortfolioFile | string;
  trades?: TradeIn[];
  /** Deposits (> 0) and withdrawals (< 0) of whole tokens. */
  transfers?: { name: string; amount: number | string }[];
  /** Collateral balance that pays option premiums (default: the first). */
  pay_with?: string;
}

export interface WhatIfAnswer {
  before: MarginReport;
  after: MarginReport;
  /** Per trade: the position it landed in (null: closed), its price, the paying balance's change in native units. */
  trades: { position: number | null; price: number; cash_units: number }[];
  transfers: { name: string; units: number; balance: number }[];
}

export interface Summary {
  equity: number;
  initial: number;
  maintenance: number;
  excess_initial: number;
  excess_maintenance: number;
  groups: { name: string; maintenance_loss: number; initial_loss: number; short_option_charge: number }[];
}

export interface LiquidationAnswer {
  liquidatable_now: boolean;
  summary: Summary;
  /** down/up: nearest liquidatable spot below/above (null: none within /100..x100). */
  underlyings: { name: string; spot: number; down: number | null; up: number | null }[];
}

export interface MaxTradeRequest {
  portfolio: PortfolioFile | string;
  trade: TradeIn;
  side: "buy" | "sell";
  pay_with?: string;
}

export interface MaxTradeAnswer {
  /** Signed lots (sell < 0); 0 when one lot does not fit. */
  lots: number;
  price: number;
  limited_by: "initial margin" | "lot capacity (|lots| < 2^24)";
  before: Summary;
  after: Summary | null;
}
