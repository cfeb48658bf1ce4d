//! Liquidation: the Dutch auction, pricing a request at mark, scaling it down to what the
//! target needs, and moving it. Shared by `liquidate` (which applies the result) and
//! `liquidation_plan` (which reports it), so a plan is exactly what a liquidation would do.
pub mod auction;
pub mod engine;
pub mod request;

pub use auction::discount;
pub use engine::{Priced, Solution, apply_fee, price, solve, transfer};
pub use request::{CollateralTake, LiquidateArgs, LiquidationScope, PositionTake, scope};
