pub mod collateral;
pub mod config;
pub mod margin_account;
pub mod seeds;

pub use collateral::*;
pub use config::*;
pub use margin_account::*;
