use crate::error::PmError;
use crate::events::{InsuranceCovered, LossSocialized};
use crate::margin::{self, MarketView};
use crate::state::{CollateralAsset, Config, MAX_BALANCES, MarginAccount, seeds};
use anchor_lang::prelude::*;

/// Permissionless, the end of the loss waterfall. An account with no positions and a negative
/// balance of `quote_asset` is bankrupt when nothing else is left (liquidations took it) or
/// when what is left is worth less than nothing: equity < 0 with every balance valued (the
/// remaining accounts are what `margin` documents). Leftover balances (dust nobody would buy)
/// go to the insurance fund, so dust can never hold a loss back from being socialized.
/// 1. the insurance fund pays as much of the debt as its balance of that asset allows;
/// 2. the rest is written off the account and socialized: it is added to the asset's
///    `socialized_loss`, and every positive balance of the asset then counts (and withdraws)
///    at V / (V + D) of its amount (V = vault, D = outstanding loss) until it is worked off,
///    so all holders bear it pro rata and the books never claim more than the vault holds.
#[derive(Accounts)]
pub struct ResolveBankruptcy<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    #[account(mut)]
    pub quote_asset: Box<Account<'info, CollateralAsset>>,
    #[account(mut, constraint = margin_account.key() != insurance.key() @ PmError::SelfLiquidation)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(
        mut,
        seeds = [seeds::MARGIN_ACCOUNT, vault_authority.key().as_ref(), &0u16.to_le_bytes()], bump
    )]
    pub insurance: AccountLoader<'info, MarginAccount>,
    /// CHECK: the vault-owning PDA, checked by its seeds; owns the insurance fund.
    #[account(seeds = [seeds::VAULT_AUTHORITY], bump = config.vault_authority_bump)]
    pub vault_authority: UncheckedAccount<'info>,
}

pub fn handler<'info>(ctx: Context<'info, ResolveBankruptcy<'info>>) -> Result<()> {
    let quote = ctx.accounts.quote_asset.key();
    let account = ctx.accounts.margin_account.key();
    let debt = {
        let acc = ctx.accounts.margin_account.load()?;
        let debt = acc.balance(&quote).checked_neg().ok_or(PmError::Overflow)?;
        require!(acc.n_positions == 0 && debt > 0, PmError::NotBankrupt);
        if acc.n_balances > 1 {
            let view = MarketView::from_infos(ctx.remaining_accounts, Clock::get()?.unix_timestamp)?;
            let r = margin::snapshot::report(&view, &acc, &ctx.accounts.config)?.require_complete()?;
            require!(r.equity.is_negative(), PmError::NotBankrupt);
        }
        debt
    };
    let mut acc = ctx.accounts.margin_account.load_mut()?;
    let mut ins = ctx.accounts.insurance.load_mut()?;
    // Leftovers to the fund while it has room beside its quote slot (whole balances move: the
    // vaults are unchanged); what does not fit stays, worthless, and never blocks the rest.
    let leftovers: Vec<_> =
        acc.balances[..acc.n_balances as usize].iter().filter(|b| b.asset != quote).copied().collect();
    for b in leftovers {
        let fits = ins.balance_slot(&b.asset).is_some() || (ins.n_balances as usize) + 2 <= MAX_BALANCES;
        if fits && b.amount > 0 {
            ins.credit(&b.asset, b.amount)?;
            acc.credit(&b.asset, -b.amount)?;
        }
    }
    let available = ins.balance(&quote).max(0);
    let covered = debt.min(available);
    if covered > 0 {
        ins.credit(&quote, -covered)?;
        acc.credit(&quote, covered)?;
        emit!(InsuranceCovered { account, amount: covered, insurance_left: ins.balance(&quote) });
    }
    let rest = debt - covered;
    if rest > 0 {
        acc.credit(&quote, rest)?;
        let asset = &mut ctx.accounts.quote_asset;
        asset.socialized_loss = asset.socialized_loss.checked_add(rest as u64).ok_or(PmError::Overflow)?;
        emit!(LossSocialized { account, asset: quote, amount: rest as u64, outstanding: asset.socialized_loss });
    }
    acc.liquidatable_since = 0;
    acc.invariant()?;
    ins.invariant()?;
    Ok(())
}
