//! Program-derived addresses (the seeds are `portfolio_margin::state::seeds`).
use anchor_lang::prelude::Pubkey;
use portfolio_margin::instructions::InstrumentTerms;
use portfolio_margin::state::seeds;

fn find(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &portfolio_margin::ID).0
}

/// The program's configuration: ["config"].
pub fn config() -> Pubkey {
    find(&[seeds::CONFIG])
}

/// Owner of every vault and of the insurance fund: ["vault-authority"].
pub fn vault_authority() -> Pubkey {
    find(&[seeds::VAULT_AUTHORITY])
}

/// A collateral asset's registry entry: ["collateral", mint].
pub fn asset(mint: &Pubkey) -> Pubkey {
    find(&[seeds::COLLATERAL, mint.as_ref()])
}

/// A collateral asset's token vault: ["vault", mint].
pub fn vault(mint: &Pubkey) -> Pubkey {
    find(&[seeds::VAULT, mint.as_ref()])
}

/// A margin account: ["margin", owner, sub_id (u16 LE)].
pub fn margin_account(owner: &Pubkey, sub_id: u16) -> Pubkey {
    find(&[seeds::MARGIN_ACCOUNT, owner.as_ref(), &sub_id.to_le_bytes()])
}

/// The insurance fund: the vault authority's margin account 0.
pub fn insurance() -> Pubkey {
    margin_account(&vault_authority(), 0)
}

/// An underlying: ["underlying", id].
pub fn underlying(id: u8) -> Pubkey {
    find(&[seeds::UNDERLYING, &[id]])
}

/// An instrument: ["instrument", underlying, kind, expiry (i64 LE), strike (i64 LE)].
pub fn instrument(underlying: &Pubkey, terms: &InstrumentTerms) -> Pubkey {
    find(&[
        seeds::INSTRUMENT,
        underlying.as_ref(),
        &[terms.kind],
        &terms.expiry.to_le_bytes(),
        &terms.strike.to_le_bytes(),
    ])
}

/// A pending parameter change of `target` (an asset, an underlying):
/// ["pending-params", target].
pub fn pending(target: &Pubkey) -> Pubkey {
    find(&[seeds::PENDING_PARAMS, target.as_ref()])
}

/// The program's program data account (upgradeable loader): holds its upgrade authority.
pub fn program_data() -> Pubkey {
    anchor_lang::solana_program::bpf_loader_upgradeable::get_program_data_address(&portfolio_margin::ID)
}

/// A registered venue: ["venue", venue_program].
pub fn venue(venue_program: &Pubkey) -> Pubkey {
    find(&[seeds::VENUE, venue_program.as_ref()])
}

/// A margin account's approval of a venue: ["venue-approval", margin_account, venue].
pub fn venue_approval(margin_account: &Pubkey, venue: &Pubkey) -> Pubkey {
    find(&[seeds::VENUE_APPROVAL, margin_account.as_ref(), venue.as_ref()])
}

/// The key a venue program signs `venue_trade` with: its own PDA ["venue-authority"] (derived
/// from the venue program, not this one).
pub fn venue_authority(venue_program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[seeds::VENUE_AUTHORITY], venue_program).0
}
