use crate::error::PmError;
use crate::events::InstrumentCreated;
use crate::state::{Config, Instrument, Underlying, kind, phase, seeds};
use anchor_lang::prelude::*;
use risk_kernel::Ratio;

/// Terms of a new instrument: calls and puts (strike, expiry), dated futures (expiry),
/// linear perpetuals (neither).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstrumentTerms {
    /// One of `state::kind`.
    pub kind: u8,
    /// Unix seconds (0 for perpetuals).
    pub expiry: i64,
    /// Price raw (Q32), options only (0 otherwise).
    pub strike: i64,
    /// Units of underlying per lot (Ratio raw), in (0, 1000].
    pub lot_size: i64,
}

/// Lists an instrument on an underlying. Risk authority only. The address is derived from
/// the terms, so the same contract cannot be listed twice.
#[derive(Accounts)]
#[instruction(terms: InstrumentTerms)]
pub struct InstrumentCreate<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump, has_one = risk_authority @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    #[account(seeds = [seeds::UNDERLYING, &[underlying.id]], bump = underlying.bump)]
    pub underlying: Box<Account<'info, Underlying>>,
    #[account(
        init, payer = payer, space = Instrument::SPACE,
        seeds = [
            seeds::INSTRUMENT, underlying.key().as_ref(), &[terms.kind],
            &terms.expiry.to_le_bytes(), &terms.strike.to_le_bytes()
        ],
        bump
    )]
    pub instrument: AccountLoader<'info, Instrument>,
    pub risk_authority: Signer<'info>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<InstrumentCreate>, terms: InstrumentTerms) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let ok = match terms.kind {
        kind::CALL | kind::PUT => terms.strike > 0 && terms.expiry > now,
        kind::FUTURE => terms.strike == 0 && terms.expiry > now,
        kind::PERPETUAL => terms.strike == 0 && terms.expiry == 0,
        _ => false,
    };
    require!(ok, PmError::InvalidParameter);
    require!(terms.lot_size > 0 && terms.lot_size <= 1000 * Ratio::ONE.raw(), PmError::InvalidParameter);
    let mut inst = ctx.accounts.instrument.load_init()?;
    inst.underlying = ctx.accounts.underlying.key();
    inst.kind = terms.kind;
    inst.expiry = terms.expiry;
    inst.strike = terms.strike;
    inst.lot_size = terms.lot_size;
    inst.phase = phase::ACTIVE;
    inst.version = Instrument::VERSION;
    inst.bump = ctx.bumps.instrument;
    if terms.kind == kind::PERPETUAL {
        inst.funding_period = crate::funding::DEFAULT_PERIOD_SECS;
        inst.funding_clamp = crate::funding::DEFAULT_CLAMP;
        inst.funding_impact_lots = 1;
        crate::funding::start(&mut inst, now);
    }
    emit!(InstrumentCreated {
        instrument: ctx.accounts.instrument.key(),
        underlying: inst.underlying,
        kind: terms.kind,
        expiry: terms.expiry,
        strike: terms.strike,
        lot_size: terms.lot_size,
    });
    Ok(())
}
