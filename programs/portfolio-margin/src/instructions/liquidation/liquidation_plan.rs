use crate::error::PmError;
use crate::liquidation::engine::{Scratch, Solution};
use crate::liquidation::{self, LiquidateArgs, LiquidationScope, scope};
use crate::margin::{MarketView, Snapshot};
use crate::state::{CollateralAsset, Config, MarginAccount, seeds};
use anchor_lang::prelude::*;

/// The runtime's limit on return data.
const MAX_RETURN_DATA: usize = 1024;

/// What `liquidate` would take now (return data; Money raw Q24 unless named otherwise).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct LiquidationPlan {
    /// equity < maintenance now. When false, nothing else is filled in.
    pub liquidatable: bool,
    pub equity: i64,
    pub maintenance: i64,
    /// Unix seconds the auction clock started (0 = not flagged yet: it would start now).
    pub liquidatable_since: i64,
    /// The discount a liquidation would get now (Ratio raw).
    pub discount: i64,
    /// The request to send: already the share that reaches the target. Its lists are empty
    /// when they would not fit return data (1,024 bytes: about 24 entries): send `scope`.
    pub request: LiquidateArgs,
    /// The same request in compact form (`LiquidateArgs { scope, .. }` with empty lists: the
    /// program finds the same share again at execution), for accounts too large to list.
    pub scope: LiquidationScope,
    /// Quote native units the liquidatee would pay as discount.
    pub fee: i64,
    /// Whether the request restores equity >= maintenance x (1 + buffer); if false it is the
    /// most the account has to give and `resolve_bankruptcy` may follow.
    pub reaches_target: bool,
    /// The liquidatee's equity and maintenance after the request (before the fee).
    pub equity_after: i64,
    pub maintenance_after: i64,
}

/// Read-only: the cheapest of three requests that restores the account's health — its
/// positions, its non-quote collateral, or both — each cut to the smallest share that reaches
/// the target by the same code `liquidate` runs. Cheapest = lowest discount paid among those
/// that reach the target (else the one that leaves the highest equity - maintenance).
/// Remaining accounts: what `margin` documents.
#[derive(Accounts)]
pub struct LiquidationPlanView<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    #[account(constraint = quote_asset.is_quote != 0 @ PmError::WrongQuoteAsset)]
    pub quote_asset: Box<Account<'info, CollateralAsset>>,
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

pub fn handler<'info>(ctx: Context<'info, LiquidationPlanView<'info>>) -> Result<LiquidationPlan> {
    let config = &ctx.accounts.config;
    let now = Clock::get()?.unix_timestamp;
    let rem = ctx.remaining_accounts;
    let view = MarketView::from_infos(rem, now)?;
    let mut acc = Box::new(*ctx.accounts.margin_account.load()?);
    // Balances at their effective amounts after socialized losses, as `liquidate` sees them.
    acc.settle_all(|a| Ok(view.asset(a)?.loss_index()))?;
    let mut snap = Snapshot::new(&view, &acc, config)?;
    let r0 = snap.check()?.require_complete()?;
    let r0 = crate::margin::Health::of(&r0);
    let mut trial = acc.clone();
    let mut plan = LiquidationPlan {
        liquidatable: r0.equity < r0.maintenance,
        equity: r0.equity.raw(),
        maintenance: r0.maintenance.raw(),
        liquidatable_since: acc.liquidatable_since,
        ..LiquidationPlan::default()
    };
    if plan.liquidatable {
        let since = acc.auction_start(now, config.liquidation.ramp_secs);
        let discount = liquidation::discount(&config.liquidation, now - since)?;
        plan.discount = discount.raw();
        let quote_key = ctx.accounts.quote_asset.key();
        let candidates = [scope::ALL_POSITIONS, scope::ALL_COLLATERAL, scope::EVERYTHING].map(|sc| {
            let compact = LiquidateArgs { scope: sc, ..LiquidateArgs::default() };
            (sc, compact.expand(&acc, &quote_key, |i| view.settles_in(i, &quote_key)).unwrap_or_default())
        });
        let quote = (&quote_key, &**ctx.accounts.quote_asset);
        let mut best: Option<(LiquidationScope, LiquidateArgs, Solution)> = None;
        for (sc, args) in candidates {
            if args.positions.is_empty() && args.collateral.is_empty() {
                continue;
            }
            // A candidate the program would refuse (a stale collateral oracle, say) is skipped,
            // not the whole plan: the others may still restore the account.
            let Ok(priced) = liquidation::price(&args, &acc, quote, &view) else { continue };
            let mut scratch = Scratch { view: &view, config, snap: &mut snap, trial: &mut trial };
            let Ok(s) = liquidation::solve(&priced, &acc, &r0, discount, &config.liquidation, &mut scratch) else {
                continue;
            };
            let better = match &best {
                None => true,
                Some((_, _, b)) => match (s.reaches_target, b.reaches_target) {
                    (true, true) => s.fee < b.fee,
                    (true, false) => true,
                    (false, true) => false,
                    (false, false) => {
                        s.health.maintenance_health() - s.fee as i128 > b.health.maintenance_health() - b.fee as i128
                    }
                },
            };
            if better {
                let mut scaled = args.clone();
                for p in &mut scaled.positions {
                    p.lots = liquidation::engine::scaled(p.lots, s.fraction);
                }
                for c in &mut scaled.collateral {
                    c.amount = liquidation::engine::scaled(c.amount, s.fraction);
                }
                best = Some((sc, scaled, s));
            }
        }
        if let Some((sc, request, s)) = best {
            plan.request = request;
            plan.scope = sc;
            plan.fee = s.fee;
            plan.reaches_target = s.reaches_target;
            plan.equity_after = s.health.equity.raw();
            plan.maintenance_after = s.health.maintenance.raw();
        }
    }
    // Return data holds 1,024 bytes; a long listed request gives way to its compact scope.
    if anchor_lang::prelude::borsh::to_vec(&plan)?.len() > MAX_RETURN_DATA {
        plan.request.positions.clear();
        plan.request.collateral.clear();
        plan.request.scope = plan.scope;
    }
    // Native runs get return data through the syscall stubs (see `margin_report`).
    #[cfg(not(target_os = "solana"))]
    solana_sysvar::program_stubs::sol_set_return_data(&anchor_lang::prelude::borsh::to_vec(&plan)?);
    Ok(plan)
}
