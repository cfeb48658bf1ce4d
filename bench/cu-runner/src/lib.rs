//! Compute units of the risk kernel in a real SBF VM (mollusk, agave 4.2 program runtime).
//!
//! Loads `bench/kernel-sbf`'s .so, runs every benchmarked operation, checks that the SBF
//! results equal the host kernel's bit for bit, and reports CU per operation against the
//! ceilings. Used by the `cu-bench` binary (prints the table) and by `tests/ceilings.rs`
//! (asserts it).

use std::path::{Path, PathBuf};

use kernel_sbf::fixture::{self, Fixture};
use kernel_sbf::*;
use mollusk_svm::Mollusk;
use mollusk_svm::program::loader_keys::LOADER_V3;
use mollusk_svm::result::ProgramResult;
use risk_kernel::black_scholes::greeks;
use risk_kernel::instrument::{InstrumentRisk, instrument_risk};
use risk_kernel::margin::{MarginReport, margin_from_risk, margin_full};
use risk_kernel::scenario::{SCENARIO_CHUNK, Shocks};
use solana_account::Account;
use solana_instruction::{AccountMeta, Instruction};
use solana_pubkey::Pubkey;

/// Where `scripts/sbf-toolchain.sh build bench/kernel-sbf` puts the program, relative to the
/// workspace root. `KERNEL_SBF_SO` overrides it.
pub const DEFAULT_SO: &str = "bench/kernel-sbf/target-sbf/bpfel-unknown-none/release/kernel_sbf.so";
/// Solana's default per-instruction budget, used for every run but full revaluation.
pub const DEFAULT_CU_LIMIT: u64 = 200_000;
/// A transaction's maximum, used for the full-revaluation runs.
pub const MAX_CU_LIMIT: u64 = 1_400_000;
/// When a run exhausts its budget, it is run again with this one, to report what it needs.
pub const MEASURE_CU_LIMIT: u64 = 100_000_000;
/// Account sizes measured: 1 to 32 positions (the account capacity).
pub const POSITION_COUNTS: [usize; 5] = [1, 4, 8, 16, 32];

pub const CEILING_SCENARIO: u64 = 1_500;
/// The default grid (26 points, 28 trips of the inner loop) costs 44,096 here against 32,203
/// on SPAN's 16 (issue 11 item 6); the program's whole 32-position check has 200,000.
pub const CEILING_MARGIN_FROM_RISK_32: u64 = 50_000;
/// Full revaluation in one transaction: since the 26-point grid a 32-option account no longer
/// fits (1,563,129 CU measured), so the ceiling holds at 16 positions. The program never
/// revalues a whole account in one instruction: the crank prices one instrument at a time
/// (one risk array on the default grid: ~103,000 CU) and margin checks read the arrays.
pub const CEILING_MARGIN_FULL: (usize, u64) = (16, 1_400_000);

/// Margin checks one `liquidate` instruction runs at most (the program's
/// `liquidation::engine::MARGIN_CHECKS_PER_LIQUIDATION`): the liquidatee before, up to four
/// steps to find the share that reaches the target, the liquidatee after, the liquidator.
pub const LIQUIDATION_MARGIN_CHECKS: u64 = 7;
/// The kernel's share of a transaction's 1,400,000 CU in the largest liquidation (32
/// positions, every check from the risk caches); the other 400,000 are left for loading the
/// ~42 accounts and decoding the caches, which this benchmark does not measure (Anchor 1.x
/// cannot be built to SBF here, see the toolchain README).
pub const CEILING_LIQUIDATION_KERNEL_32: u64 = 1_000_000;

pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

pub fn so_path() -> PathBuf {
    match std::env::var_os("KERNEL_SBF_SO") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join(DEFAULT_SO),
    }
}

/// The program's ELF, or an error that says how to build it.
pub fn load_elf() -> Result<Vec<u8>, String> {
    let path = so_path();
    std::fs::read(&path).map_err(|e| {
        format!(
            "cannot read the kernel SBF program {} ({e}).\n\
             Build it first, from the workspace root:\n    scripts/sbf-toolchain.sh build bench/kernel-sbf\n\
             (or point KERNEL_SBF_SO at a built kernel_sbf.so)",
            path.display()
        )
    })
}

