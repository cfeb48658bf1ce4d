//! Underlyings, vol surfaces, instruments, and the permissionless crank that keeps their
//! risk caches current.
pub mod instrument_create;
pub mod instrument_refresh;
pub mod instrument_set_funding;
pub mod underlying_refresh;
pub mod underlying_register;
pub mod underlying_update;
pub mod vol_surface_publish;
