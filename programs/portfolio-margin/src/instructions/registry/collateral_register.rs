use crate::error::PmError;
use crate::events::CollateralRegistered;
use crate::state::{CollateralAsset, CollateralParams, Config, seeds};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

/// Registers a collateral asset and creates its program vault. Risk authority only.
/// Works for SPL Token and Token-2022 mints (the token program is recorded).
#[derive(Accounts)]
pub struct CollateralRegister<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump, has_one = risk_authority @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    #[account(
        init, payer = payer, space = 8 + CollateralAsset::INIT_SPACE,
        seeds = [seeds::COLLATERAL, mint.key().as_ref()], bump
    )]
    pub asset: Box<Account<'info, CollateralAsset>>,
    #[account(mint::token_program = token_program)]
    pub mint: InterfaceAccount<'info, Mint>,
    #[account(
        init, payer = payer, seeds = [seeds::VAULT, mint.key().as_ref()], bump,
        token::mint = mint, token::authority = vault_authority, token::token_program = token_program
    )]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    /// CHECK: the vault-owning PDA, checked by its seeds.
    #[account(seeds = [seeds::VAULT_AUTHORITY], bump = config.vault_authority_bump)]
    pub vault_authority: UncheckedAccount<'info>,
    pub risk_authority: Signer<'info>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

pub fn handler<'info>(ctx: Context<'info, CollateralRegister<'info>>, params: CollateralParams) -> Result<()> {
    super::check_mapping(&params, ctx.remaining_accounts)?;
    let decimals = ctx.accounts.mint.decimals;
    require!(params.validate(decimals), PmError::InvalidParameter);
    let asset = &mut ctx.accounts.asset;
    asset.version = CollateralAsset::VERSION;
    asset.bump = ctx.bumps.asset;
    asset.vault_bump = ctx.bumps.vault;
    asset.decimals = decimals;
    asset.mint = ctx.accounts.mint.key();
    asset.vault = ctx.accounts.vault.key();
    asset.token_program = ctx.accounts.token_program.key();
    asset.total_deposits = 0;
    asset.params = params;
    emit!(CollateralRegistered { asset: asset.key(), mint: asset.mint, vault: asset.vault });
    Ok(())
}
