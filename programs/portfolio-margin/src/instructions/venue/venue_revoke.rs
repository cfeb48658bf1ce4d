use crate::error::PmError;
use crate::events::VenueRevoked;
use crate::state::{VenueApproval, seeds};
use anchor_lang::prelude::*;

/// The owner withdraws a venue approval: the account is closed (rent back to the owner), so
/// the venue's next fill for this margin account is refused (`VenueNotApproved`).
#[derive(Accounts)]
pub struct VenueRevoke<'info> {
    #[account(
        mut, close = owner, has_one = owner @ PmError::NotOwner,
        seeds = [seeds::VENUE_APPROVAL, approval.margin_account.as_ref(), approval.venue.as_ref()], bump = approval.bump
    )]
    pub approval: Box<Account<'info, VenueApproval>>,
    #[account(mut)]
    pub owner: Signer<'info>,
}

pub fn handler(ctx: Context<VenueRevoke>) -> Result<()> {
    let a = &ctx.accounts.approval;
    emit!(VenueRevoked { margin_account: a.margin_account, venue: a.venue });
    Ok(())
}
