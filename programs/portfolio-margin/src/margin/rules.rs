//! The margin rules, apart from how a report is computed.
use crate::error::PmError;
use anchor_lang::prelude::*;
use risk_kernel::Money;
use risk_kernel::margin::MarginReport;

/// A report and whether every balance was valued. Balances whose oracle is stale or invalid
/// (and that are not mapped into a risk group) are left out rather than blocking the whole
/// account: maintenance margin does not depend on them, so risk-reducing actions still work,
/// but an initial-margin check needs every balance ([`Checked::require_complete`]).
pub struct Checked {
    pub report: Box<MarginReport>,
    /// The custom error code of the first oracle refusal, if a balance was left out.
    pub missing: Option<u32>,
}

impl Checked {
    /// The report, if every balance was valued (else the first oracle error).
    pub fn require_complete(self) -> Result<Box<MarginReport>> {
        match self.missing {
            Some(code) => Err(ProgramError::Custom(code).into()),
            None => Ok(self.report),
        }
    }

    /// equity >= initial margin, with every balance valued.
    pub fn require_initial(self) -> Result<Box<MarginReport>> {
        let report = self.require_complete()?;
        require!(report.equity >= report.initial, PmError::InitialMarginViolated);
        Ok(report)
    }

    pub fn health(&self) -> Health {
        Health::of(&self.report)
    }
}

/// The three numbers every rule compares (Money).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Health {
    pub equity: Money,
    pub maintenance: Money,
    pub initial: Money,
}

impl Health {
    pub fn of(r: &MarginReport) -> Health {
        Health { equity: r.equity, maintenance: r.maintenance, initial: r.initial }
    }
    /// equity - initial margin (Money raw, exact).
    pub fn initial_health(&self) -> i128 {
        self.equity.raw() as i128 - self.initial.raw() as i128
    }
    /// equity - maintenance margin (Money raw, exact).
    pub fn maintenance_health(&self) -> i128 {
        self.equity.raw() as i128 - self.maintenance.raw() as i128
    }
    pub fn is_liquidatable(&self) -> bool {
        self.equity < self.maintenance
    }
}

/// The rule for a trade's side: initial margin met afterwards, or, below it, initial health
/// (equity - initial margin, over the same collateral set) not lower than before. A trade can
/// thus always reduce risk, but never move value out of an account that is short of margin
/// (Mango v4: `post_init_health >= 0 || post_init_health > pre_init_health`).
pub fn require_initial_or_healthier(after: &Checked, before: &Checked) -> Result<()> {
    if after.missing.is_none() && after.report.equity >= after.report.initial {
        return Ok(());
    }
    // Compared on the same view: a balance left out is left out of both.
    if after.health().initial_health() >= before.health().initial_health() {
        return Ok(());
    }
    // Refused: with a balance left out, its oracle's refusal is the reason to report.
    match after.missing {
        Some(code) => Err(ProgramError::Custom(code).into()),
        None => err!(PmError::InitialMarginViolated),
    }
}
