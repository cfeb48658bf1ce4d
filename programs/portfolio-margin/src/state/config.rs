use anchor_lang::prelude::*;
use risk_kernel::Ratio;
use risk_kernel::scenario::{Scenario, ScenarioGrid};

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
    /// The scenario grid every risk array and margin check uses (issue 11 item 6): the default
    /// grid at `config_init`, changed by `grid_propose` + `grid_apply` after the 1-day delay.
    /// Validated when proposed and applied (`validate_grid`).
    #[max_len(32)]
    pub grid: Vec<GridPoint>,
    /// Bumped by every applied grid: the crank stamps each risk array with it and a margin check
    /// refuses an array of another epoch (`RiskStale`), so no account is margined on a mix.
    pub grid_epoch: u64,
    /// A proposed grid (empty: none) and the unix second from which anyone may apply it.
    #[max_len(32)]
    pub pending_grid: Vec<GridPoint>,
    pub pending_grid_at: i64,
}

/// One scenario of the configured grid, as the kernel's `Scenario` (Ratio raw, Q16.48): the spot
/// moves by `price_scan` x R + `spot_shock`, every vol by `vol_scan` x V (and by the twist
/// `vol_twist` x V, up on one side of the term structure and down on the other), every dated
/// future's basis by `basis_scan` x B x T, and the loss counts at `weight`.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GridPoint {
    pub price_scan: i64,
    pub vol_scan: i64,
    pub weight: i64,
    pub spot_shock: i64,
    pub basis_scan: i64,
    pub vol_twist: i64,
}

impl GridPoint {
    pub fn to_kernel(&self) -> Scenario {
        Scenario {
            price_scan: Ratio::from_raw(self.price_scan),
            vol_scan: Ratio::from_raw(self.vol_scan),
            weight: Ratio::from_raw(self.weight),
            spot_shock: Ratio::from_raw(self.spot_shock),
            basis_scan: Ratio::from_raw(self.basis_scan),
            vol_twist: Ratio::from_raw(self.vol_twist),
        }
    }

    pub fn from_kernel(s: &Scenario) -> Self {
        GridPoint {
            price_scan: s.price_scan.raw(),
            vol_scan: s.vol_scan.raw(),
            weight: s.weight.raw(),
            spot_shock: s.spot_shock.raw(),
            basis_scan: s.basis_scan.raw(),
            vol_twist: s.vol_twist.raw(),
        }
    }
}

/// A grid the program accepts: the kernel's checks (1..=32 points, weights in [0, 1], scan
/// multiples within +-16, spot shocks in [-100%, +1,000%], no duplicate moves) and the 14
/// regular points at weight 1 (a configured grid adds to SPAN's regular scan, never drops it).
pub fn validate_grid(points: &[GridPoint]) -> Result<()> {
    let kernel: Vec<Scenario> = points.iter().map(GridPoint::to_kernel).collect();
    ScenarioGrid::validate_points(&kernel).map_err(crate::error::kernel_err)?;
    ScenarioGrid::require_regular_points(&kernel).map_err(crate::error::kernel_err)
}

/// The kernel's default grid ([`ScenarioGrid::default_grid`]) as stored.
pub fn default_grid() -> Result<Vec<GridPoint>> {
    let points = ScenarioGrid::default_points().map_err(crate::error::kernel_err)?;
    Ok(points.iter().map(GridPoint::from_kernel).collect())
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

    /// The configured grid, tagged with its epoch, filled into `out` in place (it was validated
    /// when applied).
    pub fn load_grid(&self, out: &mut ScenarioGrid) -> Result<()> {
        out.refill_validated(self.grid.iter().map(GridPoint::to_kernel), self.grid_epoch)
            .map_err(crate::error::kernel_err)
    }

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
