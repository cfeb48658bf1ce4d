use crate::error::PmError;
use crate::events::CollateralRegistered;
use crate::state::{CollateralAsset, CollateralParams, Config, seeds};
use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

/// Registers a collateral asset and creates its program vault. Risk authority only.
/// Works for SPL Token and Token-2022 mints (the token program is recorded); a Token-2022 mint
/// with an extension that could take, freeze or hide the vault's tokens is refused
/// ([`check_mint_extensions`]).
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

/// Token-2022 extensions that would put the vault at someone else's mercy are refused
/// (`MintExtensionRefused`): a permanent delegate (moves anyone's tokens, the vault's too), a
/// transfer hook (an arbitrary program on every transfer, able to block withdrawals), a frozen
/// default account state (the vault would be created frozen), non-transferable tokens, and
/// confidential transfers or mint/burn (balances the program cannot see). The others are
/// allowed: a transfer fee (deposits credit what the vault received), metadata and group
/// pointers, interest-bearing or scaled UI amounts (display only), a close authority (a mint
/// with supply cannot be closed), memo and CPI-guard (account extensions).
pub fn check_mint_extensions(mint: &AccountInfo) -> Result<()> {
    use spl_token_2022::extension::{
        BaseStateWithExtensions, ExtensionType as E, StateWithExtensions, default_account_state::DefaultAccountState,
    };
    if *mint.owner != spl_token_2022::ID {
        return Ok(());
    }
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<spl_token_2022::state::Mint>::unpack(&data)?;
    for ext in state.get_extension_types()? {
        let refused = match ext {
            E::PermanentDelegate
            | E::TransferHook
            | E::NonTransferable
            | E::ConfidentialTransferMint
            | E::ConfidentialTransferFeeConfig
            | E::ConfidentialMintBurn
            // The issuer could pause every transfer, the vault's included (withdrawals,
            // liquidations of the asset) at will.
            | E::Pausable => true,
            E::DefaultAccountState => {
                state.get_extension::<DefaultAccountState>()?.state == spl_token_2022::state::AccountState::Frozen as u8
            }
            _ => false,
        };
        if refused {
            msg!("collateral_register: mint extension {:?} refused", ext);
            return err!(PmError::MintExtensionRefused);
        }
    }
    Ok(())
}

pub fn handler<'info>(ctx: Context<'info, CollateralRegister<'info>>, params: CollateralParams) -> Result<()> {
    check_mint_extensions(&ctx.accounts.mint.to_account_info())?;
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
    asset.loss_index = crate::state::LOSS_INDEX_ONE;
    asset.params = params;
    emit!(CollateralRegistered { asset: asset.key(), mint: asset.mint, vault: asset.vault });
    Ok(())
}
