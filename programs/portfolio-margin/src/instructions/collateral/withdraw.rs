use crate::error::PmError;
use crate::events::Withdrawn;
use crate::margin::{self, MarketView};
use crate::state::{CollateralAsset, Config, MarginAccount, pause, seeds};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};

/// Withdraws to any token account of the owner's choosing. Owner only (a delegate never
/// withdraws). Allowed only if equity >= initial margin afterwards, with every balance valued;
/// the remaining accounts are what `margin` documents. The balance is first settled at the
/// asset's loss index (a socialized loss has written it down, see `resolve_bankruptcy`);
/// `amount` of that effective balance is debited and paid in full.
#[derive(Accounts)]
pub struct Withdraw<'info> {
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
    /// CHECK: the vault-owning PDA, checked by its seeds; signs the transfer.
    #[account(seeds = [seeds::VAULT_AUTHORITY], bump = config.vault_authority_bump)]
    pub vault_authority: UncheckedAccount<'info>,
    #[account(mut, token::mint = mint, token::token_program = token_program)]
    pub destination: InterfaceAccount<'info, TokenAccount>,
    pub owner: Signer<'info>,
    #[account(address = asset.token_program @ PmError::WrongMint)]
    pub token_program: Interface<'info, TokenInterface>,
}

pub fn handler<'info>(ctx: Context<'info, Withdraw<'info>>, amount: u64) -> Result<()> {
    require!(!ctx.accounts.config.is_paused(pause::WITHDRAW), PmError::Paused);
    require!(amount > 0, PmError::ZeroAmount);
    let asset_key = ctx.accounts.asset.key();
    {
        let mut acc = ctx.accounts.margin_account.load_mut()?;
        let signer = ctx.accounts.owner.key();
        if signer != acc.owner {
            require!(acc.delegate == Pubkey::default() || signer != acc.delegate, PmError::DelegateCannotWithdraw);
            return err!(PmError::Unauthorized);
        }
        let slot = acc.balance_slot(&asset_key).ok_or(PmError::InsufficientBalance)?;
        let debit = i64::try_from(amount).map_err(|_| PmError::Overflow)?;
        let index = ctx.accounts.asset.loss_index();
        require!(acc.settle_slot(slot, index)? >= debit, PmError::InsufficientBalance);
        acc.credit_slot(slot, index, -debit)?;
    }
    // The margin check sees the account after the withdrawal.
    let report = {
        let view = MarketView::from_infos(ctx.remaining_accounts, Clock::get()?.unix_timestamp)?;
        let acc = ctx.accounts.margin_account.load()?;
        margin::snapshot::report(&view, &acc, &ctx.accounts.config)?.require_initial()?
    };
    // Initial margin met, so healthy: no liquidation auction clock runs.
    ctx.accounts.margin_account.load_mut()?.liquidatable_since = 0;

    // The balance was settled at the loss index: what was debited is paid in full.
    let paid = amount;
    let seeds: &[&[u8]] = &[seeds::VAULT_AUTHORITY, &[ctx.accounts.config.vault_authority_bump]];
    token_interface::transfer_checked(
        CpiContext::new_with_signer(
            ctx.accounts.token_program.key(),
            TransferChecked {
                from: ctx.accounts.vault.to_account_info(),
                mint: ctx.accounts.mint.to_account_info(),
                to: ctx.accounts.destination.to_account_info(),
                authority: ctx.accounts.vault_authority.to_account_info(),
            },
            &[seeds],
        ),
        paid,
        ctx.accounts.mint.decimals,
    )?;
    let asset = &mut ctx.accounts.asset;
    asset.total_deposits = asset.total_deposits.checked_sub(paid).ok_or(PmError::Overflow)?;
    let balance = ctx.accounts.margin_account.load()?.balance(&asset_key);
    emit!(Withdrawn {
        account: ctx.accounts.margin_account.key(),
        asset: asset_key,
        amount,
        balance,
        equity: report.equity.raw(),
        initial: report.initial.raw(),
        paid,
    });
    Ok(())
}
