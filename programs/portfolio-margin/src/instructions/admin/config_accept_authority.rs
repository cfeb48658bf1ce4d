use crate::error::PmError;
use crate::state::{Config, seeds};
use anchor_lang::prelude::*;

/// A role changed hands (second step of the rotation).
#[event]
pub struct AuthorityChanged {
    /// [`crate::state::role`]: 0 admin, 1 risk authority, 2 vol-oracle authority.
    pub role: u8,
    pub old: Pubkey,
    pub new: Pubkey,
}

/// Second step of rotating the admin, the risk authority or the vol-oracle authority: the key proposed by
/// `config_propose_authority` signs and takes the role; the proposal is cleared.
#[derive(Accounts)]
pub struct ConfigAcceptAuthority<'info> {
    #[account(mut, seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    /// The proposed key.
    pub new_authority: Signer<'info>,
}

pub fn handler(ctx: Context<ConfigAcceptAuthority>, role: u8) -> Result<()> {
    let signer = ctx.accounts.new_authority.key();
    let (current, pending) = ctx.accounts.config.authority_mut(role)?;
    require!(*pending != Pubkey::default() && *pending == signer, PmError::NotProposedAuthority);
    let old = std::mem::replace(current, signer);
    *pending = Pubkey::default();
    emit!(AuthorityChanged { role, old, new: signer });
    Ok(())
}
