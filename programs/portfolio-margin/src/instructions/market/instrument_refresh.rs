use crate::error::{PmError, kernel_err};
use crate::events::{FundingAccrued, InstrumentRefreshed};
use crate::funding;
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

    // Options read the surface (their slice, or interpolated between slices). With a stale
    // surface (M-5 degraded mode) an option already priced once keeps its last vol and its
    // vol scan doubles, so the scenarios cover a wider move of the vol nobody is publishing;
    // an option never priced cannot be.
    let surface_fresh = u.surface.is_fresh(now, u.params.max_vol_age_secs);
    let vol = if !inst.is_option() {
        Ratio::ZERO
    } else if surface_fresh {
        let moneyness: Ratio =
            Price::from_raw(inst.strike).div(snap.spot(), risk_kernel::Round::Down).map_err(kernel_err)?;
        u.surface.vol_for(inst.expiry, moneyness, now)?
    } else {
        require!(inst.vol > 0, PmError::VolSurfaceStale);
        Ratio::from_raw(inst.vol)
    };
    let degraded = inst.is_option() && !surface_fresh;
    let vol_scan = |level: i64| if degraded { level.saturating_mul(2).min(Ratio::ONE.raw()) } else { level };
    // Dated futures are marked at the published forward curve (`VolSurface::forward_ratio_for`:
    // the slice's forward, or linear in T between slices, flat annualized basis beyond). With a
    // stale surface the last curve still marks them, each slice's basis aged at its annualized
    // rate, and the basis scan doubles; with no unexpired slice at all they carry at the
    // configured rate, basis scan doubled. Either way a stale surface freezes no future (M-5).
    let is_future = inst.kind == crate::state::kind::FUTURE;
    let forward = if is_future { u.surface.forward_ratio_for(inst.expiry, now)? } else { None };
    let basis_degraded = is_future && (!surface_fresh || forward.is_none());
    let basis_scan = |level: i64| {
        Ratio::from_raw(if basis_degraded { level.saturating_mul(2).min(Ratio::ONE.raw()) } else { level })
    };
    let expiry = if inst.has_expiry() { units::years_until(inst.expiry, now)? } else { Ratio::ZERO };
    let kernel_inst = risk_kernel::instrument::Instrument {
        kind: kernel_kind(inst.kind)?,
        strike: Price::from_raw(inst.strike),
        expiry,
        vol,
        lot_size: Ratio::from_raw(inst.lot_size),
        forward_ratio: forward.unwrap_or(Ratio::ZERO),
    };
    let config = &ctx.accounts.config;
    // The configured grid, boxed and filled in place (~1.3 KB at 32 points).
    let mut grid: Box<ScenarioGrid> = Box::default();
    config.load_grid(&mut grid)?;
    let (mm_range, im_range) = (Ratio::from_raw(snap.maintenance_range), Ratio::from_raw(snap.initial_range));
    // Boxed and filled in place (~1.4 KB each at 32 scenarios: built by value, their copies
    // overflowed this frame).
    let shocks = |out: &mut Shocks, range: Ratio, vol_scan: i64| {
        out.fill(&grid, snap.spot(), range, Ratio::from_raw(vol_scan))?;
        if inst.is_option() { out.add_log_moves() } else { Ok(()) }
    };
    let (mut mm, mut im) = (Box::new(Shocks::blank()), Box::new(Shocks::blank()));
    shocks(&mut mm, mm_range, vol_scan(u.params.maintenance.vol_scan)).map_err(kernel_err)?;
    shocks(&mut im, im_range, vol_scan(u.params.initial.vol_scan)).map_err(kernel_err)?;
    mm.set_basis(&grid, basis_scan(u.params.maintenance.basis_scan)).map_err(kernel_err)?;
    im.set_basis(&grid, basis_scan(u.params.initial.basis_scan)).map_err(kernel_err)?;
    // Options: revalued a horizon later (SPAN's look-ahead), vol moves scaled by expiry.
    mm.set_time_terms(&u.params.kernel_level(false)).map_err(kernel_err)?;
    im.set_time_terms(&u.params.kernel_level(true)).map_err(kernel_err)?;
    let mut risk = instrument_risk(&kernel_inst, &kernel_market(u, config), &mm, &im).map_err(kernel_err)?;
    // Stamped with the grid's epoch: a margin check under another grid refuses it.
    risk.grid = config.grid_epoch;
    // Perpetual funding: at most once per period, at the snapshot's spot (see `funding`).
    if let Some(a) = funding::accrue(&mut inst, snap.spot(), now)? {
        emit!(FundingAccrued {
            instrument: ctx.accounts.instrument.key(),
            premium: a.premium,
            rate: a.rate,
            index_price: snap.spot().raw(),
            delta: a.delta,
            index: a.index,
            elapsed: a.elapsed,
        });
    }
    risk.write_words(&mut inst.risk);
    inst.risk_epoch = snap.epoch;
    inst.risk_time = now;
    inst.vol = vol.raw();
    emit!(InstrumentRefreshed {
        instrument: ctx.accounts.instrument.key(),
        epoch: snap.epoch,
        mark: risk.mark.raw(),
        vol: vol.raw(),
        vol_surface_stale: degraded || basis_degraded,
    });
    Ok(())
}
