use crate::error::PmError;
use crate::state::{Config, seeds};
use anchor_lang::prelude::*;

/// A role's holder named its successor (`Pubkey::default()`: the proposal was withdrawn).
#[event]
pub struct AuthorityProposed {
    /// [`crate::state::role`]: 0 admin, 1 risk authority, 2 vol-oracle authority.
    pub role: u8,
    /// The signer who proposed (the holder, or the admin for the vol oracle).
    pub current: Pubkey,
    pub proposed: Pubkey,
}

/// First step of rotating the admin, the risk authority or the vol-oracle authority: the role's
/// current holder (for the vol oracle, also the admin) proposes
/// its successor, who takes the role by signing `config_accept_authority` (so a key nobody
/// holds can never be installed). A new proposal replaces the pending one; proposing
/// `Pubkey::default()` withdraws it.
#[derive(Accounts)]
pub struct ConfigProposeAuthority<'info> {
    #[account(mut, seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    /// The current holder of the role.
    pub authority: Signer<'info>,
}

pub fn handler(ctx: Context<ConfigProposeAuthority>, role: u8, new: Pubkey) -> Result<()> {
    let signer = ctx.accounts.authority.key();
    let admin = ctx.accounts.config.admin;
    let (current, pending) = ctx.accounts.config.authority_mut(role)?;
    let by_admin = role == crate::state::role::VOL_ORACLE && signer == admin;
    require!(signer == *current || by_admin, PmError::Unauthorized);
    *pending = new;
    emit!(AuthorityProposed { role, current: signer, proposed: new });
    Ok(())
}
