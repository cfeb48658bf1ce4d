pub mod account;
pub mod admin;
pub mod collateral;
pub mod liquidation;
pub mod market;
pub mod registry;
pub mod report;
pub mod settle;
pub mod trading;
pub mod venue;

// Globs: Anchor's #[program] needs each module's generated client items; every module has a
// `handler`, called by its path, so the ambiguous name is never used through the glob.
#[allow(ambiguous_glob_reexports)]
pub use account::{account_open::*, account_set_delegate::*};
#[allow(ambiguous_glob_reexports)]
pub use admin::{
    config_accept_authority::*, config_init::*, config_propose_authority::*, config_set_liquidation::*,
    config_set_pause::*, grid::*, insurance_init::*,
};
#[allow(ambiguous_glob_reexports)]
pub use collateral::{deposit::*, withdraw::*};
#[allow(ambiguous_glob_reexports)]
pub use liquidation::{liquidate::*, liquidation_flag::*, liquidation_plan::*, resolve_bankruptcy::*};
#[allow(ambiguous_glob_reexports)]
pub use market::{
    instrument_create::*, instrument_refresh::*, instrument_set_funding::*, underlying_refresh::*,
    underlying_register::*, underlying_update::*, vol_surface_publish::*,
};
#[allow(ambiguous_glob_reexports)]
pub use registry::{
    collateral_register::*, collateral_set_rate_source::*, collateral_update::*, params_apply::*, params_propose::*,
};
#[allow(ambiguous_glob_reexports)]
pub use report::margin_report::*;
#[allow(ambiguous_glob_reexports)]
pub use settle::{settle_position::*, settle_price_set::*};
#[allow(ambiguous_glob_reexports)]
pub use trading::trade::*;
#[allow(ambiguous_glob_reexports)]
pub use venue::{venue_approve::*, venue_register::*, venue_revoke::*, venue_trade::*, venue_update::*};
