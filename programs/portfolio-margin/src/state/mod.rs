pub mod collateral;
pub mod config;
pub mod instrument;
pub mod margin_account;
pub mod pending;
pub mod seeds;
pub mod underlying;
pub mod venue;

pub use collateral::*;
pub use config::*;
pub use instrument::*;
pub use margin_account::*;
pub use pending::*;
pub use underlying::*;
pub use venue::*;