/// One instruction's outcome.
#[derive(Clone, Debug)]
pub struct Run {
    pub cu: u64,
    pub return_data: Vec<u8>,
    /// The budget it ran under, and whether it completed within it.
    pub budget: u64,
    pub within_budget: bool,
}

pub struct Bench {
    mollusk: Mollusk,
    program_id: Pubkey,
}

impl Bench {
    pub fn new(elf: &[u8]) -> Self {
        let program_id = Pubkey::new_unique();
        let mut mollusk = Mollusk::default();
        mollusk.add_program_with_loader_and_elf(&program_id, &LOADER_V3, elf);
        Self { mollusk, program_id }
    }

    pub fn load() -> Result<Self, String> {
        Ok(Self::new(&load_elf()?))
    }

    /// Runs one instruction under `budget`. If it exhausts the budget it is run again under
    /// [`MEASURE_CU_LIMIT`] and reported with `within_budget: false` and the CU it needs. Any
    /// other failure (a kernel error) is an error.
    pub fn run(&mut self, data: Vec<u8>, account: Option<Vec<u8>>, budget: u64) -> Result<Run, String> {
        match self.run_once(data.clone(), account.clone(), budget) {
            Ok(run) => Ok(Run { cu: run.0, return_data: run.1, budget, within_budget: true }),
            Err((cu, _)) if cu >= budget => {
                let (cu, return_data) = self.run_once(data, account, MEASURE_CU_LIMIT).map_err(|(_, e)| e)?;
                Ok(Run { cu, return_data, budget, within_budget: false })
            }
            Err((_, e)) => Err(e),
        }
    }

    fn run_once(
        &mut self,
        data: Vec<u8>,
        account: Option<Vec<u8>>,
        cu_limit: u64,
    ) -> Result<(u64, Vec<u8>), (u64, String)> {
        self.mollusk.compute_budget.compute_unit_limit = cu_limit;
        let (metas, accounts) = match account {
            None => (vec![], vec![]),
            Some(bytes) => {
                let key = Pubkey::new_unique();
                let acc = Account {
                    lamports: 1_000_000_000,
                    data: bytes,
                    owner: self.program_id,
                    executable: false,
                    rent_epoch: 0,
                };
                (vec![AccountMeta::new_readonly(key, false)], vec![(key, acc)])
            }
        };
        let op = data.first().copied();
        let ix = Instruction { program_id: self.program_id, accounts: metas, data };
        let r = self.mollusk.process_instruction(&ix, &accounts);
        match r.program_result {
            ProgramResult::Success => Ok((r.compute_units_consumed, r.return_data)),
            other => Err((
                r.compute_units_consumed,
                format!(
                    "op {op:?} failed after {} CU (limit {cu_limit}): {other:?} \
                     (kernel errors are Custom(0x4b01 overflow | 0x4b02 division by zero | 0x4b03 invalid input | 0x4b04 capacity))",
                    r.compute_units_consumed
                ),
            )),
        }
    }
}

/// The raw bytes of a `repr(C)` kernel result made of 8-byte integers (`Greeks`,
/// `InstrumentRisk`): what the program returns with `sol_set_return_data`.
fn raw_bytes<T: Copy>(v: &T) -> Vec<u8> {
    // SAFETY: only called with repr(C) structs of i64/u64 fields (no padding); x86_64 and SBF
    // are both little endian with 8-byte aligned i64.
    unsafe { std::slice::from_raw_parts(v as *const T as *const u8, size_of::<T>()) }.to_vec()
}

fn i64s(vals: &[i64]) -> Vec<u8> {
    vals.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn kernel<T>(what: &str, r: risk_kernel::Result<T>) -> Result<T, String> {
    r.map_err(|e| format!("host kernel failed on {what}: {e}"))
}

fn check(what: &str, run: &Run, want: &[u8]) -> Result<(), String> {
    if run.return_data == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: SBF result differs from the host kernel\n  sbf:  {:02x?}\n  host: {want:02x?}",
            run.return_data
        ))
    }
}

