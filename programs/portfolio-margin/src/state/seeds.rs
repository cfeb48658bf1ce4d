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
/// A registered venue ([`crate::state::Venue`]): ["venue", venue_program].
pub const VENUE: &[u8] = b"venue";
/// An account owner's approval of a venue ([`crate::state::VenueApproval`]):
/// ["venue-approval", margin_account, venue].
pub const VENUE_APPROVAL: &[u8] = b"venue-approval";
/// A venue program's signing PDA (derived from the venue program, not this one):
/// ["venue-authority"].
pub const VENUE_AUTHORITY: &[u8] = b"venue-authority";
