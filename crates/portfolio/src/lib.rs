//! # pm-portfolio
//!
//! What `pm` and the WebAssembly kernel (`crates/kernel-wasm`) share, so that both answer the
//! same file with the same bytes:
//!
//! - [`file`]: the portfolio file (README, "Portfolio file") to kernel inputs, every error
//!   naming its field; [`decimal`]: exact decimal token amounts.
//! - [`report`]: the margin report as JSON (`pm risk`'s output).
//! - [`tools`]: what-if (proposed trades and transfers: margin before/after), liquidation
//!   price per underlying, largest trade within initial margin.
//!
//! Std, no I/O: text in, values out.
pub mod decimal;
pub mod file;
pub mod report;
pub mod tools;

pub use file::{Loaded, PortfolioFile, PositionIn};
pub use report::{evaluate, report_json, risk};
