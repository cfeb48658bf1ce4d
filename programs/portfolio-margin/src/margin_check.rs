//! Snapshot of a margin account for the risk kernel: validate accounts, read oracles and risk
//! caches, build the kernel's inputs, return its report.
//!
//! Remaining accounts: every account the margin check needs, in any order (the same list
//! can serve both sides of a trade): each balance's CollateralAsset and a Pyth price account
//! for its feed, each position's Instrument, and the Underlying of every instrument (and of
//! every mapped collateral asset). Accounts are matched by address (assets, instruments,
//! underlyings) or by feed id (Pyth); unrelated accounts are ignored.
use crate::error::{PmError, kernel_err};
use crate::oracle::{PriceBand, pyth};
use crate::state::{
    CollateralAsset, Config, Instrument, MAX_BALANCES, MarginAccount, NO_GROUP, Underlying, kernel_kind, seeds,
};
use crate::units;
use anchor_lang::prelude::*;
use risk_kernel::margin::{self as kmargin, MAX_GROUPS, MarginReport, Portfolio, Position, margin_from_risk};
use risk_kernel::scenario::ScenarioGrid;
use risk_kernel::{Money, Price, Ratio, Round};

/// A report and whether every balance was valued. Balances whose oracle is stale or invalid
/// (and that are not mapped into a risk group) are left out rather than blocking the whole
/// account: maintenance margin does not depend on them, so risk-reducing actions still work,
/// but an initial-margin check needs every balance ([`Checked::require_complete`]).
pub struct Checked {
    pub report: MarginReport,
    /// The first oracle error met, if a balance was left out.
    pub missing: Option<Error>,
}

impl Checked {
    /// The report, if every balance was valued (else the first oracle error).
    pub fn require_complete(self) -> Result<MarginReport> {
        match self.missing {
            Some(e) => Err(e),
            None => Ok(self.report),
        }
    }

    /// equity >= initial margin, with every balance valued.
    pub fn require_initial(self) -> Result<MarginReport> {
        let report = self.require_complete()?;
        require!(report.equity >= report.initial, PmError::InitialMarginViolated);
        Ok(report)
    }
}

/// The margin report of `acc` (see the module docs for `remaining`).
pub fn report<'info>(
    acc: &MarginAccount,
    remaining: &'info [AccountInfo<'info>],
    now: i64,
    config: &Config,
) -> Result<Checked> {
    let (nb, np) = (acc.n_balances as usize, acc.n_positions as usize);
    let find = |key: &Pubkey| find(remaining, key);

    // Risk groups: the underlyings in use, in order of first use (at most 4).
    let mut unds: Vec<(Pubkey, Underlying)> = Vec::with_capacity(MAX_GROUPS);
    fn group(
        unds: &mut Vec<(Pubkey, Underlying)>,
        key: Pubkey,
        load: impl FnOnce() -> Result<Underlying>,
    ) -> Result<u8> {
        if let Some(g) = unds.iter().position(|(k, _)| *k == key) {
            return Ok(g as u8);
        }
        require!(unds.len() < MAX_GROUPS, PmError::TooManyUnderlyings);
        unds.push((key, load()?));
        Ok((unds.len() - 1) as u8)
    }
    let load_und = |info: &'info AccountInfo<'info>| -> Result<Underlying> {
        Ok(Account::<Underlying>::try_from(info)?.into_inner())
    };

    let mut positions = Vec::with_capacity(np);
    let mut risks = Vec::with_capacity(np);
    for slot in &acc.positions[..np] {
        let loader = AccountLoader::<Instrument>::try_from(find(&slot.instrument)?)?;
        let inst = loader.load()?;
        require!(!inst.is_expired(now), PmError::PositionExpiredUnsettled);
        let g = group(&mut unds, inst.underlying, || load_und(find(&inst.underlying)?))?;
        let u = &unds[g as usize].1;
        require!(u.snapshot.is_fresh(now, u.params.max_risk_age_secs), PmError::RiskStale);
        risks.push(inst.risk_at(u.snapshot.epoch)?);
        let years = if inst.has_expiry() { units::years_until(inst.expiry, now)? } else { Ratio::ZERO };
        // Linear positions carry their cost as a cash amount: entry 0, -cost in `funding`.
        let neg_cost = slot.cost.checked_neg().ok_or(PmError::Overflow)?;
        let cost = units::native_to_money(neg_cost, u.quote_decimals, Round::Down)?;
        positions.push(Position {
            group: g,
            instrument: risk_kernel::instrument::Instrument {
                kind: kernel_kind(inst.kind)?,
                strike: Price::from_raw(inst.strike),
                expiry: years,
                vol: Ratio::from_raw(inst.vol),
                lot_size: Ratio::from_raw(inst.lot_size),
            },
            lots: slot.lots,
            entry_price: Price::ZERO,
            funding: cost.add(Money::from_raw(slot.funding)).map_err(kernel_err)?,
        });
    }

    let oracles = oracle_accounts(remaining);
    let mut cols = [None; MAX_BALANCES];
    let mut missing = None;
    for (i, b) in acc.balances[..nb].iter().enumerate() {
        let asset = Account::<CollateralAsset>::try_from(find(&b.asset)?)?;
        let group = if asset.params.group == NO_GROUP {
            None
        } else {
            let id = asset.params.group;
            let key = Pubkey::find_program_address(&[seeds::UNDERLYING, &[id]], &crate::ID).0;
            let g = group(&mut unds, key, || load_und(find(&key)?))?;
            let u = &unds[g as usize].1;
            require!(u.snapshot.is_fresh(now, u.params.max_risk_age_secs), PmError::RiskStale);
            Some(g)
        };
        match read_oracle(&oracles, &asset, now) {
            Ok(band) => {
                // After a socialized loss, a positive balance is worth its backed share.
                let mut c = asset.to_kernel(asset.backed(b.amount)?, band.price, band.conf);
                c.group = group;
                cols[i] = Some(c);
            }
            // A mapped balance moves its group's scenarios: it cannot be left out.
            Err(e) if group.is_some() => return Err(e),
            Err(e) => {
                msg!("balance {} left out: its oracle was refused", i);
                missing.get_or_insert(e);
            }
        }
    }
    let collateral: Vec<_> = cols.iter().flatten().copied().collect();
    let underlyings: Vec<_> = unds.iter().map(|(_, u)| kernel_underlying(u, config)).collect();
    let grid = ScenarioGrid::span16(Ratio::from_raw(config.extreme_weight)).map_err(kernel_err)?;
    let portfolio = Portfolio {
        underlyings: &underlyings,
        positions: &positions,
        collateral: &collateral,
        grid: &grid,
        spread_credits: &[],
    };
    let report = margin_from_risk(&portfolio, &risks).map_err(kernel_err)?;
    Ok(Checked { report, missing })
}

