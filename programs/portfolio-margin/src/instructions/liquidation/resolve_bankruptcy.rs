use crate::error::PmError;
use crate::events::{InsuranceCovered, LossSocialized};
use crate::state::{CollateralAsset, Config, MarginAccount, seeds};
use anchor_lang::prelude::*;

/// Permissionless, the end of the loss waterfall. An account with no positions and nothing
/// but a negative balance of `quote_asset` left (liquidations took the rest) is bankrupt:
/// 1. the insurance fund pays as much of the debt as its balance of that asset allows;
/// 2. the rest is written off the account and socialized: it is added to the asset's
///    `socialized_loss`, and every positive balance of the asset then counts (and withdraws)
///    at V / (V + D) of its amount (V = vault, D = outstanding loss) until it is worked off,
///    so all holders bear it pro rata and the books never claim more than the vault holds.
#[derive(Accounts)]
pub struct ResolveBankruptcy<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut)]
    pub quote_asset: Account<'info, CollateralAsset>,
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

pub fn handler(ctx: Context<ResolveBankruptcy>) -> Result<()> {
    let quote = ctx.accounts.quote_asset.key();
    let account = ctx.accounts.margin_account.key();
    let mut acc = ctx.accounts.margin_account.load_mut()?;
    let mut ins = ctx.accounts.insurance.load_mut()?;
    let debt = match acc.bankrupt_debt() {
        Some((asset, debt)) if asset == quote => debt,
        _ => return err!(PmError::NotBankrupt),
    };
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
    Ok(())
}
