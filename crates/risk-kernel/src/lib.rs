//! # risk-kernel
//!
//! The portfolio-margin risk kernel: numbers in, report out. `no_std`, no floats, no
//! 128-bit multiply or divide, so the very same code runs on chain (SBF, upstream LLVM),
//! in tests, in the `pm` CLI and in the keeper.
//!
//! - [`fixed`]: fixed-point types with the scale in the type ([`Ratio`], [`Price`], [`Money`]).
//! - [`math`]: ln, exp, sqrt, normal CDF/PDF.
//! - [`black_scholes`]: European option price and Greeks.
//! - [`scenario`]: the SPAN-style scenario grid and dynamic scan ranges.
//! - [`vol_scaling`]: expiry scaling of vol shocks and the term-structure twist.
//! - [`instrument`]: risk arrays (scenario P&L per lot) for options, futures, perpetuals.
//! - [`collateral`]: collateral valuation with haircuts that grow with size.
//! - [`margin`]: account aggregation into equity, maintenance and initial margin.
#![cfg_attr(not(test), no_std)]
#![deny(clippy::arithmetic_side_effects)]
#![allow(clippy::should_implement_trait, clippy::needless_range_loop)]

pub mod black_scholes;
pub mod collateral;
pub mod error;
pub mod fixed;
pub mod instrument;
pub mod margin;
pub mod math;
pub mod scenario;
pub mod vol_scaling;
pub mod wide;

pub use error::{KernelError, Result};
pub use fixed::{Fixed, Money, Price, Ratio};
pub use wide::Round;