/// The remaining account at `key`.
pub fn find<'info>(remaining: &'info [AccountInfo<'info>], key: &Pubkey) -> Result<&'info AccountInfo<'info>> {
    remaining.iter().find(|a| a.key == key).ok_or_else(|| PmError::AccountsMismatch.into())
}

/// The remaining accounts that may be price updates (not the program's own).
pub fn oracle_accounts<'a, 'info>(remaining: &'a [AccountInfo<'info>]) -> Vec<&'a AccountInfo<'info>> {
    remaining.iter().filter(|a| *a.owner != crate::ID).collect()
}

/// The price of `asset` from the oracle account carrying its feed, under its rules.
pub fn read_oracle(oracles: &[&AccountInfo], asset: &CollateralAsset, now: i64) -> Result<PriceBand> {
    let limits = asset.oracle_limits();
    match oracles.iter().find(|o| pyth::feed_id(o) == Some(limits.feed_id)) {
        Some(o) => pyth::read(o, &limits, now),
        None => err!(PmError::OracleMissing),
    }
}

/// The kernel's view of an underlying at its last snapshot.
pub fn kernel_underlying(u: &Underlying, config: &Config) -> kmargin::Underlying {
    kmargin::Underlying {
        market: kernel_market(u, config),
        conf: Price::from_raw(u.snapshot.conf),
        atm_vol: Ratio::from_raw(u.snapshot.atm_vol),
        maintenance: u.params.maintenance.to_kernel(),
        initial: u.params.initial.to_kernel(),
        short_option_min: Ratio::from_raw(u.params.short_option_min),
    }
}

pub fn kernel_market(u: &Underlying, config: &Config) -> risk_kernel::instrument::Market {
    risk_kernel::instrument::Market {
        spot: u.snapshot.spot(),
        rate: Ratio::from_raw(config.rate),
        min_vol: Ratio::from_raw(u.params.min_vol),
    }
}

/// Initial margin afterwards, or (when that fails) a strictly lower maintenance margin than
/// before: the rule for trades, so a stale oracle or a thin account can still reduce risk.
pub fn require_initial_or_less_risk(after: Checked, before: impl FnOnce() -> Result<Checked>) -> Result<MarginReport> {
    let after_mm = after.report.maintenance;
    let report = after.report;
    match after.require_initial() {
        Ok(r) => Ok(r),
        Err(e) => {
            let before = before()?;
            if after_mm < before.report.maintenance { Ok(report) } else { Err(e) }
        }
    }
}
