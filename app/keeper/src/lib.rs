//! The portfolio-margin keeper: discovers margin accounts, evaluates them with the program's
//! own margin code, keeps the risk caches fresh, liquidates and resolves bankruptcies; and the
//! end-to-end demo on the embedded local chain.
pub mod book;
pub mod chain;
#[cfg(feature = "local")]
pub mod demo;
pub mod keeper;
pub mod log;
pub mod metrics;
