use crate::error::PmError;
use crate::events::Traded;
use crate::margin_check::{self, require_initial_or_less_risk};
use crate::positions::{apply, legs, require_trader};
use crate::state::{CollateralAsset, Config, Instrument, MarginAccount, Underlying, pause, phase, seeds};
use crate::units;
use anchor_lang::prelude::*;
use risk_kernel::margin::MAX_LOTS;
use risk_kernel::{Price, Ratio, Round};

/// The maker's quote as both parties signed it.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeArgs {
    /// Lots the taker buys (> 0) or sells (< 0); the maker takes the other side.
    pub lots: i64,
    /// Agreed price per unit of underlying (Price raw, Q32): the option premium, or the
    /// future / perpetual price.
    pub price: i64,
    /// Unix seconds after which the quote is void.
    pub quote_expiry: i64,
    /// Must exceed the maker account's `last_nonce`; using it invalidates all lower ones.
    pub nonce: u64,
}

/// A bilateral trade at an agreed price, signed by both sides (owner or delegate of each
/// margin account). Options move the premium as cash in the underlying's quote asset;
/// futures and perpetuals record it as the position's cost. Afterwards each side must meet
/// initial margin, unless the trade strictly lowered its maintenance margin.
#[derive(Accounts)]
pub struct Trade<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(seeds = [seeds::UNDERLYING, &[underlying.id]], bump = underlying.bump)]
    pub underlying: Account<'info, Underlying>,
    #[account(mut, has_one = underlying @ PmError::UnderlyingMismatch)]
    pub instrument: AccountLoader<'info, Instrument>,
    #[account(address = underlying.quote_asset @ PmError::WrongQuoteAsset)]
    pub quote_asset: Account<'info, CollateralAsset>,
    #[account(mut)]
    pub maker_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, constraint = taker_account.key() != maker_account.key() @ PmError::SelfTrade)]
    pub taker_account: AccountLoader<'info, MarginAccount>,
    pub maker: Signer<'info>,
    pub taker: Signer<'info>,
}

pub fn handler<'info>(ctx: Context<'info, Trade<'info>>, args: TradeArgs) -> Result<()> {
    let config = &ctx.accounts.config;
    require!(!config.is_paused(pause::TRADE), PmError::Paused);
    require!(args.lots != 0 && args.lots.abs() <= MAX_LOTS, PmError::LotsOutOfRange);
    let now = Clock::get()?.unix_timestamp;
    require!(now <= args.quote_expiry, PmError::QuoteExpired);
    // One list of accounts serves both sides' margin checks (see `margin_check`).
    let rem = ctx.remaining_accounts;

    let inst_key = ctx.accounts.instrument.key();
    let quote = ctx.accounts.quote_asset.key();
    let decimals = ctx.accounts.underlying.quote_decimals;
    // The legs: one integer amount, paid by one side and received by the other.
    let (is_option, lot_size) = {
        let inst = ctx.accounts.instrument.load()?;
        require!(inst.phase == phase::ACTIVE, PmError::AlreadySettled);
        require!(!inst.is_expired(now), PmError::InstrumentExpired);
        (inst.is_option(), Ratio::from_raw(inst.lot_size))
    };
    require!(args.price >= 0 && (is_option || args.price > 0), PmError::InvalidParameter);
    let per_lot = units::native_per_lot(Price::from_raw(args.price), lot_size, decimals, Round::Up)?;
    let amount = units::cash(args.lots, per_lot)?; // what the taker pays (< 0: receives)
    let (taker_leg, maker_leg) = legs(is_option, args.lots, amount)?;

    let (maker_before, taker_before, oi_delta) = {
        let mut maker = ctx.accounts.maker_account.load_mut()?;
        let mut taker = ctx.accounts.taker_account.load_mut()?;
        require_trader(&maker, &ctx.accounts.maker.key())?;
        require_trader(&taker, &ctx.accounts.taker.key())?;
        require!(args.nonce > maker.last_nonce, PmError::NonceReplayed);
        maker.last_nonce = args.nonce;
        let (mb, tb) = (Box::new(*maker), Box::new(*taker));
        let d = apply(&mut maker, &inst_key, &quote, maker_leg)? + apply(&mut taker, &inst_key, &quote, taker_leg)?;
        (mb, tb, d)
    };
    {
        let mut inst = ctx.accounts.instrument.load_mut()?;
        inst.open_interest = inst.open_interest.checked_add(oi_delta).ok_or(PmError::Overflow)?;
    }

    let check = |acc: &AccountLoader<'info, MarginAccount>, before: &MarginAccount| {
        let after = margin_check::report(&*acc.load()?, rem, now, config)?;
        require_initial_or_less_risk(after, || margin_check::report(before, rem, now, config))
    };
    let maker_report = check(&ctx.accounts.maker_account, &maker_before)?;
    let taker_report = check(&ctx.accounts.taker_account, &taker_before)?;
    // A side found healthy stops its liquidation auction clock.
    for (acc, r) in [(&ctx.accounts.maker_account, &maker_report), (&ctx.accounts.taker_account, &taker_report)] {
        if r.equity >= r.maintenance {
            acc.load_mut()?.liquidatable_since = 0;
        }
    }
    emit!(Traded {
        instrument: inst_key,
        maker_account: ctx.accounts.maker_account.key(),
        taker_account: ctx.accounts.taker_account.key(),
        lots: args.lots,
        price: args.price,
        cash: amount,
        nonce: args.nonce,
        maker_equity: maker_report.equity.raw(),
        maker_initial: maker_report.initial.raw(),
        taker_equity: taker_report.equity.raw(),
        taker_initial: taker_report.initial.raw(),
    });
    Ok(())
}
