//! Every PDA seed of the program, in one place.
pub const CONFIG: &[u8] = b"config";
pub const COLLATERAL: &[u8] = b"collateral";
pub const VAULT: &[u8] = b"vault";
/// The PDA that owns every vault (signs withdrawals).
pub const VAULT_AUTHORITY: &[u8] = b"vault-authority";
pub const MARGIN_ACCOUNT: &[u8] = b"margin";
pub const UNDERLYING: &[u8] = b"underlying";
pub const INSTRUMENT: &[u8] = b"instrument";
/// A risk-parameter change waiting its delay ([`crate::state::PendingParams`]).
pub const PENDING_PARAMS: &[u8] = b"pending-params";
