use crate::error::PmError;
use crate::events::VenueApproved;
use crate::state::{MarginAccount, Venue, VenueApproval, seeds};
use anchor_lang::prelude::*;
use risk_kernel::margin::MAX_LOTS;

/// The margin account's owner (never its delegate) lets a venue fill trades for it, at most
/// `max_lots_per_trade` lots per fill. Revoked by `venue_revoke`.
#[derive(Accounts)]
pub struct VenueApprove<'info> {
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(seeds = [seeds::VENUE, venue.program.as_ref()], bump = venue.bump)]
    pub venue: Box<Account<'info, Venue>>,
    #[account(
        init, payer = owner, space = VenueApproval::SPACE,
        seeds = [seeds::VENUE_APPROVAL, margin_account.key().as_ref(), venue.key().as_ref()], bump
    )]
    pub approval: Box<Account<'info, VenueApproval>>,
    #[account(mut)]
    pub owner: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<VenueApprove>, max_lots_per_trade: u64) -> Result<()> {
    require!(ctx.accounts.margin_account.load()?.owner == ctx.accounts.owner.key(), PmError::NotOwner);
    require!((1..=MAX_LOTS as u64).contains(&max_lots_per_trade), PmError::LotsOutOfRange);
    let approval = &mut ctx.accounts.approval;
    approval.version = VenueApproval::VERSION;
    approval.bump = ctx.bumps.approval;
    approval.margin_account = ctx.accounts.margin_account.key();
    approval.venue = ctx.accounts.venue.key();
    approval.owner = ctx.accounts.owner.key();
    approval.max_lots_per_trade = max_lots_per_trade;
    emit!(VenueApproved { margin_account: approval.margin_account, venue: approval.venue, max_lots_per_trade });
    Ok(())
}
