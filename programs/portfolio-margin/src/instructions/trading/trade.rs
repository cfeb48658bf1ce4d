use crate::error::{PmError, kernel_err};
use crate::events::{FundingSettled, Traded};
use crate::funding;
use crate::margin::{Checked, MarketView, Snapshot, rules};
use crate::positions::{FundingAt, apply, legs, require_trader, settle_funding};
use crate::state::{CollateralAsset, Config, Instrument, MarginAccount, Underlying, pause, phase, seeds};
use crate::units;
use anchor_lang::prelude::*;
use risk_kernel::margin::MAX_LOTS;
use risk_kernel::{Price, Ratio, Round};

/// The largest step of a maker's nonce in one trade (R2-6).
pub const MAX_NONCE_STEP: u64 = 1 << 32;

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
    /// Must exceed the maker account's `last_nonce` by at most `MAX_NONCE_STEP`; using it
    /// invalidates all lower ones.
    pub nonce: u64,
}

/// A bilateral trade at an agreed price, signed by both sides (owner or delegate of each
/// margin account). Options move the premium as cash in the underlying's quote asset;
/// futures and perpetuals record it as the position's cost.
///
/// Rules: the price lies within `price_band` x spot of the crank's fair value; a side signed
/// by its delegate gets fair value or better; each side keeps a balance or a free slot for
/// the quote asset of every position it holds (`MarginAccount::set_quote_needs`, R2-4);
/// afterwards each side meets initial margin, or,
/// below it, its equity - initial margin did not fall (so value cannot leave an account that
/// is short of margin, and risk can always be reduced).
#[derive(Accounts)]
pub struct Trade<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    #[account(seeds = [seeds::UNDERLYING, &[underlying.id]], bump = underlying.bump)]
    pub underlying: Box<Account<'info, Underlying>>,
    #[account(mut, has_one = underlying @ PmError::UnderlyingMismatch)]
    pub instrument: AccountLoader<'info, Instrument>,
    #[account(address = underlying.quote_asset @ PmError::WrongQuoteAsset)]
    pub quote_asset: Box<Account<'info, CollateralAsset>>,
    #[account(mut)]
    pub maker_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, constraint = taker_account.key() != maker_account.key() @ PmError::SelfTrade)]
    pub taker_account: AccountLoader<'info, MarginAccount>,
    pub maker: Signer<'info>,
    pub taker: Signer<'info>,
}

pub fn handler<'info>(ctx: Context<'info, Trade<'info>>, args: TradeArgs) -> Result<()> {
    let a = &ctx.accounts;
    let (maker_key, taker_key) = (a.maker.key(), a.taker.key());
    let fill = Fill {
        config: &a.config,
        underlying: &a.underlying,
        instrument: &a.instrument,
        quote_asset: &a.quote_asset,
        maker_account: &a.maker_account,
        taker_account: &a.taker_account,
        remaining: ctx.remaining_accounts,
    };
    let terms = Terms { lots: args.lots, price: args.price, quote_expiry: args.quote_expiry, nonce: args.nonce };
    execute(&fill, terms, |maker, taker, fair| {
        require_trader(maker, &maker_key)?;
        require_trader(taker, &taker_key)?;
        require!(args.nonce > maker.last_nonce, PmError::NonceReplayed);
        // One quote advances the nonce by at most 2^32 (R2-6): nobody (a delegate signing with
        // u64::MAX) can use up an account's nonces and stop it from ever quoting again.
        require!(args.nonce - maker.last_nonce <= MAX_NONCE_STEP, PmError::NonceTooFar);
        // A delegate trades for the account, never against it: fair value or better.
        let buys = args.lots > 0; // the taker's side
        require!(
            taker.owner == taker_key || (if buys { args.price <= fair.raw() } else { args.price >= fair.raw() }),
            PmError::DelegatePriceWorse
        );
        require!(
            maker.owner == maker_key || (if buys { args.price >= fair.raw() } else { args.price <= fair.raw() }),
            PmError::DelegatePriceWorse
        );
        maker.last_nonce = args.nonce;
        Ok(())
    })?;
    Ok(())
}

