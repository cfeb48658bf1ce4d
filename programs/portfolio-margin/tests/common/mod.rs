//! The embedded chain lives in `crates/localnet` (the keeper and the demo use it too).
#![allow(unused_imports)]
pub use localnet::*;
