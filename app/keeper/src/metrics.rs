//! One metrics line per pass, for an operator to watch (stdout, and appended to
//! `--metrics-file`): a JSON object on one line,
//!
//! ```text
//! {"metric":"keeper_pass","pass":3,"ts":1767225600,"ok":true,"accounts_scanned":1204,"liquidations":1,"lost_races":0,"waiting":0,"cranked":1,"settled":0,"bankruptcies":0,"failed":0,"rpc_errors":2,"duration_ms":812}
//! ```
//!
//! `accounts_scanned`: margin accounts evaluated; `liquidations`, `lost_races` (another keeper
//! was first, or the account recovered), `waiting` (auction discount below the minimum),
//! `cranked`, `settled`, `bankruptcies`, `failed`: the pass's outcomes; `rpc_errors`: transport
//! errors seen (every failed attempt, retried or not); `duration_ms`: wall time of the pass;
//! `ok`: false when the pass itself failed (`error` then says why).
use crate::keeper::Outcome;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters the keeper bumps during a pass.
#[derive(Debug, Default)]
pub struct Counters {
    pub rpc_errors: AtomicU64,
    pub accounts_scanned: AtomicU64,
}

impl Counters {
    pub fn reset(&self) {
        self.rpc_errors.store(0, Ordering::Relaxed);
        self.accounts_scanned.store(0, Ordering::Relaxed);
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassMetrics {
    pub pass: u64,
    /// Unix seconds at the end of the pass.
    pub ts: u64,
    pub ok: bool,
    pub accounts_scanned: u64,
    pub liquidations: u64,
    pub lost_races: u64,
    pub waiting: u64,
    pub cranked: u64,
    pub settled: u64,
    pub bankruptcies: u64,
    pub failed: u64,
    pub rpc_errors: u64,
    pub duration_ms: u64,
    pub error: Option<String>,
}

impl PassMetrics {
    /// Counts `outcomes` (the pass's, when it completed) into the metrics.
    pub fn count(&mut self, outcomes: &[Outcome]) {
        for o in outcomes {
            let n = match o {
                Outcome::Liquidated { .. } => &mut self.liquidations,
                Outcome::LostRace { .. } => &mut self.lost_races,
                Outcome::Waiting { .. } => &mut self.waiting,
                Outcome::Cranked { .. } => &mut self.cranked,
                Outcome::Settled { .. } => &mut self.settled,
                Outcome::Bankruptcy { .. } => &mut self.bankruptcies,
                Outcome::Failed { .. } => &mut self.failed,
            };
            *n += 1;
        }
    }

    /// The one-line JSON form (keys in a fixed order).
    pub fn line(&self) -> String {
        let mut s = format!(
            "{{\"metric\":\"keeper_pass\",\"pass\":{},\"ts\":{},\"ok\":{},\"accounts_scanned\":{},\"liquidations\":{},\
             \"lost_races\":{},\"waiting\":{},\"cranked\":{},\"settled\":{},\"bankruptcies\":{},\"failed\":{},\
             \"rpc_errors\":{},\"duration_ms\":{}",
            self.pass,
            self.ts,
            self.ok,
            self.accounts_scanned,
            self.liquidations,
            self.lost_races,
            self.waiting,
            self.cranked,
            self.settled,
            self.bankruptcies,
            self.failed,
            self.rpc_errors,
            self.duration_ms
        );
        if let Some(e) = &self.error {
            s.push_str(",\"error\":\"");
            for c in e.chars() {
                match c {
                    '"' => s.push_str("\\\""),
                    '\\' => s.push_str("\\\\"),
                    c if (c as u32) < 0x20 => s.push_str(&format!("\\u{:04x}", c as u32)),
                    c => s.push(c),
                }
            }
            s.push('"');
        }
        s.push('}');
        s
    }
}
