use crate::error::PmError;
use crate::events::VolSurfacePublished;
use crate::state::{Config, Underlying, VolSurface, seeds};
use anchor_lang::prelude::*;

/// Publishes an underlying's vol surface and forward curve (one F/S per slice), stamped with
/// the cluster time. Vol-oracle authority only; every point must lie within the underlying's
/// [min_vol, max_vol], every forward within `max_basis` (`ForwardOutOfBounds`).
#[derive(Accounts)]
pub struct VolSurfacePublish<'info> {
    #[account(
        seeds = [seeds::CONFIG], bump = config.bump,
        has_one = vol_oracle_authority @ PmError::Unauthorized
    )]
    pub config: Box<Account<'info, Config>>,
    #[account(mut, seeds = [seeds::UNDERLYING, &[underlying.id]], bump = underlying.bump)]
    pub underlying: Box<Account<'info, Underlying>>,
    pub vol_oracle_authority: Signer<'info>,
}

pub fn handler(ctx: Context<VolSurfacePublish>, surface: VolSurface) -> Result<()> {
    let u = &mut ctx.accounts.underlying;
    surface.validate(&u.params)?;
    let now = Clock::get()?.unix_timestamp;
    surface.validate_forwards(u.params.max_basis, now)?;
    u.surface = VolSurface { published_at: now, ..surface };
    emit!(VolSurfacePublished { underlying: u.key(), published_at: now, n_slices: surface.n_slices });
    Ok(())
}
