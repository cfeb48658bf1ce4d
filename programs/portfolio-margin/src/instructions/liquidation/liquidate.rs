use crate::error::PmError;
use crate::events::{CollateralLiquidated, Liquidated, PositionLiquidated};
use crate::liquidation::engine::Scratch;
use crate::liquidation::{self, LiquidateArgs};
use crate::margin::{self, Health, MarketView, Snapshot};
use crate::positions::require_trader;
use crate::state::{CollateralAsset, Config, Instrument, MarginAccount, pause, seeds};
use anchor_lang::prelude::*;
use risk_kernel::Ratio;

/// Permissionless liquidation of an account with equity < maintenance margin. The liquidator
/// (owner or delegate of its own margin account) takes over positions at the crank's mark
/// and/or buys collateral at the oracle price, and the liquidatee pays the auction discount
/// on what it frees (see `liquidation::engine`), shared with the insurance fund.
///
/// The program takes the smallest share of the request that brings the liquidatee to
/// equity >= maintenance x (1 + target_buffer), refuses a result that lowers the liquidatee's
/// equity - maintenance, and requires the liquidator's initial margin afterwards.
/// Both accounts keep a balance or a free slot for the quote asset of every position they
/// hold (R2-4, see [`quote_room`]).
/// Remaining accounts: what `margin` documents, for both accounts, with the requested
/// instruments writable (open interest changes).
#[derive(Accounts)]
pub struct Liquidate<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    /// The asset cash moves in: the quote asset of the requested positions' underlyings (a
    /// registered quote asset even when only collateral is taken).
    /// Writable: its `net_cash` records the P&L flat positions realize (see `resolve_bankruptcy`).
    #[account(mut, constraint = quote_asset.is_quote != 0 @ PmError::WrongQuoteAsset)]
    pub quote_asset: Box<Account<'info, CollateralAsset>>,
    // Never the insurance fund: Anchor's duplicate check skips zero-copy loaders, and the
    // handler's last write (its copy of the fund) would undo the liquidatee's side (R2-7).
    #[account(mut, constraint = liquidatee.key() != insurance.key() @ PmError::SelfLiquidation)]
    pub liquidatee: AccountLoader<'info, MarginAccount>,
    #[account(
        mut,
        constraint = liquidator_account.key() != liquidatee.key() @ PmError::SelfLiquidation,
        constraint = liquidator_account.key() != insurance.key() @ PmError::SelfLiquidation
    )]
    pub liquidator_account: AccountLoader<'info, MarginAccount>,
    pub liquidator: Signer<'info>,
    #[account(
        mut,
        seeds = [seeds::MARGIN_ACCOUNT, vault_authority.key().as_ref(), &0u16.to_le_bytes()], bump
    )]
    pub insurance: AccountLoader<'info, MarginAccount>,
    /// CHECK: the vault-owning PDA, checked by its seeds; owns the insurance fund.
    #[account(seeds = [seeds::VAULT_AUTHORITY], bump = config.vault_authority_bump)]
    pub vault_authority: UncheckedAccount<'info>,
}

