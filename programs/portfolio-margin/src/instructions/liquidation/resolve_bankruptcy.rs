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
/// 2. the rest R is written off the account and socialized at once (M-2): the asset's loss
///    index falls by the factor B / (B + R) (B = `total_deposits` + `net_cash`, see
///    `CollateralAsset::socialize`), which writes down every positive balance that exists now
///    pro rata, at least R in total (rounded against the holders), and no balance deposited
///    or credited later. The books then never claim more than the vault (plus `net_cash`).
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
    let quote_index = ctx.accounts.quote_asset.loss_index();
    let account = ctx.accounts.margin_account.key();
    let (debt, view) = {
        let acc = ctx.accounts.margin_account.load()?;
        // A debt is never written down: its raw amount is its effective amount.
        let debt = acc.balance(&quote).checked_neg().ok_or(PmError::Overflow)?;
        require!(acc.n_positions == 0 && debt > 0, PmError::NotBankrupt);
        let view = if acc.n_balances > 1 {
            let view = MarketView::from_infos(ctx.remaining_accounts, Clock::get()?.unix_timestamp)?;
            let r = margin::snapshot::report(&view, &acc, &ctx.accounts.config)?.require_complete()?;
            require!(r.equity.is_negative(), PmError::NotBankrupt);
            Some(view)
        } else {
            None
        };
        (debt, view)
    };
    let mut acc = ctx.accounts.margin_account.load_mut()?;
    let mut ins = ctx.accounts.insurance.load_mut()?;
    // Leftovers to the fund while it has room beside its quote slot (whole balances move at
    // their effective amounts: the vaults are unchanged); what does not fit stays, worthless,
    // and never blocks the rest.
    let leftovers: Vec<Pubkey> =
        acc.balances[..acc.n_balances as usize].iter().filter(|b| b.asset != quote).map(|b| b.asset).collect();
    for asset in leftovers {
        // Leftovers exist only with n_balances > 1, when the margin check decoded their assets.
        let index = view.as_ref().ok_or(PmError::AccountsMismatch)?.asset(&asset)?.loss_index();
        let i = acc.balance_slot(&asset).ok_or(PmError::AccountCorrupt)?;
        let amount = acc.settle_slot(i, index)?;
        let fits = ins.balance_slot(&asset).is_some() || (ins.n_balances as usize) + 2 <= MAX_BALANCES;
        if fits && amount > 0 {
            ins.credit(&asset, index, amount)?;
            acc.credit_slot(i, index, -amount)?;
        } else {
            acc.close_empty_balance(i);
        }
    }
    let available = ins.settle_asset(&quote, quote_index)?.max(0);
    let covered = debt.min(available);
    if covered > 0 {
        ins.credit(&quote, quote_index, -covered)?;
        acc.credit(&quote, quote_index, covered)?;
        emit!(InsuranceCovered { account, amount: covered, insurance_left: ins.balance(&quote) });
    }
    let rest = debt - covered;
    if rest > 0 {
        acc.credit(&quote, quote_index, rest)?;
        let asset = &mut ctx.accounts.quote_asset;
        let loss_index = asset.socialize(rest as u64)?;
        emit!(LossSocialized {
            account,
            asset: quote,
            amount: rest as u64,
            outstanding: asset.socialized_loss,
            loss_index,
        });
    }
    acc.liquidatable_since = 0;
    acc.invariant()?;
    ins.invariant()?;
    Ok(())
}
