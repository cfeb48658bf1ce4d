use crate::error::PmError;
use crate::events::SettlementPriceSet;
use crate::oracle::{OracleLimits, pyth};
use crate::state::{Config, Instrument, Underlying, pause, phase, seeds};
use anchor_lang::prelude::*;

/// Permissionless: after expiry, fixes an option's or future's settlement price from THE Pyth
/// update that straddles expiry (`prev_publish_time < expiry <= publish_time`; same feed, full
/// verification as any read). Only one update of a feed straddles a given instant, so no
/// caller can choose. During the settlement window the confidence limit applies; once the
/// window has passed unsettled (M-5: a feed outage across expiry, or a first print too wide),
/// that same update is accepted however late it was published or wide its confidence: a
/// unique late price beats positions frozen for good.
#[derive(Accounts)]
pub struct SettlePriceSet<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    #[account(seeds = [seeds::UNDERLYING, &[underlying.id]], bump = underlying.bump)]
    pub underlying: Box<Account<'info, Underlying>>,
    #[account(mut, has_one = underlying @ PmError::UnderlyingMismatch)]
    pub instrument: AccountLoader<'info, Instrument>,
    /// CHECK: a Pyth PriceUpdateV2; owner, feed id and contents are checked by `oracle::pyth`.
    pub price_update: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<SettlePriceSet>) -> Result<()> {
    require!(!ctx.accounts.config.is_paused(pause::SETTLE), PmError::Paused);
    let now = Clock::get()?.unix_timestamp;
    let p = ctx.accounts.underlying.params;
    let mut inst = ctx.accounts.instrument.load_mut()?;
    require!(inst.phase == phase::ACTIVE, PmError::AlreadySettled);
    require!(inst.is_expired(now), PmError::InstrumentNotExpired);
    // Age is judged against expiry, not against now: settlement may happen later.
    let window_end = inst.expiry.saturating_add(p.settle_window_secs as i64);
    let late = now > window_end;
    let max_conf_ratio = if late { i64::MAX } else { p.max_conf_ratio };
    let limits = OracleLimits { feed_id: p.feed_id, max_age_secs: u32::MAX, max_conf_ratio };
    let band = pyth::read(&ctx.accounts.price_update, &limits, now)?;
    require!(inst.expiry <= band.publish_time, PmError::SettlementWindowMissed);
    require!(band.prev_publish_time < inst.expiry, PmError::SettlementNotFirstUpdate);
    inst.settle_price = band.price.raw();
    inst.phase = phase::SETTLED;
    emit!(SettlementPriceSet {
        instrument: ctx.accounts.instrument.key(),
        price: band.price.raw(),
        publish_time: band.publish_time,
        late,
    });
    Ok(())
}
