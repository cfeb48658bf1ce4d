//! [`Snapshot`]: one margin account's kernel inputs, built from a [`MarketView`]. Refilling it
//! after the account changed (the other side of a trade, each step of a liquidation) reuses
//! its vectors: a bump heap never frees, so a new snapshot per check would not fit.
use super::rules::Checked;
use super::view::MarketView;
use crate::error::{PmError, kernel_err};
use crate::funding;
use crate::state::{
    Config, MAX_BALANCES, MAX_CREDIT_PARTNERS, MAX_POSITIONS, MarginAccount, NO_GROUP, SpreadCreditParam, Underlying,
    kernel_kind, status,
};
use crate::units;
use anchor_lang::prelude::*;
use risk_kernel::collateral::Collateral;
use risk_kernel::instrument::InstrumentRisk;
use risk_kernel::margin::{
    self as kmargin, MAX_GROUPS, MarginReport, Portfolio, Position, SpreadCredit, margin_from_risk_into,
};
use risk_kernel::scenario::ScenarioGrid;
use risk_kernel::{Money, Price, Ratio, Round};

pub struct Snapshot {
    /// Risk groups: the underlyings in use, in order of first use.
    groups: Vec<Pubkey>,
    underlyings: Vec<kmargin::Underlying>,
    positions: Vec<Position>,
    risks: Vec<InstrumentRisk>,
    collateral: Vec<Collateral>,
    /// The first oracle error met, if a balance was left out.
    missing: Option<u32>,
    /// Initial-margin add-on: `profit_haircut` x unrealized profit of live linear positions.
    profit_addon: Money,
    /// The configured grid (`Config::grid`), tagged with `Config::grid_epoch`; boxed and filled
    /// in place (~1.3 KB at 32 points).
    grid: Box<ScenarioGrid>,
    /// Each group's underlying id and declared spreads, and the account's credit pairs.
    spreads: [(u8, [SpreadCreditParam; MAX_CREDIT_PARTNERS]); MAX_GROUPS],
    credits: Vec<SpreadCredit>,
}

/// Pairs of an account's (at most 4) groups.
const MAX_PAIRS: usize = MAX_GROUPS * (MAX_GROUPS - 1) / 2;

impl Snapshot {
    pub fn new(view: &MarketView, acc: &MarginAccount, config: &Config) -> Result<Box<Snapshot>> {
        let mut s = Box::new(Snapshot {
            groups: Vec::with_capacity(MAX_GROUPS),
            underlyings: Vec::with_capacity(MAX_GROUPS),
            positions: Vec::with_capacity(MAX_POSITIONS),
            risks: Vec::with_capacity(MAX_POSITIONS),
            collateral: Vec::with_capacity(MAX_BALANCES),
            missing: None,
            profit_addon: Money::ZERO,
            grid: Box::default(),
            spreads: [(NO_GROUP, [SpreadCreditParam::NONE; MAX_CREDIT_PARTNERS]); MAX_GROUPS],
            credits: Vec::with_capacity(MAX_PAIRS),
        });
        config.load_grid(&mut s.grid)?;
        s.refill(view, acc, config)?;
        Ok(s)
    }

