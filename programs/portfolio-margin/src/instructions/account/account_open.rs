use crate::events::MarginAccountOpened;
use crate::state::{MarginAccount, seeds};
use anchor_lang::prelude::*;

/// Opens the owner's margin account number `sub_id`.
#[derive(Accounts)]
#[instruction(sub_id: u16)]
pub struct AccountOpen<'info> {
    #[account(
        init, payer = payer, space = MarginAccount::SPACE,
        seeds = [seeds::MARGIN_ACCOUNT, owner.key().as_ref(), &sub_id.to_le_bytes()], bump
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    pub owner: Signer<'info>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<AccountOpen>, sub_id: u16) -> Result<()> {
    let mut acc = ctx.accounts.margin_account.load_init()?;
    acc.owner = ctx.accounts.owner.key();
    acc.sub_id = sub_id;
    acc.version = MarginAccount::VERSION;
    acc.bump = ctx.bumps.margin_account;
    emit!(MarginAccountOpened { account: ctx.accounts.margin_account.key(), owner: acc.owner, sub_id });
    Ok(())
}
