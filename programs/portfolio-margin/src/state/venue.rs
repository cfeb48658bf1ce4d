//! Venues: other programs that settle trades into margin accounts by CPI (issue 13 item 2).
//!
//! The risk authority registers a venue program ([`Venue`], PDA ["venue", venue_program]) with
//! the key it signs with (for a program: its PDA ["venue-authority"]), the underlyings it may
//! trade and a cap on the open interest it may create. A margin account's owner approves a venue
//! for that account ([`VenueApproval`], PDA ["venue-approval", margin_account, venue]) with a
//! size limit per trade, and revokes it by closing the approval. `venue_trade` then moves a
//! position between two approving accounts under exactly `trade`'s checks.
use anchor_lang::prelude::*;

/// `VenueParams::scope`: every underlying.
pub const SCOPE_ALL: u8 = u8::MAX;

/// What the risk authority sets (at registration, and at once with `venue_update`).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct VenueParams {
    /// The underlying id the venue may trade, or [`SCOPE_ALL`].
    pub scope: u8,
    /// The most open interest (long lots, summed over instruments) the venue's trades may have
    /// created and not closed.
    pub max_open_lots: u64,
    /// `false` refuses every fill (`VenueInactive`); approvals stay.
    pub active: bool,
}

/// A registered venue (PDA ["venue", program]).
#[account]
#[derive(InitSpace)]
pub struct Venue {
    pub version: u8,
    pub bump: u8,
    /// The venue program.
    pub program: Pubkey,
    /// The key that signs `venue_trade` (a venue program's PDA ["venue-authority"]).
    pub authority: Pubkey,
    pub params: VenueParams,
    /// Open interest created through the venue: the sum of its fills' changes of their
    /// instruments' open interest, floored at 0. Not exact: positions closed elsewhere are not
    /// counted down, and positions opened elsewhere but closed through the venue are (README
    /// "Inter-protocol margin: venues" says how to size the cap).
    pub open_lots: u64,
    pub reserved: [u8; 32],
}

impl Venue {
    pub const VERSION: u8 = 1;
    pub const SPACE: usize = 8 + Self::INIT_SPACE;

    /// The venue may trade instruments of underlying `id`.
    pub fn covers(&self, id: u8) -> bool {
        self.params.scope == SCOPE_ALL || self.params.scope == id
    }
}

/// A margin account owner's approval of one venue (PDA ["venue-approval", margin_account, venue]).
#[account]
#[derive(InitSpace)]
pub struct VenueApproval {
    pub version: u8,
    pub bump: u8,
    pub margin_account: Pubkey,
    pub venue: Pubkey,
    /// The margin account's owner: approved, paid the rent, receives it back on revocation.
    pub owner: Pubkey,
    /// The largest |lots| of one fill through the venue for this account.
    pub max_lots_per_trade: u64,
    pub reserved: [u8; 16],
}

impl VenueApproval {
    pub const VERSION: u8 = 1;
    pub const SPACE: usize = 8 + Self::INIT_SPACE;
}
