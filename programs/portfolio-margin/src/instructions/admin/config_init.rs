use crate::events::ConfigInitialized;
use crate::state::{Config, seeds};
use anchor_lang::prelude::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct ConfigInitArgs {
    pub risk_authority: Pubkey,
    pub vol_oracle_authority: Pubkey,
    /// Ratio raw (Q16.48).
    pub rate: i64,
    /// Ratio raw (Q16.48), in [0, 1].
    pub extreme_weight: i64,
}

/// Creates the global config; the signer becomes the admin. Run it right after deploying
/// (the config PDA can only be created once).
#[derive(Accounts)]
pub struct ConfigInit<'info> {
    #[account(init, payer = admin, space = 8 + Config::INIT_SPACE, seeds = [seeds::CONFIG], bump)]
    pub config: Box<Account<'info, Config>>,
    /// CHECK: data-less PDA that owns every vault; only its address and bump are used.
    #[account(seeds = [seeds::VAULT_AUTHORITY], bump)]
    pub vault_authority: UncheckedAccount<'info>,
    #[account(mut)]
    pub admin: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<ConfigInit>, args: ConfigInitArgs) -> Result<()> {
    crate::instructions::admin::validate_risk_params(args.rate, args.extreme_weight)?;
    let config = &mut ctx.accounts.config;
    config.version = Config::VERSION;
    config.bump = ctx.bumps.config;
    config.vault_authority_bump = ctx.bumps.vault_authority;
    config.paused = 0;
    config.admin = ctx.accounts.admin.key();
    config.risk_authority = args.risk_authority;
    config.vol_oracle_authority = args.vol_oracle_authority;
    config.rate = args.rate;
    config.extreme_weight = args.extreme_weight;
    emit!(ConfigInitialized {
        admin: config.admin,
        risk_authority: config.risk_authority,
        vol_oracle_authority: config.vol_oracle_authority,
    });
    Ok(())
}