fn report_values(r: &MarginReport) -> [i64; 3] {
    [r.equity.raw(), r.maintenance.raw(), r.initial.raw()]
}

/// Risk arrays of every position of `f`, as the crank would cache them (host side, same kernel).
pub fn risk_arrays(f: &Fixture) -> risk_kernel::Result<Vec<InstrumentRisk>> {
    let p = f.as_portfolio();
    let shocks: Vec<(Shocks, Shocks)> =
        p.underlyings.iter().map(|u| fixture::shocks(&f.grid, u)).collect::<risk_kernel::Result<_>>()?;
    p.positions
        .iter()
        .map(|pos| {
            let g = pos.group as usize;
            instrument_risk(&pos.instrument, &p.underlyings[g].market, &shocks[g].0, &shocks[g].1)
        })
        .collect()
}

/// The account data of `OP_MARGIN_FROM_RISK`: the arrays back to back, as read in place.
pub fn risk_account_bytes(risk: &[InstrumentRisk]) -> Vec<u8> {
    risk.iter().flat_map(raw_bytes).collect()
}

/// One row of the table.
#[derive(Clone, Debug)]
pub struct Row {
    pub operation: String,
    /// Positions (and risk groups) of the account, for the account-level rows.
    pub positions: Option<(usize, usize)>,
    pub cu: u64,
    pub ceiling: Option<u64>,
    /// The instruction's budget, and whether it completed within it.
    pub budget: u64,
    pub within_budget: bool,
}

impl Row {
    pub fn within_ceiling(&self) -> bool {
        self.within_budget && self.ceiling.is_none_or(|c| self.cu <= c)
    }
}

pub const ROW_NOOP: &str = "no-op baseline (entrypoint only)";
pub const ROW_GREEKS: &str = "option price + Greeks (`black_scholes::greeks`)";
pub const ROW_SETUP: &str = "one option's setup: shocks of its group, `Prepared::new`, ln S/K, vol terms";
pub const ROW_SCENARIO: &str = "one option, one scenario (full revaluation: d1, 2 x N(x), value), per scenario";
pub const ROW_RISK_ARRAY: &str = "one instrument risk array, default grid (maintenance + initial)";
pub const ROW_MARGIN_FROM_RISK: &str = "account margin from risk arrays (`margin_from_risk`)";
pub const ROW_MARGIN_SPAN16: &str = "account margin from risk arrays, SPAN's 16-point grid (`span16`)";
pub const ROW_MARGIN_PER_SCENARIO: &str =
    "margin check: one more scenario slot (default grid's trips minus 16), 32 positions, both levels";
pub const ROW_MARGIN_FULL: &str = "account margin by full revaluation (`margin_full`)";

