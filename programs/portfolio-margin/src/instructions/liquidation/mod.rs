pub mod liquidate;
pub mod liquidation_flag;
pub mod liquidation_plan;
pub mod resolve_bankruptcy;
