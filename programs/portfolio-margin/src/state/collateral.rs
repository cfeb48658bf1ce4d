use anchor_lang::prelude::*;
use risk_kernel::{Money, Price, Ratio};

pub mod status {
    pub const ACTIVE: u8 = 0;
    /// Withdrawals and liquidations only.
    pub const REDUCE_ONLY: u8 = 1;
    pub const DISABLED: u8 = 2;
}

/// No risk-group mapping.
pub const NO_GROUP: u8 = u8::MAX;

/// Registry entry of one collateral asset (PDA: ["collateral", mint]).
#[account]
#[derive(InitSpace)]
pub struct CollateralAsset {
    pub version: u8,
    pub bump: u8,
    pub vault_bump: u8,
    pub decimals: u8,
    pub mint: Pubkey,
    pub vault: Pubkey,
    /// SPL Token or Token-2022.
    pub token_program: Pubkey,
    /// What the risk authority sets (and may change).
    pub params: CollateralParams,
    /// Sum of all accounts' balances of this asset (== vault balance): native units.
    pub total_deposits: u64,
    /// Uncovered bankruptcy losses not yet borne (native units): the books exceed the vault by
    /// this much. Every positive balance counts at V / (V + D) of its amount (V =
    /// total_deposits, D = this) and withdrawals pay that share, until D is worked off.
    pub socialized_loss: u64,
    /// 1 once an underlying settles in this asset (a quote asset): strangers may fund it in
    /// any account, and other assets never take an account's last free slot from it.
    pub is_quote: u8,
    pub reserved: [u8; 55],
}

/// The risk parameters of an asset as the risk authority sets them.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollateralParams {
    /// Pyth feed id (PriceUpdateV2).
    pub feed_id: [u8; 32],
    pub max_oracle_age_secs: u32,
    /// Largest accepted conf / price (Ratio raw, Q16.48).
    pub max_conf_ratio: i64,
    /// k: assets at price - k conf, liabilities at price + k conf (Ratio raw).
    pub conf_mult: i64,
    /// Haircuts and size growth (Ratio raw); size_ref in Money raw (Q24).
    pub maint_haircut: i64,
    pub init_haircut: i64,
    pub size_growth: i64,
    pub size_ref: i64,
    /// Extra loss in the mapped group's scenarios (Ratio raw).
    pub depeg_shock: i64,
    /// Cap on total deposits, native units.
    pub deposit_cap: u64,
    /// Id of the Underlying this asset moves with ([`NO_GROUP`] if none): its balances join
    /// that underlying's scenarios (with `depeg_shock`). The underlying must exist.
    pub group: u8,
    /// One of [`status`].
    pub status: u8,
}

impl CollateralParams {
    /// Rejects anything the kernel or the oracle rules could not use.
    pub fn validate(&self, decimals: u8) -> bool {
        let unit = |v: i64| (0..=Ratio::ONE.raw()).contains(&v);
        let kernel_ok =
            risk_kernel::collateral::validate(&self.to_kernel(0, decimals, Price::ONE, Price::ZERO)).is_ok();
        kernel_ok
            && unit(self.max_conf_ratio)
            && self.conf_mult >= 0
            && (1..=crate::oracle::MAX_ORACLE_AGE_SECS).contains(&self.max_oracle_age_secs)
            && self.status <= status::DISABLED
            && unit(self.depeg_shock)
    }

    fn to_kernel(self, amount: i64, decimals: u8, price: Price, conf: Price) -> risk_kernel::collateral::Collateral {
        risk_kernel::collateral::Collateral {
            amount,
            decimals,
            price,
            conf,
            conf_mult: Ratio::from_raw(self.conf_mult),
            maint_haircut: Ratio::from_raw(self.maint_haircut),
            init_haircut: Ratio::from_raw(self.init_haircut),
            size_growth: Ratio::from_raw(self.size_growth),
            size_ref: Money::from_raw(self.size_ref),
            group: (self.group != NO_GROUP).then_some(self.group),
            depeg_shock: Ratio::from_raw(self.depeg_shock),
        }
    }
}

impl CollateralAsset {
    pub const VERSION: u8 = 1;

    /// The part of a positive balance the vault backs after socialized losses (rounded down:
    /// against the account); negative balances (debts) count in full.
    pub fn backed(&self, amount: i64) -> Result<i64> {
        if amount <= 0 || self.socialized_loss == 0 {
            return Ok(amount);
        }
        let (v, d) = (self.total_deposits as u128, self.socialized_loss as u128);
        let backed = (amount as u128) * v / (v + d);
        i64::try_from(backed).map_err(|_| crate::error::PmError::Overflow.into())
    }

    /// The oracle rules a price of this asset must meet.
    pub fn oracle_limits(&self) -> crate::oracle::OracleLimits {
        crate::oracle::OracleLimits {
            feed_id: self.params.feed_id,
            max_age_secs: self.params.max_oracle_age_secs,
            max_conf_ratio: self.params.max_conf_ratio,
        }
    }

    /// The kernel's view of a balance of this asset at an oracle reading.
    pub fn to_kernel(&self, amount: i64, price: Price, conf: Price) -> risk_kernel::collateral::Collateral {
        self.params.to_kernel(amount, self.decimals, price, conf)
    }
}
