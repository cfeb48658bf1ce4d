use crate::error::{PmError, kernel_err};
use crate::events::InstrumentRefreshed;
use crate::margin::snapshot::kernel_market;
use crate::state::{Config, Instrument, Underlying, kernel_kind, phase, seeds};
use crate::units;
use anchor_lang::prelude::*;
use risk_kernel::instrument::instrument_risk;
use risk_kernel::scenario::{ScenarioGrid, Shocks};
use risk_kernel::{Price, Ratio};

/// Permissionless crank, step 2: recomputes the instrument's risk arrays, mark and Greeks by
/// full revaluation at the underlying's current snapshot (which must be fresh), caching the
/// kernel's `InstrumentRisk` in the instrument account. Margin checks then only sum arrays.
#[derive(Accounts)]
pub struct InstrumentRefresh<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    #[account(seeds = [seeds::UNDERLYING, &[underlying.id]], bump = underlying.bump)]
    pub underlying: Box<Account<'info, Underlying>>,
    #[account(mut, has_one = underlying @ PmError::UnderlyingMismatch)]
    pub instrument: AccountLoader<'info, Instrument>,
}

pub fn handler(ctx: Context<InstrumentRefresh>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let u = &ctx.accounts.underlying;
    let snap = u.snapshot;
    require!(snap.is_fresh(now, u.params.max_risk_age_secs), PmError::RiskStale);
    let mut inst = ctx.accounts.instrument.load_mut()?;
    require!(inst.phase == phase::ACTIVE, PmError::AlreadySettled);
    require!(!inst.is_expired(now), PmError::InstrumentExpired);

    let vol = if inst.is_option() {
        require!(u.surface.is_fresh(now, u.params.max_vol_age_secs), PmError::VolSurfaceStale);
        let slice = u.surface.slice(inst.expiry).ok_or(PmError::VolSurfaceMissing)?;
        let moneyness: Ratio =
            Price::from_raw(inst.strike).div(snap.spot(), risk_kernel::Round::Down).map_err(kernel_err)?;
        slice.vol_at(moneyness)?
    } else {
        Ratio::ZERO
    };
    let expiry = if inst.has_expiry() { units::years_until(inst.expiry, now)? } else { Ratio::ZERO };
    let kernel_inst = risk_kernel::instrument::Instrument {
        kind: kernel_kind(inst.kind)?,
        strike: Price::from_raw(inst.strike),
        expiry,
        vol,
        lot_size: Ratio::from_raw(inst.lot_size),
    };
    let config = &ctx.accounts.config;
    let grid = ScenarioGrid::span16(Ratio::from_raw(config.extreme_weight)).map_err(kernel_err)?;
    let (mm_range, im_range) = (Ratio::from_raw(snap.maintenance_range), Ratio::from_raw(snap.initial_range));
    let shocks = |range: Ratio, vol_scan: i64| {
        let v = Ratio::from_raw(vol_scan);
        if inst.is_option() {
            Shocks::new(&grid, snap.spot(), range, v)
        } else {
            Shocks::moves_only(&grid, snap.spot(), range, v)
        }
    };
    let mm = Box::new(shocks(mm_range, u.params.maintenance.vol_scan).map_err(kernel_err)?);
    let im = Box::new(shocks(im_range, u.params.initial.vol_scan).map_err(kernel_err)?);
    let risk = instrument_risk(&kernel_inst, &kernel_market(u, config), &mm, &im).map_err(kernel_err)?;
    inst.risk = risk.to_words();
    inst.risk_epoch = snap.epoch;
    inst.risk_time = now;
    inst.vol = vol.raw();
    emit!(InstrumentRefreshed {
        instrument: ctx.accounts.instrument.key(),
        epoch: snap.epoch,
        mark: risk.mark.raw(),
        vol: vol.raw(),
    });
    Ok(())
}