    /// Rebuilds the inputs from `acc` (same capacity, no new heap).
    #[inline(never)]
    pub fn refill(&mut self, view: &MarketView, acc: &MarginAccount, config: &Config) -> Result<()> {
        let now = view.now;
        require!(acc.version == MarginAccount::VERSION, PmError::UnsupportedVersion);
        acc.invariant()?;
        self.groups.clear();
        self.underlyings.clear();
        self.positions.clear();
        self.risks.clear();
        self.collateral.clear();
        self.missing = None;
        self.profit_addon = Money::ZERO;
        for slot in &acc.positions[..acc.n_positions as usize] {
            let inst = view.instrument(&slot.instrument)?;
            require!(!inst.is_expired(now), PmError::PositionExpiredUnsettled);
            let u = view.underlying(&inst.underlying)?;
            let g = self.group(inst.underlying, u, config, now)?;
            let risk = view.risk_at(inst, u.snapshot.epoch)?;
            // Computed under another grid (a grid change since): stale until the crank reruns.
            require!(risk.grid == self.grid.tag(), PmError::RiskStale);
            if !inst.is_option() && u.params.profit_haircut > 0 {
                let addon = profit_addon(risk.fair, inst.lot_size, slot, u)?;
                self.profit_addon = self.profit_addon.add(addon).map_err(kernel_err)?;
            }
            crate::mem::push_copy(&mut self.risks, risk);
            let years = if inst.has_expiry() { units::years_until(inst.expiry, now)? } else { Ratio::ZERO };
            // Linear positions carry their cost as a cash amount: entry 0, -cost in `funding`.
            let neg_cost = slot.cost.checked_neg().ok_or(PmError::Overflow)?;
            let cost = units::native_to_money(neg_cost, u.quote_decimals, Round::Down)?;
            self.positions.push(Position {
                group: g,
                instrument: risk_kernel::instrument::Instrument {
                    kind: kernel_kind(inst.kind)?,
                    strike: Price::from_raw(inst.strike),
                    expiry: years,
                    vol: Ratio::from_raw(inst.vol),
                    lot_size: Ratio::from_raw(inst.lot_size),
                    // The check reads the crank's arrays (marked at the forward curve then).
                    forward_ratio: Ratio::ZERO,
                },
                lots: slot.lots,
                entry_price: Price::ZERO,
                // Perpetual funding settled and not yet settled, rounded against the account.
                funding: cost.add(funding::to_money(funding::owed(slot, inst.funding_index)?)).map_err(kernel_err)?,
            });
        }
        for (i, b) in acc.balances[..acc.n_balances as usize].iter().enumerate() {
            let asset = view.asset(&b.asset)?;
            // A delisted asset (its feed stopped for good) counts zero and reads no oracle, so
            // it blocks nothing (M-5); a debt in it would still need a price.
            if asset.params.status == status::DELISTED && b.amount > 0 {
                continue;
            }
            let group = if asset.params.group == NO_GROUP {
                None
            } else {
                let (key, u) = view.underlying_by_id(asset.params.group)?;
                // A mapped balance that would open a fifth risk group counts zero and reads no
                // oracle: deposits read no market and mappings change, so an account could
                // otherwise pass the kernel's four groups and fail every margin check, its
                // liquidation included (R2-1, docs/security-review-2.md).
                if b.amount > 0 && !self.groups.contains(&key) && self.groups.len() >= MAX_GROUPS {
                    continue;
                }
                Some(self.group(key, u, config, now)?)
            };
            // After a socialized loss, a positive balance is worth its effective amount at the
            // asset's loss index (never above the slot's: the index only falls).
            let index = asset.loss_index();
            require!(acc.slot_index(i) >= index, PmError::AccountCorrupt);
            match view.price(asset) {
                Ok(band) => {
                    let mut c = asset.to_kernel(acc.effective(i, index)?, band.price, band.conf);
                    c.group = group;
                    self.collateral.push(c);
                }
                // A mapped balance moves its group's scenarios: it cannot be left out.
                Err(e) if group.is_some() => return Err(e),
                Err(e) => {
                    msg!("balance {} left out: its oracle was refused", i);
                    if self.missing.is_none() {
                        self.missing = Some(code_of(&e));
                    }
                }
            }
        }
        self.pair_credits();
        Ok(())
    }

    /// The spread credits between the account's groups: a pair declared by either underlying
    /// (the smaller rate if by both), highest rate first, ties by underlying ids, so the
    /// order never depends on the order the account opened its groups in.
    fn pair_credits(&mut self) {
        self.credits.clear();
        let n = self.groups.len();
        for a in 0..n {
            for b in a + 1..n {
                let ((ia, ca), (ib, cb)) = (&self.spreads[a], &self.spreads[b]);
                let on_a = ca.iter().find(|c| c.partner == *ib).map(|c| c.rate);
                let on_b = cb.iter().find(|c| c.partner == *ia).map(|c| c.rate);
                let rate = match (on_a, on_b) {
                    (Some(x), Some(y)) => x.min(y),
                    (Some(x), None) | (None, Some(x)) => x,
                    (None, None) => continue,
                };
                if rate > 0 {
                    self.credits.push(SpreadCredit { group_a: a as u8, group_b: b as u8, rate: Ratio::from_raw(rate) });
                }
            }
        }
        let spreads = &self.spreads;
        self.credits.sort_unstable_by_key(|c| {
            let (ia, ib) = (spreads[c.group_a as usize].0, spreads[c.group_b as usize].0);
            (core::cmp::Reverse(c.rate.raw()), ia.min(ib), ia.max(ib))
        });
    }

