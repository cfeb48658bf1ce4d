use crate::error::{PmError, kernel_err};
use crate::events::UnderlyingRefreshed;
use crate::oracle::{OracleLimits, pyth};
use crate::state::{Config, RiskSnapshot, Underlying, seeds};
use anchor_lang::prelude::*;
use risk_kernel::Ratio;
use risk_kernel::scenario::scan_range;

/// Permissionless crank, step 1: fixes the underlying's risk snapshot (spot and confidence from
/// Pyth, ATM vol from a fresh surface, both scan ranges) and bumps its epoch. Every instrument
/// is then refreshed against this snapshot (step 2), so an account's arrays always agree.
/// The oldest update a refresh takes, in seconds before the cluster clock: Pyth's pull oracle
/// posts a price within a slot or two, so a few seconds leave keepers room to land the
/// transaction but no real choice of price.
pub const MAX_REFRESH_LAG_SECS: i64 = 5;

#[derive(Accounts)]
pub struct UnderlyingRefresh<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    #[account(mut, seeds = [seeds::UNDERLYING, &[underlying.id]], bump = underlying.bump)]
    pub underlying: Box<Account<'info, Underlying>>,
    /// CHECK: a Pyth PriceUpdateV2; owner, feed id and contents are checked by `oracle::pyth`.
    pub price_update: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<UnderlyingRefresh>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let u = &mut ctx.accounts.underlying;
    let p = u.params;
    let limits =
        OracleLimits { feed_id: p.feed_id, max_age_secs: p.max_oracle_age_secs, max_conf_ratio: p.max_conf_ratio };
    let band = pyth::read(&ctx.accounts.price_update, &limits, now)?;
    // Only a newer price: the caller cannot roll the snapshot back to a chosen older one,
    // nor stale every cached risk array by re-cranking the same update.
    require!(band.publish_time > u.snapshot.publish_time, PmError::OracleNotNewer);
    // Only a recent update (R2-5): within the oracle's max age a caller could otherwise pick,
    // among the last minute's prices, the one that puts accounts under water.
    require!(band.publish_time.saturating_add(MAX_REFRESH_LAG_SECS) >= now, PmError::OracleStale);
    // Throttled: cached arrays stay current for at least `min_refresh_secs` (M-4).
    let next = u.snapshot.refreshed_at.saturating_add(p.min_refresh_secs as i64);
    require!(u.snapshot.refreshed_at == 0 || now >= next, PmError::RefreshTooSoon);
    // The dynamic scan ranges follow the surface's ATM vol. A stale surface no longer freezes
    // the underlying (M-5): the snapshot keeps the last ATM vol a fresh surface gave, so
    // futures and perpetuals stay margined and liquidatable while the vol oracle is down.
    // With no surface at all, the ranges are their minimums.
    let degraded = u.surface.n_slices > 0 && !u.surface.is_fresh(now, p.max_vol_age_secs);
    let atm_vol = if degraded { Ratio::from_raw(u.snapshot.atm_vol) } else { u.surface.atm_vol(now)? };
    let (mm_level, im_level) = p.kernel_levels();
    let mm = scan_range(&mm_level, band.price, band.conf, atm_vol).map_err(kernel_err)?;
    let im = scan_range(&im_level, band.price, band.conf, atm_vol).map_err(kernel_err)?;
    let epoch = u.snapshot.epoch.checked_add(1).ok_or(PmError::Overflow)?;
    u.snapshot = RiskSnapshot {
        spot: band.price.raw(),
        conf: band.conf.raw(),
        publish_time: band.publish_time,
        atm_vol: atm_vol.raw(),
        maintenance_range: mm.raw(),
        initial_range: im.raw(),
        refreshed_at: now,
        epoch,
    };
    emit!(UnderlyingRefreshed {
        underlying: u.key(),
        epoch,
        spot: band.price.raw(),
        atm_vol: atm_vol.raw(),
        vol_surface_stale: degraded,
    });
    Ok(())
}
