use crate::error::PmError;
use crate::events::{FundingAccrued, FundingParamsSet};
use crate::funding;
use crate::state::{Config, Instrument, Underlying, kind, seeds};
use anchor_lang::prelude::*;
use risk_kernel::margin::MAX_LOTS;

/// A perpetual's funding settings.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FundingParams {
    /// Seconds per funding period, in [60, 86,400] (default 3,600).
    pub period_secs: u32,
    /// The largest |rate| per period (Ratio raw), in (0, 1%] (default 0.05%).
    pub clamp: i64,
    /// Lots of a trade that moves the premium signal all the way to its premium; smaller
    /// trades move it in proportion. In [1, 2^24] (default 1).
    pub impact_lots: u32,
}

impl FundingParams {
    pub fn validate(&self) -> Result<()> {
        require!(
            (funding::MIN_PERIOD_SECS..=funding::MAX_PERIOD_SECS).contains(&self.period_secs)
                && self.clamp > 0
                && self.clamp <= funding::MAX_CLAMP
                && self.impact_lots >= 1
                && self.impact_lots as i64 <= MAX_LOTS,
            PmError::FundingParamsInvalid
        );
        Ok(())
    }
}

/// Sets a perpetual's funding period, clamp and impact size. Risk authority only, at once:
/// the running period is first accrued to now under the old settings (at the underlying's
/// snapshot, which must be fresh), so the new ones govern only funding from now on; nothing
/// is repriced and the clamp is bounded (1% per period).
#[derive(Accounts)]
pub struct InstrumentSetFunding<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump, has_one = risk_authority @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    #[account(seeds = [seeds::UNDERLYING, &[underlying.id]], bump = underlying.bump)]
    pub underlying: Box<Account<'info, Underlying>>,
    #[account(mut, has_one = underlying @ PmError::UnderlyingMismatch)]
    pub instrument: AccountLoader<'info, Instrument>,
    pub risk_authority: Signer<'info>,
}

pub fn handler(ctx: Context<InstrumentSetFunding>, params: FundingParams) -> Result<()> {
    params.validate()?;
    let now = Clock::get()?.unix_timestamp;
    let u = &ctx.accounts.underlying;
    let mut inst = ctx.accounts.instrument.load_mut()?;
    require!(inst.kind == kind::PERPETUAL, PmError::NotPerpetual);
    require!(u.snapshot.is_fresh(now, u.params.max_risk_age_secs), PmError::RiskStale);
    let spot = u.snapshot.spot();
    if let Some(a) = funding::accrue_now(&mut inst, spot, now)? {
        emit!(FundingAccrued {
            instrument: ctx.accounts.instrument.key(),
            premium: a.premium,
            rate: a.rate,
            index_price: spot.raw(),
            delta: a.delta,
            index: a.index,
            elapsed: a.elapsed,
        });
    }
    inst.funding_period = params.period_secs;
    inst.funding_clamp = params.clamp;
    inst.funding_impact_lots = params.impact_lots;
    emit!(FundingParamsSet {
        instrument: ctx.accounts.instrument.key(),
        period_secs: params.period_secs,
        clamp: params.clamp,
        impact_lots: params.impact_lots,
    });
    Ok(())
}
