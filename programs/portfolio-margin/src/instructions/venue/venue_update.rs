use crate::error::PmError;
use crate::events::VenueUpdated;
use crate::state::{Config, Venue, VenueParams, seeds};
use anchor_lang::prelude::*;

/// Replaces a venue's scope, open-interest cap and active flag, at once (a lower cap or a
/// disabled venue only refuses new fills; positions already open stay). Risk authority only.
#[derive(Accounts)]
pub struct VenueUpdate<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump, has_one = risk_authority @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    #[account(mut, seeds = [seeds::VENUE, venue.program.as_ref()], bump = venue.bump)]
    pub venue: Box<Account<'info, Venue>>,
    pub risk_authority: Signer<'info>,
}

pub fn handler(ctx: Context<VenueUpdate>, params: VenueParams) -> Result<()> {
    let venue = &mut ctx.accounts.venue;
    venue.params = params;
    emit!(VenueUpdated { venue: venue.key(), params });
    Ok(())
}
