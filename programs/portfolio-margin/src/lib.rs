//! # portfolio-margin
//!
//! One margin account per owner and sub-account, every collateral balance and position in it
//! margined together by the risk kernel (`crates/risk-kernel`). Handlers are thin: validate
//! accounts -> build a snapshot -> call the kernel -> mutate -> emit an event.
use anchor_lang::prelude::*;

pub mod error;
pub mod events;
pub mod funding;
pub mod heap;
pub mod instructions;
pub mod liquidation;
pub mod margin;
mod mem;
pub mod oracle;
pub mod positions;
pub mod state;
pub mod units;

use instructions::*;
use liquidation::LiquidateArgs;
use state::{CollateralParams, GridPoint, LiquidationParams, RateSource, UnderlyingParams, VenueParams, VolSurface};

declare_id!("FEPTriadt2CZneb8PsXkev4QaV4mf1pTuvZ75VmvAZLt");

#[program]
pub mod portfolio_margin {
    use super::*;

    pub fn config_init(ctx: Context<ConfigInit>, args: ConfigInitArgs) -> Result<()> {
        admin::config_init::handler(ctx, args)
    }

    pub fn config_propose_authority(ctx: Context<ConfigProposeAuthority>, role: u8, new: Pubkey) -> Result<()> {
        admin::config_propose_authority::handler(ctx, role, new)
    }

    pub fn config_accept_authority(ctx: Context<ConfigAcceptAuthority>, role: u8) -> Result<()> {
        admin::config_accept_authority::handler(ctx, role)
    }

    pub fn config_set_liquidation(ctx: Context<ConfigSetLiquidation>, params: LiquidationParams) -> Result<()> {
        admin::config_set_liquidation::handler(ctx, params)
    }

    pub fn insurance_init(ctx: Context<InsuranceInit>) -> Result<()> {
        admin::insurance_init::handler(ctx)
    }

    pub fn config_set_pause(ctx: Context<ConfigSetPause>, paused: u8) -> Result<()> {
        admin::config_set_pause::handler(ctx, paused)
    }

    pub fn grid_propose(ctx: Context<GridPropose>, points: Vec<GridPoint>) -> Result<()> {
        admin::grid::propose(ctx, points)
    }

    pub fn grid_apply(ctx: Context<GridApply>) -> Result<()> {
        admin::grid::apply(ctx)
    }

