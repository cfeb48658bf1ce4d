pub mod collateral_register;
pub mod collateral_update;
