use anchor_lang::prelude::*;
use risk_kernel::{Money, Price, Ratio};

/// An asset's status (one byte in accounts and instruction data: the variant's index).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AssetStatus {
    #[default]
    Active,
    /// Withdrawals and liquidations only.
    ReduceOnly,
    /// No deposits (same as reduce-only for everything else).
    Disabled,
    /// Valued at zero, without reading its oracle: the fallback when an asset's feed stops for
    /// good (M-5), so its balances block no check or liquidation. Deposits refused, the owner
    /// may still withdraw. Never a quote asset (its debts need a price). Reprices balances, so
    /// only through the delayed `collateral_propose` / `collateral_apply`.
    Delisted,
}

/// The statuses by their former constant names.
pub mod status {
    use super::AssetStatus;
    pub const ACTIVE: AssetStatus = AssetStatus::Active;
    pub const REDUCE_ONLY: AssetStatus = AssetStatus::ReduceOnly;
    pub const DISABLED: AssetStatus = AssetStatus::Disabled;
    pub const DELISTED: AssetStatus = AssetStatus::Delisted;
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
    /// Tokens in the vault (== vault balance), native units: what deposits put in and
    /// withdrawals took out.
    pub total_deposits: u64,
    /// Cumulative uncovered bankruptcy losses socialized in this asset (native units), for
    /// reporting only: since M-2 a loss is booked at once in [`CollateralAsset::loss_index`]
    /// and nothing stays outstanding (before, this was the outstanding loss D that every
    /// positive balance, later deposits included, was valued against).
    pub socialized_loss: u64,
    /// 1 once an underlying settles in this asset (a quote asset): strangers may fund it in
    /// any account, and other assets never take an account's last free slot from it.
    pub is_quote: u8,
    /// Cumulative loss index, fixed point with [`LOSS_INDEX_ONE`] = no loss (raw 0, an asset
    /// written before the field existed, also reads as one: use [`CollateralAsset::loss_index`]).
    /// It only falls, at the moment a loss is socialized. A positive balance is worth
    /// amount x this / the index its slot was last settled at (`MarginAccount::balance_index`),
    /// rounded down: a loss lowers the balances that existed when it was booked, never money
    /// deposited or credited after it. Never below 1.
    pub loss_index: u64,
    /// Sum of the `net_cash` of the instruments settling in this asset (quote native units paid
    /// into balances by settlement and by liquidations' realized P&L), so that the balances net
    /// of debts == `total_deposits` + this (less the dust socialization leaves in the vault).
    pub net_cash: i64,
    /// Where a receipt token's exchange rate is read ([`RateSource::None`]: a plain token,
    /// priced by its feed alone). Set once, before the first deposit (`collateral_set_rate_source`).
    pub rate_source: RateSource,
    /// The pinned account of `rate_source` (an SPL stake pool); default when none.
    pub rate_account: Pubkey,
    pub reserved: [u8; 6],
}

/// How an asset's price is made: its feed alone, or a receipt token's exchange rate (read from
/// its issuer's own account) x its feed (the underlying's, e.g. SOL/USD for an LST).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RateSource {
    #[default]
    None,
    /// `oracle::stake_pool`: total_lamports / pool_token_supply of an SPL stake pool.
    SplStakePool,
}

/// The loss index's fixed-point one (2^60): [`CollateralAsset::loss_index`] at no loss.
pub const LOSS_INDEX_ONE: u64 = 1 << 60;

/// The effective amount of a balance of `amount` whose slot was last settled at `slot_index`
/// (raw: 0 = [`LOSS_INDEX_ONE`]) when its asset's index is now `index`: a positive amount
/// x index / slot_index, rounded down (against the account); a debt (or zero) in full.
pub fn effective_amount(amount: i64, slot_index: u64, index: u64) -> Result<i64> {
    let slot = if slot_index == 0 { LOSS_INDEX_ONE } else { slot_index };
    if amount <= 0 || index >= slot {
        return Ok(amount);
    }
    let v = (amount as u128) * (index as u128) / (slot as u128);
    i64::try_from(v).map_err(|_| crate::error::PmError::Overflow.into())
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
    pub status: AssetStatus,
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
            && unit(self.depeg_shock)
    }

    /// Whether `new` moves only the emergency levers, which reprice no balance and so act at
    /// once (L-2): status among active / reduce-only / disabled, the deposit cap, and tighter
    /// oracle limits. Anything else waits `PARAM_DELAY_SECS` (`collateral_propose`).
    pub fn only_levers_changed(&self, new: &CollateralParams) -> bool {
        let mut rest = *new;
        rest.status = self.status;
        rest.deposit_cap = self.deposit_cap;
        rest.max_oracle_age_secs = self.max_oracle_age_secs;
        rest.max_conf_ratio = self.max_conf_ratio;
        rest == *self
            && self.status != status::DELISTED
            && new.status != status::DELISTED
            && new.max_oracle_age_secs <= self.max_oracle_age_secs
            && new.max_conf_ratio <= self.max_conf_ratio
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

    /// The current loss index ([`LOSS_INDEX_ONE`] when no loss was ever socialized).
    pub fn loss_index(&self) -> u64 {
        if self.loss_index == 0 { LOSS_INDEX_ONE } else { self.loss_index }
    }

    /// The effective amount of a balance of this asset whose slot was last settled at
    /// `slot_index` (see [`effective_amount`]).
    pub fn effective(&self, amount: i64, slot_index: u64) -> Result<i64> {
        effective_amount(amount, slot_index, self.loss_index())
    }

    /// Socializes an uncovered loss of `rest` native units at once: every positive balance of
    /// the asset that exists now is written down by the factor B / (B + rest), booked in the
    /// loss index; money deposited or credited later is not touched. Returns the new index.
    ///
    /// B = `total_deposits` + `net_cash` is the asset's balances net of debts with the loss
    /// written off. The positive balances P (not tracked on chain) are B + rest + the debts
    /// other accounts still owe in the asset, so P >= B + rest and the write-down
    /// P x rest / (B + rest) is at least `rest`: the books never claim more than the vault
    /// (plus `net_cash`). It is exactly `rest` when no other account owes the asset, and
    /// rest x (1 + debts / (B + rest)) when some do (the excess stays in the vault). The index
    /// is rounded down (against the holders); if B <= 0 every balance is written off, down to
    /// the smallest index, 1 (a balance then keeps at most amount / 2^60 units).
    pub fn socialize(&mut self, rest: u64) -> Result<u64> {
        let index = self.loss_index() as u128;
        let b = self.total_deposits as i128 + self.net_cash as i128;
        let next = if b <= 0 { 0 } else { index * (b as u128) / (b as u128 + rest as u128) };
        let next = u64::try_from(next.max(1)).map_err(|_| crate::error::PmError::Overflow)?;
        self.loss_index = next.min(self.loss_index());
        self.socialized_loss = self.socialized_loss.checked_add(rest).ok_or(crate::error::PmError::Overflow)?;
        Ok(self.loss_index)
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
