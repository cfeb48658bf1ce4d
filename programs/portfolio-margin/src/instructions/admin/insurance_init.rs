use crate::events::InsuranceFundOpened;
use crate::state::{Config, MarginAccount, seeds};
use anchor_lang::prelude::*;

/// Opens the insurance fund: the margin account of the vault authority, sub-account 0
/// (PDA ["margin", vault_authority, 0]). Its balances sit in the program's vaults like every
/// account's; anyone may top it up with `deposit`, nobody can withdraw it (the vault authority
/// signs only program transfers). Liquidations pay it a share of each discount and
/// `resolve_bankruptcy` draws on it. Anyone may open it, once.
#[derive(Accounts)]
pub struct InsuranceInit<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    /// CHECK: the vault-owning PDA, checked by its seeds; owns the fund.
    #[account(seeds = [seeds::VAULT_AUTHORITY], bump = config.vault_authority_bump)]
    pub vault_authority: UncheckedAccount<'info>,
    #[account(
        init, payer = payer, space = MarginAccount::SPACE,
        seeds = [seeds::MARGIN_ACCOUNT, vault_authority.key().as_ref(), &0u16.to_le_bytes()], bump
    )]
    pub insurance: AccountLoader<'info, MarginAccount>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<InsuranceInit>) -> Result<()> {
    let mut acc = ctx.accounts.insurance.load_init()?;
    acc.owner = ctx.accounts.vault_authority.key();
    acc.version = MarginAccount::VERSION;
    acc.bump = ctx.bumps.insurance;
    emit!(InsuranceFundOpened { account: ctx.accounts.insurance.key() });
    Ok(())
}
