use crate::margin::{self, MarketView};
use crate::state::{Config, MarginAccount, seeds};
use anchor_lang::prelude::*;

/// One risk group of the report.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct GroupSummary {
    /// Index into the default grid of the maintenance worst scenario.
    pub worst_scenario: u8,
    /// Money raw (Q24).
    pub maintenance_loss: i64,
    pub initial_loss: i64,
    pub short_option_charge: i64,
    /// Net Greeks: delta, gamma Q48; vega, theta, rho Q32 (quote).
    pub delta: i128,
    pub gamma: i128,
    pub vega: i128,
    pub theta: i128,
    pub rho: i128,
}

/// The account's margin report, as return data (Money raw, Q24).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct MarginSummary {
    pub equity: i64,
    pub initial: i64,
    pub maintenance: i64,
    pub groups: Vec<GroupSummary>,
    /// Part of `initial` that comes from collateral's initial (vs maintenance) haircuts; the
    /// rest is the positions' requirement.
    pub initial_haircut_extra: i64,
    /// Perpetual funding of each perpetual position (at most one per underlying).
    pub funding: Vec<PositionFunding>,
    /// Inter-group spread credits taken off maintenance and initial (Money raw; issue 11 item 1).
    pub spread_credit_maintenance: i64,
    pub spread_credit_initial: i64,
}

/// One perpetual position's funding, quote units Q32 (2^-32; > 0 received): `settled` into
/// the position and not yet into cash, `unsettled` = lots x (instrument index - position's).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct PositionFunding {
    pub instrument: Pubkey,
    pub settled: i64,
    pub unsettled: i64,
}

/// Read-only: the account's equity, initial and maintenance margin, worst scenario and net
/// Greeks per risk group (one per underlying, in order of first use), for wallets and bots.
/// Remaining accounts: what `margin` documents.
#[derive(Accounts)]
pub struct MarginReport<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

pub fn handler<'info>(ctx: Context<'info, MarginReport<'info>>) -> Result<MarginSummary> {
    let view = MarketView::from_infos(ctx.remaining_accounts, Clock::get()?.unix_timestamp)?;
    let acc = ctx.accounts.margin_account.load()?;
    // A report with a balance left out would misstate equity: refuse with the oracle's error.
    let r = margin::snapshot::report(&view, &acc, &ctx.accounts.config)?.require_complete()?;
    let groups = r
        .groups()
        .iter()
        .map(|g| GroupSummary {
            worst_scenario: g.maintenance.worst,
            maintenance_loss: g.maintenance.loss.raw(),
            initial_loss: g.initial.loss.raw(),
            short_option_charge: g.short_option_charge.raw(),
            delta: g.greeks.delta,
            gamma: g.greeks.gamma,
            vega: g.greeks.vega,
            theta: g.greeks.theta,
            rho: g.greeks.rho,
        })
        .collect();
    let mut funding = Vec::new();
    for slot in &acc.positions[..acc.n_positions as usize] {
        let inst = view.instrument(&slot.instrument)?;
        if inst.kind == crate::state::kind::PERPETUAL {
            let owed = crate::funding::owed(slot, inst.funding_index)?;
            let unsettled = owed.checked_sub(slot.funding).ok_or(crate::error::PmError::Overflow)?;
            funding.push(PositionFunding { instrument: slot.instrument, settled: slot.funding, unsettled });
        }
    }
    let summary = MarginSummary {
        equity: r.equity.raw(),
        initial: r.initial.raw(),
        maintenance: r.maintenance.raw(),
        groups,
        initial_haircut_extra: r.initial_haircut_extra.raw(),
        funding,
        spread_credit_maintenance: r.spread_credit_maintenance.raw(),
        spread_credit_initial: r.spread_credit_initial.raw(),
    };
    // Anchor returns `summary` through solana-cpi's `set_return_data`, which is a no-op off
    // chain; native runs (program-test, integrators' tests) get it through the syscall stubs.
    #[cfg(not(target_os = "solana"))]
    solana_sysvar::program_stubs::sol_set_return_data(&anchor_lang::prelude::borsh::to_vec(&summary)?);
    Ok(summary)
}
