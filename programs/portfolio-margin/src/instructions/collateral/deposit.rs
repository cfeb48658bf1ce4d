use crate::error::PmError;
use crate::events::Deposited;
use crate::state::{CollateralAsset, Config, MarginAccount, pause, seeds, status};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};

/// Deposits SPL tokens into an account's balance. Anyone may fund any account. Reads no
/// oracle: a stale price never blocks a deposit.
#[derive(Accounts)]
pub struct Deposit<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(
        mut, seeds = [seeds::COLLATERAL, mint.key().as_ref()], bump = asset.bump,
        has_one = mint @ PmError::WrongMint, has_one = vault @ PmError::WrongVault
    )]
    pub asset: Account<'info, CollateralAsset>,
    #[account(mut)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mint::token_program = token_program)]
    pub mint: InterfaceAccount<'info, Mint>,
    #[account(mut)]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    #[account(mut, token::mint = mint, token::authority = depositor, token::token_program = token_program)]
    pub source: InterfaceAccount<'info, TokenAccount>,
    pub depositor: Signer<'info>,
    #[account(address = asset.token_program @ PmError::WrongMint)]
    pub token_program: Interface<'info, TokenInterface>,
}

pub fn handler(ctx: Context<Deposit>, amount: u64) -> Result<()> {
    require!(!ctx.accounts.config.is_paused(pause::DEPOSIT), PmError::Paused);
    require!(amount > 0, PmError::ZeroAmount);
    let asset = &ctx.accounts.asset;
    require!(asset.params.status != status::DISABLED, PmError::AssetDisabled);
    require!(asset.params.status != status::REDUCE_ONLY, PmError::AssetReduceOnly);
    let new_total = asset.total_deposits.checked_add(amount).ok_or(PmError::Overflow)?;
    require!(new_total <= asset.params.deposit_cap, PmError::DepositCapExceeded);

    // Credit what the vault actually received (Token-2022 transfer fees may take a cut).
    let before = ctx.accounts.vault.amount;
    token_interface::transfer_checked(
        CpiContext::new(
            ctx.accounts.token_program.key(),
            TransferChecked {
                from: ctx.accounts.source.to_account_info(),
                mint: ctx.accounts.mint.to_account_info(),
                to: ctx.accounts.vault.to_account_info(),
                authority: ctx.accounts.depositor.to_account_info(),
            },
        ),
        amount,
        ctx.accounts.mint.decimals,
    )?;
    ctx.accounts.vault.reload()?;
    let received = ctx.accounts.vault.amount.checked_sub(before).ok_or(PmError::Overflow)?;

    let asset_key = ctx.accounts.asset.key();
    let mut acc = ctx.accounts.margin_account.load_mut()?;
    let slot = acc.balance_slot_or_open(&asset_key).ok_or(PmError::CollateralCapacityExceeded)?;
    let credit = i64::try_from(received).map_err(|_| PmError::Overflow)?;
    let balance = acc.balances[slot].amount.checked_add(credit).ok_or(PmError::Overflow)?;
    acc.balances[slot].amount = balance;
    let asset = &mut ctx.accounts.asset;
    asset.total_deposits = asset.total_deposits.checked_add(received).ok_or(PmError::Overflow)?;
    emit!(Deposited { account: ctx.accounts.margin_account.key(), asset: asset_key, amount: received, balance });
    Ok(())
}
