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
    /// Ratio raw (Q16.48), in [0, 1]. Kept in `Config` for its layout; the grid is
    /// `Config::grid` (the default grid, then `grid_propose` / `grid_apply`).
    pub extreme_weight: i64,
}

/// Creates the global config; the signer becomes the admin. Only the program's upgrade
/// authority may run it (so nobody can front-run it between deployment and initialization):
/// `program` is this program, deployed with the upgradeable loader, `program_data` the program
/// data account it names, and `admin` the upgrade authority recorded there. Run it right after
/// deploying (the config PDA can only be created once), before making the program immutable.
#[derive(Accounts)]
pub struct ConfigInit<'info> {
    #[account(init, payer = admin, space = 8 + Config::INIT_SPACE, seeds = [seeds::CONFIG], bump)]
    pub config: Box<Account<'info, Config>>,
    /// CHECK: data-less PDA that owns every vault; only its address and bump are used.
    #[account(seeds = [seeds::VAULT_AUTHORITY], bump)]
    pub vault_authority: UncheckedAccount<'info>,
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(constraint = loader::program_data_address(&program)? == program_data.key() @ PmError::NotUpgradeAuthority)]
    pub program: Program<'info, PortfolioMargin>,
    /// The program data account `program` names: its upgrade authority must be `admin`.
    /// CHECK: owned by the upgradeable loader and read by hand (`loader::upgrade_authority`).
    #[account(constraint = loader::upgrade_authority(&program_data)? == Some(admin.key()) @ PmError::NotUpgradeAuthority)]
    pub program_data: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

/// The upgradeable loader's account states, read by hand: bincode's layout (a u32 tag, then
/// the fields) is fixed, and anchor-lang's `programdata_address()` / `Account<ProgramData>`
/// deserialize through bincode and serde, which made the `.so` 58 KB larger.
mod loader {
    use crate::error::PmError;
    use anchor_lang::prelude::*;
    use anchor_lang::solana_program::bpf_loader_upgradeable::ID as LOADER;

    /// The 32-byte key at `at` in `data`, if it holds one there.
    fn key_at(data: &[u8], at: usize) -> Result<Pubkey> {
        let bytes = data.get(at..at + 32).ok_or(error!(PmError::NotUpgradeAuthority))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| error!(PmError::NotUpgradeAuthority))?;
        Ok(Pubkey::new_from_array(bytes))
    }

    /// `UpgradeableLoaderState::Program { programdata_address }`: tag 2, 32 bytes.
    pub fn program_data_address(program: &AccountInfo) -> Result<Pubkey> {
        if *program.owner == LOADER {
            let data = program.try_borrow_data()?;
            require!(data.get(..4) == Some(&2u32.to_le_bytes()[..]), PmError::NotUpgradeAuthority);
            return key_at(&data, 4);
        }
        // Run natively (`PM_NATIVE=1`, debugging only) the program is a builtin without loader
        // state: take the address the upgradeable loader always uses, [program id] under the
        // loader (the upgrade authority check is the same). On chain (SBF) this never applies.
        #[cfg(not(target_os = "solana"))]
        {
            use anchor_lang::solana_program::bpf_loader_upgradeable::get_program_data_address;
            Ok(get_program_data_address(&crate::ID))
        }
        #[cfg(target_os = "solana")]
        err!(PmError::NotUpgradeAuthority)
    }

    /// `UpgradeableLoaderState::ProgramData { slot, upgrade_authority_address }`: tag 3, u64,
    /// then `Option<Pubkey>` (0, or 1 and 32 bytes); the ELF follows.
    pub fn upgrade_authority(program_data: &AccountInfo) -> Result<Option<Pubkey>> {
        require_keys_eq!(*program_data.owner, LOADER, PmError::NotUpgradeAuthority);
        let data = program_data.try_borrow_data()?;
        require!(data.get(..4) == Some(&3u32.to_le_bytes()[..]), PmError::NotUpgradeAuthority);
        match data.get(12) {
            Some(0) => Ok(None),
            Some(1) => key_at(&data, 13).map(Some),
            _ => err!(PmError::NotUpgradeAuthority),
        }
    }
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
    // The default grid (regular 14 + tail ladder); epoch 1, so a never-computed (zeroed) risk
    // cache never matches it.
    config.grid = crate::state::default_grid()?;
    config.grid_epoch = 1;
    config.pending_grid = Vec::new();
    config.pending_grid_at = 0;
    emit!(ConfigInitialized {
        admin: config.admin,
        risk_authority: config.risk_authority,
        vol_oracle_authority: config.vol_oracle_authority,
    });
    Ok(())
}