/// The accounts one fill acts on: `trade`'s and `venue_trade`'s common part.
pub struct Fill<'a, 'info> {
    pub config: &'a Config,
    pub underlying: &'a Underlying,
    pub instrument: &'a AccountLoader<'info, Instrument>,
    pub quote_asset: &'a Account<'info, CollateralAsset>,
    pub maker_account: &'a AccountLoader<'info, MarginAccount>,
    pub taker_account: &'a AccountLoader<'info, MarginAccount>,
    /// The margin check's accounts (one list serves both sides, see `margin`).
    pub remaining: &'a [AccountInfo<'info>],
}

/// What is traded: `lots` the taker buys at `price`; `quote_expiry` and `nonce` as in
/// [`TradeArgs`] (a venue's fill: `i64::MAX` and 0, the venue keeps its own).
#[derive(Clone, Copy, Debug)]
pub struct Terms {
    pub lots: i64,
    pub price: i64,
    pub quote_expiry: i64,
    pub nonce: u64,
}

/// What a fill did.
#[derive(Clone, Copy, Debug)]
pub struct Filled {
    /// Quote native units the taker paid (options) or committed as cost (linear).
    pub cash: i64,
    /// The change of the instrument's open interest (long lots).
    pub open_interest: i64,
}

/// One fill with every check of `trade` except who may sign: pause, lots range, quote expiry,
/// instrument live and fresh, price band around the crank's fair value, perpetual funding
/// sampling and settlement, quote-slot needs, each side's margin rule, events (`Traded`).
///
/// `authorize(maker, taker, fair)` decides whether these accounts may trade (signers, nonce,
/// a delegate's price); it runs on both accounts before any change and may write the maker's
/// nonce.
pub fn execute<'info>(
    f: &Fill<'_, 'info>,
    t: Terms,
    authorize: impl FnOnce(&mut MarginAccount, &MarginAccount, Price) -> Result<()>,
) -> Result<Filled> {
    let config = f.config;
    require!(!config.is_paused(pause::TRADE), PmError::Paused);
    require!(t.lots != 0 && t.lots.unsigned_abs() <= MAX_LOTS as u64, PmError::LotsOutOfRange);
    let now = Clock::get()?.unix_timestamp;
    require!(now <= t.quote_expiry, PmError::QuoteExpired);
    // One list of accounts serves both sides' margin checks (see `margin`).
    let view = MarketView::from_infos(f.remaining, now)?;

    let inst_key = f.instrument.key();
    let quote = f.quote_asset.key();
    let quote_index = f.quote_asset.loss_index();
    let u = f.underlying;
    let (is_option, lot_size, fair) = {
        let inst = f.instrument.load()?;
        require!(inst.phase == phase::ACTIVE, PmError::AlreadySettled);
        require!(!inst.is_expired(now), PmError::InstrumentExpired);
        require!(u.snapshot.is_fresh(now, u.params.max_risk_age_secs), PmError::RiskStale);
        (inst.is_option(), Ratio::from_raw(inst.lot_size), inst.fair_at(u.snapshot.epoch)?)
    };
    require!(t.price >= 0 && (is_option || t.price > 0), PmError::InvalidParameter);
    check_band(t.price, fair, u.snapshot.spot(), Ratio::from_raw(u.params.price_band))?;
    // A perpetual trade samples its premium over the index for funding (see `funding`).
    let funding_index = {
        let mut inst = f.instrument.load_mut()?;
        funding::sample(&mut inst, t.price, u.snapshot.spot(), t.lots, now)?;
        inst.funding_index
    };
    let fa = FundingAt { index: funding_index, quote_decimals: u.quote_decimals };
    // The legs: one integer amount, paid by one side and received by the other.
    let per_lot = units::native_per_lot(Price::from_raw(t.price), lot_size, u.quote_decimals, Round::Up)?;
    let amount = units::cash(t.lots, per_lot)?; // what the taker pays (< 0: receives)
    let (taker_leg, maker_leg) = legs(is_option, t.lots, amount)?;

    let (mut maker_snap, mut taker_snap, maker_before, taker_before) = {
        let mut maker = f.maker_account.load_mut()?;
        let taker = f.taker_account.load()?;
        authorize(&mut maker, &taker, fair)?;
        let ms = Snapshot::new(&view, &maker, config)?;
        let ts = Snapshot::new(&view, &taker, config)?;
        let (mb, tb) = (ms.check()?, ts.check()?);
        (ms, ts, mb, tb)
    };
    let oi_delta = {
        let mut maker = f.maker_account.load_mut()?;
        let mut taker = f.taker_account.load_mut()?;
        for (acc, key) in [(&mut *maker, f.maker_account.key()), (&mut *taker, f.taker_account.key())] {
            emit_funding_settled(acc, key, inst_key, fa.index)?;
        }
        let oi = apply(&mut maker, &inst_key, &quote, quote_index, fa, maker_leg)?
            + apply(&mut taker, &inst_key, &quote, quote_index, fa, taker_leg)?;
        // Each side keeps room for the quote asset of every position it holds (R2-4).
        for acc in [&mut *maker, &mut *taker] {
            let needs = acc.needed_quotes(|i| view.quote_of(i))?;
            acc.set_quote_needs(needs)?;
        }
        oi
    };
    {
        let mut inst = f.instrument.load_mut()?;
        inst.open_interest = inst.open_interest.checked_add(oi_delta).ok_or(PmError::Overflow)?;
    }
    // Premiums move the quote balance: a side judged on a partial view must see it (R2-2).
    let cash = if is_option && amount != 0 { Some(&**f.quote_asset) } else { None };
    let maker_after = after(f.maker_account, &mut maker_snap, &view, config, &maker_before, cash)?;
    let taker_after = after(f.taker_account, &mut taker_snap, &view, config, &taker_before, cash)?;
    emit!(Traded {
        instrument: inst_key,
        maker_account: f.maker_account.key(),
        taker_account: f.taker_account.key(),
        lots: t.lots,
        price: t.price,
        cash: amount,
        nonce: t.nonce,
        maker_equity: maker_after.equity.raw(),
        maker_initial: maker_after.initial.raw(),
        taker_equity: taker_after.equity.raw(),
        taker_initial: taker_after.initial.raw(),
    });
    Ok(Filled { cash: amount, open_interest: oi_delta })
}

