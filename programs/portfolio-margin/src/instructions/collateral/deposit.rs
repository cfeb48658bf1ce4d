use crate::error::PmError;
use crate::events::Deposited;
use crate::state::{CollateralAsset, Config, MarginAccount, pause, seeds, status};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};

/// Deposits SPL tokens into an account's balance. Anyone may add to an existing balance or
/// fund a quote asset; only the owner opens other balances (see
/// `MarginAccount::deposit_slot`). Reads no oracle: a stale price never blocks a deposit.
#[derive(Accounts)]
pub struct Deposit<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    #[account(
        mut, seeds = [seeds::COLLATERAL, mint.key().as_ref()], bump = asset.bump,
        has_one = mint @ PmError::WrongMint, has_one = vault @ PmError::WrongVault
    )]
    pub asset: Box<Account<'info, CollateralAsset>>,
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
    require!(
        asset.params.status != status::DISABLED && asset.params.status != status::DELISTED,
        PmError::AssetDisabled
    );
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
    require!(received > 0, PmError::ZeroAmount);
    let is_quote = ctx.accounts.asset.is_quote != 0;
    let index = ctx.accounts.asset.loss_index();
    let mut acc = ctx.accounts.margin_account.load_mut()?;
    let by_owner = acc.owner == ctx.accounts.depositor.key();
    let slot = acc.deposit_slot(&asset_key, is_quote, by_owner)?;
    let credit = i64::try_from(received).map_err(|_| PmError::Overflow)?;
    // Settled at the current loss index first: the deposit is new money, never written down
    // by a loss booked before it (M-2). A deposit may exactly repay a liability (slot freed).
    let balance = acc.credit_slot(slot, index, credit)?;
    acc.invariant()?;
    let asset = &mut ctx.accounts.asset;
    asset.total_deposits = asset.total_deposits.checked_add(received).ok_or(PmError::Overflow)?;
    emit!(Deposited { account: ctx.accounts.margin_account.key(), asset: asset_key, amount: received, balance });
    Ok(())
}
