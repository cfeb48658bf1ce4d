//! # pm-client
//!
//! The one home of what a client of the portfolio-margin program needs besides the program's
//! own types: program-derived addresses ([`pda`]), an instruction builder for every
//! instruction ([`ix`]), and the remaining-accounts rule of a margin check, trade or
//! liquidation ([`remaining`]). The keeper, `pm`, the embedded test chain (`localnet`) and
//! the TypeScript SDK's cross-check (`examples/dump_instructions.rs`, see README.md) all use
//! it. It links the program crate for its account and argument types, and nothing of a test
//! chain.
pub mod filters;
pub mod ix;
pub mod pda;
pub mod remaining;

pub use anchor_lang::prelude::Pubkey;
pub use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
pub use remaining::{AssetInfo, MarketAccounts, RemainingAccounts, margin_check_accounts};

/// The program's id.
pub fn program_id() -> Pubkey {
    portfolio_margin::ID
}

/// Heap frame every client requests for the program's heavier instructions (margin checks
/// of large accounts, trades, liquidations): see `programs/portfolio-margin/src/heap.rs`.
pub const HEAP_FRAME: u32 = 256 * 1024;
/// A transaction's compute-unit ceiling.
pub const MAX_CU: u32 = 1_400_000;

/// The compute-budget instructions a client puts first: a CU limit and the heap frame.
pub fn budget_ixs(cu_limit: u32) -> Vec<Instruction> {
    use solana_compute_budget_interface::ComputeBudgetInstruction as Cb;
    vec![Cb::set_compute_unit_limit(cu_limit), Cb::request_heap_frame(HEAP_FRAME)]
}

/// The program's error as it reaches the client: Anchor's 6000 + variant.
pub fn pm_code(e: portfolio_margin::error::PmError) -> u32 {
    6000 + e as u32
}
