use crate::error::PmError;
use crate::events::VenueRegistered;
use crate::state::{Config, Venue, VenueParams, seeds};
use anchor_lang::prelude::*;

/// Registers a venue program and the key it signs fills with (for a program, its PDA
/// ["venue-authority"], derived by the caller from the venue program). Risk authority only.
#[derive(Accounts)]
#[instruction(venue_program: Pubkey)]
pub struct VenueRegister<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump, has_one = risk_authority @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    #[account(init, payer = risk_authority, space = Venue::SPACE, seeds = [seeds::VENUE, venue_program.as_ref()], bump)]
    pub venue: Box<Account<'info, Venue>>,
    #[account(mut)]
    pub risk_authority: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handler(
    ctx: Context<VenueRegister>,
    venue_program: Pubkey,
    authority: Pubkey,
    params: VenueParams,
) -> Result<()> {
    require!(authority != Pubkey::default(), PmError::InvalidParameter);
    let venue = &mut ctx.accounts.venue;
    venue.version = Venue::VERSION;
    venue.bump = ctx.bumps.venue;
    venue.program = venue_program;
    venue.authority = authority;
    venue.params = params;
    venue.open_lots = 0;
    emit!(VenueRegistered { venue: venue.key(), program: venue_program, authority, params });
    Ok(())
}
