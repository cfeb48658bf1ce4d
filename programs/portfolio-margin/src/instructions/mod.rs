pub mod account;
pub mod admin;
pub mod collateral;
pub mod registry;
pub mod report;

// Globs: Anchor's #[program] needs each module's generated client items; every module has a
// `handler`, called by its path, so the ambiguous name is never used through the glob.
#[allow(ambiguous_glob_reexports)]
pub use account::{account_open::*, account_set_delegate::*};
#[allow(ambiguous_glob_reexports)]
pub use admin::{config_init::*, config_set_pause::*};
#[allow(ambiguous_glob_reexports)]
pub use collateral::{deposit::*, withdraw::*};
#[allow(ambiguous_glob_reexports)]
pub use registry::{collateral_register::*, collateral_update::*};
#[allow(ambiguous_glob_reexports)]
pub use report::margin_report::*;