/// Every measurement, each checked bit for bit against the host kernel.
pub fn measure(bench: &mut Bench) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let row = |operation: &str, positions, run: &Run, ceiling| Row {
        operation: operation.into(),
        positions,
        cu: run.cu,
        ceiling,
        budget: run.budget,
        within_budget: run.within_budget,
    };

    let noop = bench.run(vec![OP_NOOP], None, DEFAULT_CU_LIMIT)?;
    rows.push(row(ROW_NOOP, None, &noop, None));

    let inputs = fixture::option_inputs();
    let run = bench.run(vec![OP_GREEKS], None, DEFAULT_CU_LIMIT)?;
    check("option price + Greeks", &run, &raw_bytes(&kernel("greeks", greeks(&inputs))?))?;
    rows.push(row(ROW_GREEKS, None, &run, None));

    // Per-scenario cost of full revaluation: the option valued in 16 scenarios minus in 0
    // (the setup, identical in both, cancels), divided by 16.
    let u = fixture::underlying(0);
    let grid = kernel("grid", fixture::grid())?;
    let (mm, im) = kernel("shocks", fixture::shocks(&grid, &u))?;
    let inst = fixture::option_instrument();
    let mut scen = |k: usize| -> Result<Run, String> {
        let want = kernel("scenario", fixture::scenario_sum(&inst, &u.market, &mm, k))?;
        let run = bench.run(vec![OP_SCENARIO, k as u8], None, DEFAULT_CU_LIMIT)?;
        check(&format!("option in {k} scenarios"), &run, &i64s(&[want]))?;
        Ok(run)
    };
    let (zero, all) = (scen(0)?, scen(mm.len)?);
    let setup = Run { cu: zero.cu.saturating_sub(noop.cu), ..zero.clone() };
    rows.push(row(ROW_SETUP, None, &setup, None));
    let per = Run { cu: (all.cu.saturating_sub(zero.cu)).div_ceil(mm.len as u64), ..all };
    rows.push(row(ROW_SCENARIO, None, &per, Some(CEILING_SCENARIO)));

    let run = bench.run(vec![OP_RISK_ARRAY], None, DEFAULT_CU_LIMIT)?;
    let want = kernel("instrument_risk", instrument_risk(&inst, &u.market, &mm, &im))?;
    check("risk array", &run, &raw_bytes(&want))?;
    rows.push(row(ROW_RISK_ARRAY, None, &run, None));

    for n in POSITION_COUNTS {
        let groups = fixture::groups_for(n);
        let f = kernel("fixture", fixture::portfolio(n, groups))?;
        let risk = kernel("risk arrays", risk_arrays(&f))?;
        let want = report_values(&kernel("margin_from_risk", margin_from_risk(&f.as_portfolio(), &risk))?);
        let run = bench.run(
            vec![OP_MARGIN_FROM_RISK, n as u8, groups as u8],
            Some(risk_account_bytes(&risk)),
            DEFAULT_CU_LIMIT,
        )?;
        check(&format!("margin from risk arrays, {n} positions"), &run, &i64s(&want))?;
        // The program builds the benchmark portfolio before calling the kernel; a real program
        // reads it from its account. That construction is measured on its own and taken out.
        let build = fixture_build_cu(bench, n, groups)?;
        let net = Run { cu: run.cu.saturating_sub(build), ..run };
        let ceiling = (n == 32).then_some(CEILING_MARGIN_FROM_RISK_32);
        rows.push(row(ROW_MARGIN_FROM_RISK, Some((n, groups)), &net, ceiling));
        if n == 32 {
            // The same account on SPAN's 16-point grid: the difference is the scenarios' cost.
            let mut f = f;
            f.grid = kernel("span grid", fixture::span_grid())?;
            let risk = kernel("risk arrays", risk_arrays(&f))?;
            let want = report_values(&kernel("margin_from_risk", margin_from_risk(&f.as_portfolio(), &risk))?);
            let run = bench.run(
                vec![OP_MARGIN_FROM_RISK, n as u8, groups as u8, 1],
                Some(risk_account_bytes(&risk)),
                DEFAULT_CU_LIMIT,
            )?;
            check("margin from risk arrays, SPAN grid", &run, &i64s(&want))?;
            let span = Run { cu: run.cu.saturating_sub(build), ..run };
            let default_trips = kernel("grid", fixture::grid())?.chunks() * SCENARIO_CHUNK;
            let extra = (default_trips - 16) as u64;
            let per = Run { cu: net.cu.saturating_sub(span.cu).div_ceil(extra), ..span.clone() };
            rows.push(row(ROW_MARGIN_SPAN16, Some((n, groups)), &span, None));
            rows.push(row(ROW_MARGIN_PER_SCENARIO, Some((n, groups)), &per, None));
        }
    }

    for n in POSITION_COUNTS {
        let groups = fixture::groups_for(n);
        let f = kernel("fixture", fixture::portfolio(n, groups))?;
        let want = report_values(&kernel("margin_full", margin_full(&f.as_portfolio()))?);
        let run = bench.run(vec![OP_MARGIN_FULL, n as u8, groups as u8], None, MAX_CU_LIMIT)?;
        check(&format!("margin by full revaluation, {n} positions"), &run, &i64s(&want))?;
        let build = fixture_build_cu(bench, n, groups)?;
        let run = Run { cu: run.cu.saturating_sub(build), ..run };
        let ceiling = (n == CEILING_MARGIN_FULL.0).then_some(CEILING_MARGIN_FULL.1);
        rows.push(row(ROW_MARGIN_FULL, Some((n, groups)), &run, ceiling));
    }
    Ok(rows)
}

