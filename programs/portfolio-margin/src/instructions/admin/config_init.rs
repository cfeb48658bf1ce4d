use crate::error::PmError;
use crate::events::ConfigInitialized;
use crate::program::PortfolioMargin;
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

/// Creates the global config; the signer becomes the admin. Only the program's upgrade
/// authority may run it (so nobody can front-run it between deployment and initialization):
/// `program` is this program, deployed with the upgradeable loader, `program_data` its program
/// data account, and `admin` the upgrade authority recorded there. Run it right after deploying
/// (the config PDA can only be created once), before making the program immutable.
#[derive(Accounts)]
pub struct ConfigInit<'info> {
    #[account(init, payer = admin, space = 8 + Config::INIT_SPACE, seeds = [seeds::CONFIG], bump)]
    pub config: Box<Account<'info, Config>>,
    /// CHECK: data-less PDA that owns every vault; only its address and bump are used.
    #[account(seeds = [seeds::VAULT_AUTHORITY], bump)]
    pub vault_authority: UncheckedAccount<'info>,
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(constraint = program_data_address(&program)? == Some(program_data.key()) @ PmError::NotUpgradeAuthority)]
    pub program: Program<'info, PortfolioMargin>,
    #[account(constraint = program_data.upgrade_authority_address == Some(admin.key()) @ PmError::NotUpgradeAuthority)]
    pub program_data: Account<'info, ProgramData>,
    pub system_program: Program<'info, System>,
}

/// The program data account the upgradeable loader records in this program's account.
fn program_data_address(program: &Program<PortfolioMargin>) -> Result<Option<Pubkey>> {
    let address = program.programdata_address()?;
    // Run natively (`PM_NATIVE=1`, debugging only) the program is a builtin without loader
    // state: take the address the upgradeable loader always uses, [program id] under the
    // loader (the upgrade authority check stays the same). On chain (SBF) this never applies.
    #[cfg(not(target_os = "solana"))]
    if address.is_none() {
        use anchor_lang::solana_program::bpf_loader_upgradeable::get_program_data_address;
        return Ok(Some(get_program_data_address(&crate::ID)));
    }
    Ok(address)
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
