use anchor_lang::prelude::*;

/// Pause bits, one per instruction group.
pub mod pause {
    pub const DEPOSIT: u8 = 1 << 0;
    pub const WITHDRAW: u8 = 1 << 1;
    pub const TRADE: u8 = 1 << 2;
    pub const LIQUIDATE: u8 = 1 << 3;
    pub const SETTLE: u8 = 1 << 4;
    pub const ALL: u8 = DEPOSIT | WITHDRAW | TRADE | LIQUIDATE | SETTLE;
}

/// Global configuration: separate authorities, pause switches, risk parameters.
#[account]
#[derive(InitSpace)]
pub struct Config {
    pub version: u8,
    pub bump: u8,
    pub vault_authority_bump: u8,
    /// Bits of [`pause`].
    pub paused: u8,
    /// Changes authorities and pauses.
    pub admin: Pubkey,
    /// Registers and tunes collateral assets, underlyings and risk parameters.
    pub risk_authority: Pubkey,
    /// Publishes vol surfaces.
    pub vol_oracle_authority: Pubkey,
    /// Continuous rate r (Ratio raw, Q16.48).
    pub rate: i64,
    /// Weight of the extreme scenarios (Ratio raw).
    pub extreme_weight: i64,
    /// Set by the risk authority (`config_set_liquidation`); all zero until then.
    pub liquidation: LiquidationParams,
    pub reserved: [u8; 24],
    /// Proposed next admin (`config_propose_authority`), until it accepts; default = none.
    pub pending_admin: Pubkey,
    /// Proposed next risk authority, until it accepts; default = none.
    pub pending_risk_authority: Pubkey,
    /// Proposed next vol-oracle authority, until it accepts; default = none.
    pub pending_vol_oracle_authority: Pubkey,
}

/// The roles rotated in two steps (`config_propose_authority`, `config_accept_authority`).
pub mod role {
    pub const ADMIN: u8 = 0;
    pub const RISK_AUTHORITY: u8 = 1;
    /// Proposed by its holder or by the admin (a lost or leaked publishing key is replaced
    /// without a program upgrade).
    pub const VOL_ORACLE: u8 = 2;
}

/// Liquidation terms (Ratio raw, Q16.48, unless named otherwise).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiquidationParams {
    /// Dutch auction: the discount when an account is first seen liquidatable...
    pub start_discount: i64,
    /// ...growing linearly to this cap...
    pub max_discount: i64,
    /// ...over this many seconds.
    pub ramp_secs: i64,
    /// Target: a liquidation stops at equity >= maintenance x (1 + target_buffer).
    pub target_buffer: i64,
    /// Share of each discount paid to the insurance fund (the rest to the liquidator).
    pub insurance_share: i64,
}

impl Config {
    pub const VERSION: u8 = 1;

    pub fn is_paused(&self, group: u8) -> bool {
        self.paused & group != 0
    }

    /// The holder of `role` and its pending successor (`InvalidParameter` for another role).
    pub fn authority_mut(&mut self, role: u8) -> Result<(&mut Pubkey, &mut Pubkey)> {
        match role {
            role::ADMIN => Ok((&mut self.admin, &mut self.pending_admin)),
            role::RISK_AUTHORITY => Ok((&mut self.risk_authority, &mut self.pending_risk_authority)),
            role::VOL_ORACLE => Ok((&mut self.vol_oracle_authority, &mut self.pending_vol_oracle_authority)),
            _ => err!(crate::error::PmError::InvalidParameter),
        }
    }
}