    /// The risk group of underlying `key`, opening it on first use (at most 4).
    fn group(&mut self, key: Pubkey, u: &Underlying, config: &Config, now: i64) -> Result<u8> {
        if let Some(g) = self.groups.iter().position(|k| *k == key) {
            return Ok(g as u8);
        }
        require!(self.groups.len() < MAX_GROUPS, PmError::TooManyUnderlyings);
        require!(u.snapshot.is_fresh(now, u.params.max_risk_age_secs), PmError::RiskStale);
        self.spreads[self.groups.len()] = (u.id, u.params.spread_credits);
        self.groups.push(key);
        self.underlyings.push(kernel_underlying(u, config));
        Ok((self.groups.len() - 1) as u8)
    }

    /// The kernel's report (boxed: 1.6 KB that would crowd a 4 KiB frame).
    #[inline(never)]
    pub fn check(&self) -> Result<Checked> {
        let portfolio = Portfolio {
            underlyings: &self.underlyings,
            positions: &self.positions,
            collateral: &self.collateral,
            grid: &self.grid,
            spread_credits: &self.credits,
        };
        // Filled in place on the heap: ~2.7 KB at 32 scenarios, too much for this frame.
        let mut report = Box::new(MarginReport::EMPTY);
        margin_from_risk_into(&portfolio, &self.risks, &mut report).map_err(kernel_err)?;
        report.initial = report.initial.add(self.profit_addon).map_err(kernel_err)?;
        Ok(Checked { report, missing: self.missing })
    }
}

/// `profit_haircut` x the unrealized profit of a live future or perpetual at `fair` (0 for a
/// loss), rounded up: the margin add-on is against the account.
fn profit_addon(fair: Price, lot_size: i64, slot: &crate::state::PositionSlot, u: &Underlying) -> Result<Money> {
    // The position's value at fair, rounded toward a larger profit.
    let round = if slot.lots > 0 { Round::Up } else { Round::Down };
    let per_lot = units::native_per_lot(fair, Ratio::from_raw(lot_size), u.quote_decimals, round)?;
    let profit = units::cash(slot.lots, per_lot)?.checked_sub(slot.cost).ok_or(PmError::Overflow)?;
    if profit <= 0 {
        return Ok(Money::ZERO);
    }
    let profit = units::native_to_money(profit, u.quote_decimals, Round::Up)?;
    profit.mul_ratio(Ratio::from_raw(u.params.profit_haircut), Round::Up).map_err(kernel_err)
}

/// The custom error code behind `e` (oracle refusals are all `PmError`s).
fn code_of(e: &Error) -> u32 {
    match e {
        Error::AnchorError(a) => a.error_code_number,
        Error::ProgramError(p) => match p.program_error {
            ProgramError::Custom(c) => c,
            _ => PmError::OracleMissing as u32 + anchor_lang::error::ERROR_CODE_OFFSET,
        },
    }
}

/// The kernel's view of an underlying at its last snapshot.
pub fn kernel_underlying(u: &Underlying, config: &Config) -> kmargin::Underlying {
    let levels = u.params.kernel_levels();
    kmargin::Underlying {
        market: kernel_market(u, config),
        conf: Price::from_raw(u.snapshot.conf),
        atm_vol: Ratio::from_raw(u.snapshot.atm_vol),
        maintenance: levels.0,
        initial: levels.1,
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

/// One-shot: the report of `acc` against `view` (a new snapshot).
pub fn report(view: &MarketView, acc: &MarginAccount, config: &Config) -> Result<Checked> {
    Snapshot::new(view, acc, config)?.check()
}
