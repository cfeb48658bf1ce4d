use crate::error::PmError;
use crate::events::DelegateChanged;
use crate::state::MarginAccount;
use anchor_lang::prelude::*;

/// Sets (or clears, with the default key) the account's delegate: it may trade, never withdraw.
#[derive(Accounts)]
pub struct AccountSetDelegate<'info> {
    #[account(mut, has_one = owner @ PmError::Unauthorized)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    pub owner: Signer<'info>,
}

pub fn handler(ctx: Context<AccountSetDelegate>, delegate: Pubkey) -> Result<()> {
    ctx.accounts.margin_account.load_mut()?.delegate = delegate;
    emit!(DelegateChanged { account: ctx.accounts.margin_account.key(), delegate });
    Ok(())
}