pub fn handler<'info>(ctx: Context<'info, Liquidate<'info>>, args: LiquidateArgs) -> Result<()> {
    let config = &ctx.accounts.config;
    require!(!config.is_paused(pause::LIQUIDATE), PmError::Paused);
    let now = Clock::get()?.unix_timestamp;
    let rem = ctx.remaining_accounts;
    let view = MarketView::from_infos(rem, now)?;
    let (liquidatee_key, liquidator_key) = (ctx.accounts.liquidatee.key(), ctx.accounts.liquidator_account.key());

    let mut before = Box::new(*ctx.accounts.liquidatee.load()?);
    // Every balance at its effective amount after socialized losses (written back below).
    before.settle_all(|a| Ok(view.asset(a)?.loss_index()))?;
    // A balance left out would understate equity: never liquidate on a partial view.
    let mut snap = Snapshot::new(&view, &before, config)?;
    let r0 = Health::of(snap.check()?.require_complete()?.as_ref());
    require!(r0.is_liquidatable(), PmError::NotLiquidatable);
    let params = &config.liquidation;
    let since = before.auction_start(now, params.ramp_secs);
    let discount = liquidation::discount(params, now - since)?;
    let quote = (&ctx.accounts.quote_asset.key(), &**ctx.accounts.quote_asset);
    let args =
        args.expand(&before, quote.0, |i| view.settles_in(i, quote.0)).ok_or(PmError::InvalidLiquidationRequest)?;
    let priced = liquidation::price(&args, &before, quote, &view)?;
    let mut after = before.clone();
    let solution = {
        let mut s = Scratch { view: &view, config, snap: &mut snap, trial: &mut after };
        liquidation::solve(&priced, &before, &r0, discount, params, &mut s)?
    };

    *after = *before;
    let mut liquidator = Box::new(*ctx.accounts.liquidator_account.load()?);
    let mut insurance = Box::new(*ctx.accounts.insurance.load()?);
    require_trader(&liquidator, &ctx.accounts.liquidator.key())?;
    // An owner does not liquidate its own other sub-account (it would pay itself the discount).
    require!(liquidator.owner != before.owner, PmError::SelfLiquidation);
    let moves = liquidation::transfer(&priced, solution.fraction, &mut after, Some(&mut liquidator))?;
    let share = Ratio::from_raw(params.insurance_share);
    let to_insurance =
        liquidation::apply_fee(&priced, solution.fee, share, &mut after, &mut liquidator, &mut insurance)?;
    quote_room(&view, &before, &mut after, &mut liquidator)?;

    snap.refill(&view, &after, config)?;
    let r1 = Health::of(snap.check()?.require_complete()?.as_ref());
    require!(r1.maintenance_health() >= r0.maintenance_health(), PmError::LiquidationWorsens);
    after.liquidatable_since = if r1.is_liquidatable() { since } else { 0 };
    after.liquidatable_seen = if r1.is_liquidatable() { now } else { 0 };
    // The liquidator's check reuses the same snapshot (the liquidatee's is done).
    snap.refill(&view, &liquidator, config)?;
    snap.check()?.require_initial()?;

    *ctx.accounts.liquidatee.load_mut()? = *after;
    *ctx.accounts.liquidator_account.load_mut()? = *liquidator;
    *ctx.accounts.insurance.load_mut()? = *insurance;
    for (i, p) in priced.positions.iter().enumerate() {
        let loader = AccountLoader::<Instrument>::try_from(margin::view::info(rem, &p.instrument)?)?;
        let mut inst = loader.load_mut()?;
        inst.open_interest = inst.open_interest.checked_add(moves.oi[i]).ok_or(PmError::Overflow)?;
        inst.net_cash = inst.net_cash.checked_add(moves.realized[i]).ok_or(PmError::Overflow)?;
        let quote = &mut ctx.accounts.quote_asset;
        quote.net_cash = quote.net_cash.checked_add(moves.realized[i]).ok_or(PmError::Overflow)?;
        emit!(PositionLiquidated {
            liquidatee: liquidatee_key,
            liquidator: liquidator_key,
            instrument: p.instrument,
            lots: moves.lots[i],
            value: moves.values[i],
        });
    }
    for (i, c) in priced.collateral.iter().enumerate() {
        emit!(CollateralLiquidated {
            liquidatee: liquidatee_key,
            liquidator: liquidator_key,
            asset: c.asset,
            amount: moves.amounts[i],
            paid: moves.paid[i],
        });
    }
    emit!(Liquidated {
        liquidatee: liquidatee_key,
        liquidator: liquidator_key,
        discount: discount.raw(),
        elapsed_secs: now - since,
        fraction: solution.fraction.raw(),
        fee: solution.fee,
        insurance_fee: to_insurance,
        equity_before: r0.equity.raw(),
        maintenance_before: r0.maintenance.raw(),
        equity_after: r1.equity.raw(),
        maintenance_after: r1.maintenance.raw(),
    });
    Ok(())
}

/// The quote-asset room of both sides (R2-4, `MarginAccount::set_quote_needs`): the
/// liquidator, who receives positions, needs room for the quote asset of every position it
/// holds. The liquidatee's needs are rewritten from what it keeps (they only shrink), and its
/// shortfall of room may not grow: a collateral liquidation paid in a quote asset it does not
/// need must not take the slot a needed one keeps. An account short of room already (one from
/// before these records) is still liquidated as long as it gets no shorter.
#[inline(never)]
fn quote_room(
    view: &MarketView,
    before: &MarginAccount,
    after: &mut MarginAccount,
    liquidator: &mut MarginAccount,
) -> Result<()> {
    let needs = after.needed_quotes(|i| view.quote_of(i))?;
    let deficit = after.quote_room_deficit(&needs);
    require!(deficit == 0 || deficit <= before.quote_room_deficit(&needs), PmError::CollateralCapacityExceeded);
    after.quote_needs = needs;
    let needs = liquidator.needed_quotes(|i| view.quote_of(i))?;
    liquidator.set_quote_needs(needs)
}