    pub fn collateral_register<'info>(
        ctx: Context<'info, CollateralRegister<'info>>,
        params: CollateralParams,
    ) -> Result<()> {
        registry::collateral_register::handler(ctx, params)
    }

    pub fn collateral_update<'info>(
        ctx: Context<'info, CollateralUpdate<'info>>,
        params: CollateralParams,
    ) -> Result<()> {
        registry::collateral_update::handler(ctx, params)
    }

    /// Pins a receipt token's exchange-rate account (an SPL stake pool), before its first deposit.
    pub fn collateral_set_rate_source(ctx: Context<CollateralSetRateSource>, source: RateSource) -> Result<()> {
        registry::collateral_set_rate_source::handler(ctx, source)
    }

    pub fn collateral_propose<'info>(
        ctx: Context<'info, CollateralPropose<'info>>,
        params: CollateralParams,
    ) -> Result<()> {
        registry::params_propose::collateral(ctx, params)
    }

    pub fn collateral_apply<'info>(ctx: Context<'info, CollateralApply<'info>>) -> Result<()> {
        registry::params_apply::collateral(ctx)
    }

    pub fn underlying_propose(ctx: Context<UnderlyingPropose>, params: UnderlyingParams) -> Result<()> {
        registry::params_propose::underlying(ctx, params)
    }

    pub fn underlying_apply(ctx: Context<UnderlyingApply>) -> Result<()> {
        registry::params_apply::underlying(ctx)
    }

    pub fn params_cancel(ctx: Context<ParamsCancel>) -> Result<()> {
        registry::params_propose::cancel(ctx)
    }

    pub fn account_open(ctx: Context<AccountOpen>, sub_id: u16) -> Result<()> {
        account::account_open::handler(ctx, sub_id)
    }

    pub fn account_set_delegate(ctx: Context<AccountSetDelegate>, delegate: Pubkey) -> Result<()> {
        account::account_set_delegate::handler(ctx, delegate)
    }

    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        collateral::deposit::handler(ctx, amount)
    }

    pub fn withdraw<'info>(ctx: Context<'info, Withdraw<'info>>, amount: u64) -> Result<()> {
        collateral::withdraw::handler(ctx, amount)
    }

    pub fn underlying_register(ctx: Context<UnderlyingRegister>, id: u8, params: UnderlyingParams) -> Result<()> {
        market::underlying_register::handler(ctx, id, params)
    }

    pub fn underlying_update(ctx: Context<UnderlyingUpdate>, params: UnderlyingParams) -> Result<()> {
        market::underlying_update::handler(ctx, params)
    }

    pub fn vol_surface_publish(ctx: Context<VolSurfacePublish>, surface: VolSurface) -> Result<()> {
        market::vol_surface_publish::handler(ctx, surface)
    }

    pub fn underlying_refresh(ctx: Context<UnderlyingRefresh>) -> Result<()> {
        market::underlying_refresh::handler(ctx)
    }

    pub fn instrument_create(ctx: Context<InstrumentCreate>, terms: InstrumentTerms) -> Result<()> {
        market::instrument_create::handler(ctx, terms)
    }

    pub fn instrument_refresh(ctx: Context<InstrumentRefresh>) -> Result<()> {
        market::instrument_refresh::handler(ctx)
    }

    pub fn instrument_set_funding(ctx: Context<InstrumentSetFunding>, params: FundingParams) -> Result<()> {
        market::instrument_set_funding::handler(ctx, params)
    }

    pub fn trade<'info>(ctx: Context<'info, Trade<'info>>, args: TradeArgs) -> Result<()> {
        trading::trade::handler(ctx, args)
    }

    pub fn settle_price_set(ctx: Context<SettlePriceSet>) -> Result<()> {
        settle::settle_price_set::handler(ctx)
    }

    pub fn settle_position(ctx: Context<SettlePosition>) -> Result<()> {
        settle::settle_position::handler(ctx)
    }

    pub fn margin_report<'info>(ctx: Context<'info, MarginReport<'info>>) -> Result<MarginSummary> {
        report::margin_report::handler(ctx)
    }

    pub fn liquidation_flag<'info>(ctx: Context<'info, LiquidationFlag<'info>>) -> Result<()> {
        instructions::liquidation::liquidation_flag::handler(ctx)
    }

    pub fn liquidation_plan<'info>(ctx: Context<'info, LiquidationPlanView<'info>>) -> Result<LiquidationPlan> {
        instructions::liquidation::liquidation_plan::handler(ctx)
    }

    pub fn liquidate<'info>(ctx: Context<'info, Liquidate<'info>>, args: LiquidateArgs) -> Result<()> {
        instructions::liquidation::liquidate::handler(ctx, args)
    }

    pub fn resolve_bankruptcy<'info>(ctx: Context<'info, ResolveBankruptcy<'info>>) -> Result<()> {
        instructions::liquidation::resolve_bankruptcy::handler(ctx)
    }

    /// Registers a venue program (risk authority): the key it signs fills with, scope, cap.
    pub fn venue_register(
        ctx: Context<VenueRegister>,
        venue_program: Pubkey,
        authority: Pubkey,
        params: VenueParams,
    ) -> Result<()> {
        venue::venue_register::handler(ctx, venue_program, authority, params)
    }

    /// Changes a venue's scope, open-interest cap or active flag (risk authority), at once.
    pub fn venue_update(ctx: Context<VenueUpdate>, params: VenueParams) -> Result<()> {
        venue::venue_update::handler(ctx, params)
    }

    /// A margin account's owner approves a venue, at most `max_lots_per_trade` lots per fill.
    pub fn venue_approve(ctx: Context<VenueApprove>, max_lots_per_trade: u64) -> Result<()> {
        venue::venue_approve::handler(ctx, max_lots_per_trade)
    }

    /// The owner revokes a venue approval (closes it).
    pub fn venue_revoke(ctx: Context<VenueRevoke>) -> Result<()> {
        venue::venue_revoke::handler(ctx)
    }

    /// A registered venue's fill between two approving accounts, under `trade`'s checks.
    pub fn venue_trade<'info>(ctx: Context<'info, VenueTrade<'info>>, args: VenueTradeArgs) -> Result<()> {
        venue::venue_trade::handler(ctx, args)
    }
}