/// Settles `acc`'s funding in `instrument` at `index` and emits `FundingSettled` when it moved.
pub fn emit_funding_settled(acc: &mut MarginAccount, account: Pubkey, instrument: Pubkey, index: i64) -> Result<()> {
    let amount = settle_funding(acc, &instrument, index)?;
    if amount != 0 {
        let funding = acc.position_slot(&instrument).map_or(0, |i| acc.positions[i].funding);
        emit!(FundingSettled { account, instrument, amount, funding, index });
    }
    Ok(())
}

/// |price - fair| <= band x spot (Price raw; a band of spot, so deep out-of-the-money options
/// with a tiny fair value still trade at a tick or two).
pub fn check_band(price: i64, fair: Price, spot: Price, band: Ratio) -> Result<()> {
    let width = spot.mul_ratio(band, Round::Down).map_err(kernel_err)?;
    let off = (price as i128 - fair.raw() as i128).unsigned_abs();
    require!(off <= width.raw().max(0) as u128, PmError::PriceOutOfBand);
    Ok(())
}

/// One side after the trade: the margin rule, and a side found healthy with every balance
/// valued stops its auction clock.
///
/// `cash`: the quote asset when the trade moved a premium. A side with a balance left out is
/// judged by comparing its health before and after on the same view; a premium paid out of a
/// balance the view leaves out would then be invisible (an account could buy options with
/// money it does not have), so such a side needs the quote asset's price (R2-2).
#[inline(never)]
fn after<'info>(
    loader: &AccountLoader<'info, MarginAccount>,
    snap: &mut Snapshot,
    view: &MarketView,
    config: &Config,
    before: &Checked,
    cash: Option<&CollateralAsset>,
) -> Result<rules::Health> {
    snap.refill(view, &*loader.load()?, config)?;
    let checked = snap.check()?;
    if let (Some(_), Some(quote)) = (checked.missing, cash) {
        view.price(quote)?;
    }
    rules::require_initial_or_healthier(&checked, before)?;
    let h = checked.health();
    if checked.missing.is_none() && !h.is_liquidatable() {
        loader.load_mut()?.liquidatable_since = 0;
    }
    Ok(h)
}
