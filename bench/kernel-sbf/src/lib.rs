//! The risk kernel as an SBF program: one instruction per benchmarked operation, each
//! returning its raw results so the host (bench/cu-runner) can check them bit for bit.
//!
//! Instruction data: `[op, args...]`, see the `OP_*` constants. Return data: the raw i64
//! values (little endian) or the raw bytes of a `repr(C)` kernel result. Kernel errors map to
//! `ProgramError::Custom(error_code(..))`; nothing panics.
//!
//! Built by `scripts/sbf-toolchain.sh build bench/kernel-sbf`. On the host only [`fixture`]
//! (and the op codes) are used, with `default-features = false`.
#![no_std]

// The host build has a cdylib target too, which needs a panic handler: std's. Nothing in this
// crate uses std.
#[cfg(not(target_os = "solana"))]
extern crate std;

pub mod fixture;

#[cfg(all(target_os = "solana", feature = "program"))]
mod program;
#[cfg(all(target_os = "solana", not(feature = "program")))]
compile_error!("the SBF build needs the `program` feature (on by default)");

use risk_kernel::KernelError;

/// No-op: the entrypoint's own cost. Args: none. Return data: none.
pub const OP_NOOP: u8 = 0;
/// `black_scholes::greeks` of [`fixture::option_inputs`]. Args: none.
/// Return data: the `Greeks` (repr(C), 8-byte integers).
pub const OP_GREEKS: u8 = 1;
/// One option in one scenario from scratch: `Prepared::new`, `log_moneyness`,
/// `option_value_in_scenario` of [`fixture::option_instrument`] in group 0.
/// Args: the scenario as spot_move (Ratio), vol_move (Ratio), spot (Price), 3 x i64 raw.
/// Return data: the option value per unit (Price raw, i64).
pub const OP_SCENARIO: u8 = 2;
/// `instrument_risk` of [`fixture::option_instrument`] on the default grid, maintenance and
/// initial, including the group's scan ranges and shocks. Args: none.
/// Return data: the `InstrumentRisk` (its raw `repr(C)` bytes).
pub const OP_RISK_ARRAY: u8 = 3;
/// `margin_from_risk` of the fixture portfolio; the risk arrays (`[InstrumentRisk; n]`) are
/// read in place from the data of the first account. Args: n_positions, n_groups (u8 each).
/// Return data: equity, maintenance, initial (Money raw, 3 x i64).
pub const OP_MARGIN_FROM_RISK: u8 = 4;
/// `margin_full` of the fixture portfolio. Args and return data as [`OP_MARGIN_FROM_RISK`].
pub const OP_MARGIN_FULL: u8 = 5;
/// Cost breakdown: one piece of the work above. Args: a `PROFILE_*` code, then its args.
/// Return data: a value that depends on the result (so nothing is optimised away).
pub const OP_PROFILE: u8 = 6;

/// Build the fixture only. Args: n_positions, n_groups.
pub const PROFILE_FIXTURE: u8 = 0;
/// Scan ranges and shocks (maintenance + initial) of group 0 on the default grid.
pub const PROFILE_SHOCKS: u8 = 1;
/// `Prepared::new` + `log_moneyness` of the benchmark option.
pub const PROFILE_PREPARE: u8 = 2;
/// `math::ln` of one value.
pub const PROFILE_LN: u8 = 3;
/// `math::exp` of one value.
pub const PROFILE_EXP: u8 = 4;
/// `math::sqrt` of one value.
pub const PROFILE_SQRT: u8 = 5;
/// `math::ncdf` of one value.
pub const PROFILE_NCDF: u8 = 6;
/// `collateral::value` of the fixture's three balances. Args: n_groups.
pub const PROFILE_COLLATERAL: u8 = 7;
/// `instrument_risk` of fixture position `i` (shocks of its group built first). Args: i, n_groups.
pub const PROFILE_POSITION_RISK: u8 = 8;
/// [`PROFILE_PREPARE`] then `Prepared::value` at today's spot and vol (one Black–Scholes value
/// from d1/d2, without the scenario's ln(1 + move)).
pub const PROFILE_VALUE: u8 = 9;
/// `math::npdf` of one value.
pub const PROFILE_NPDF: u8 = 10;

/// Custom program error code of a kernel error (0x4b00 + variant).
pub const fn error_code(e: &KernelError) -> u32 {
    0x4b00
        + match e {
            KernelError::Overflow => 1,
            KernelError::DivisionByZero => 2,
            KernelError::InvalidInput(_) => 3,
            KernelError::CapacityExceeded(_) => 4,
        }
}