/// CU of building the benchmark portfolio on chain (with the entrypoint), to subtract.
fn fixture_build_cu(bench: &mut Bench, n: usize, groups: usize) -> Result<u64, String> {
    Ok(bench.run(vec![OP_PROFILE, PROFILE_FIXTURE, n as u8, groups as u8], None, DEFAULT_CU_LIMIT)?.cu)
}

/// Where the CU go: pieces of the work above, each its own instruction (CU minus the no-op).
pub fn profile(bench: &mut Bench) -> Result<Vec<(String, u64)>, String> {
    let base = bench.run(vec![OP_NOOP], None, DEFAULT_CU_LIMIT)?.cu;
    let mut out = Vec::new();
    let mut piece = |bench: &mut Bench, name: String, args: &[u8]| -> Result<(), String> {
        let mut data = vec![OP_PROFILE];
        data.extend_from_slice(args);
        let run = bench.run(data, None, DEFAULT_CU_LIMIT)?;
        out.push((name, run.cu.saturating_sub(base)));
        Ok(())
    };
    piece(bench, "math::ln".into(), &[PROFILE_LN])?;
    piece(bench, "math::exp".into(), &[PROFILE_EXP])?;
    piece(bench, "math::sqrt".into(), &[PROFILE_SQRT])?;
    piece(bench, "math::ncdf".into(), &[PROFILE_NCDF])?;
    piece(bench, "math::npdf".into(), &[PROFILE_NPDF])?;
    piece(bench, "`Prepared::new` + `log_moneyness` (one option)".into(), &[PROFILE_PREPARE])?;
    piece(bench, "`Prepared::new` + `log_moneyness` + `Prepared::value` (d1, d2, 2 x ncdf)".into(), &[PROFILE_VALUE])?;
    piece(bench, "scan ranges + shocks of one group (both levels, default grid)".into(), &[PROFILE_SHOCKS])?;
    piece(bench, "`collateral::value` x 3 balances".into(), &[PROFILE_COLLATERAL, 4])?;
    for n in [1, 32] {
        let groups = fixture::groups_for(n as usize);
        piece(
            bench,
            format!("build the fixture on chain, {n} position(s), {groups} group(s)"),
            &[PROFILE_FIXTURE, n, groups as u8],
        )?;
    }
    // Risk array per instrument kind (positions 0.. of the 4-group fixture cover all four).
    let f = kernel("fixture", fixture::portfolio(32, 4))?;
    let mut seen = Vec::new();
    for (i, pos) in f.positions.iter().enumerate() {
        let kind = pos.instrument.kind;
        if !seen.contains(&kind) {
            seen.push(kind);
            piece(
                bench,
                format!("shocks + risk array of one {kind:?} (position {i})"),
                &[PROFILE_POSITION_RISK, i as u8, 4],
            )?;
        }
    }
    Ok(out)
}

/// 1234567 -> "1,234,567".
pub fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn markdown_table(rows: &[Row]) -> String {
    let mut t = String::from("| operation | positions | CU consumed | ceiling |\n|---|---:|---:|---:|\n");
    for r in rows {
        let positions = match r.positions {
            Some((n, g)) => format!("{n} ({g} group{})", if g == 1 { "" } else { "s" }),
            None => "—".into(),
        };
        let ceiling = match r.ceiling {
            Some(c) if r.cu > c => format!("{} **exceeded**", thousands(c)),
            Some(c) => thousands(c),
            None => "—".into(),
        };
        let cu = if r.within_budget {
            thousands(r.cu)
        } else {
            format!("{} (over its {} budget)", thousands(r.cu), thousands(r.budget))
        };
        t.push_str(&format!("| {} | {} | {} | {} |\n", r.operation, positions, cu, ceiling));
    }
    t
}
