//! Compute-unit ceilings of the risk kernel in the SBF VM, and bit-identical results.
//! Fails (does not skip) when the program is not built: run
//! `scripts/sbf-toolchain.sh build bench/kernel-sbf` first. `RUST_LOG=error` quiets mollusk.

use cu_runner::*;

#[test]
fn kernel_cu_within_ceilings_and_bit_identical_to_host() {
    let mut bench = Bench::load().unwrap_or_else(|e| panic!("{e}"));
    // Every run inside `measure` compares the SBF return data with the host kernel's result
    // byte for byte, and fails on any difference or kernel error.
    let rows = measure(&mut bench).unwrap_or_else(|e| panic!("{e}"));
    println!("{}", markdown_table(&rows));

    let row = |op: &str, n: Option<usize>| {
        rows.iter()
            .find(|r| r.operation == op && r.positions.map(|p| p.0) == n)
            .unwrap_or_else(|| panic!("no row {op} {n:?}"))
    };
    // The three ceilings, named so a regression reads plainly; all are checked before failing.
    let mut over = Vec::new();
    for (r, ceiling) in [
        (row(ROW_SCENARIO, None), CEILING_SCENARIO),
        (row(ROW_MARGIN_FROM_RISK, Some(32)), CEILING_MARGIN_FROM_RISK_32),
        (row(ROW_MARGIN_FULL, Some(CEILING_MARGIN_FULL.0)), CEILING_MARGIN_FULL.1),
    ] {
        assert_eq!(r.ceiling, Some(ceiling));
        if !r.within_ceiling() {
            over.push(format!(
                "{} {:?}: {} CU > ceiling {ceiling} (budget {}, completed within it: {})",
                r.operation, r.positions, r.cu, r.budget, r.within_budget
            ));
        }
    }
    // Every other instruction must at least complete within its budget (full revaluation of
    // more positions than its ceiling's is measured, not bounded: see CEILING_MARGIN_FULL).
    for r in &rows {
        let beyond_full = r.operation == ROW_MARGIN_FULL && r.positions.is_some_and(|p| p.0 > CEILING_MARGIN_FULL.0);
        if r.ceiling.is_none() && !r.within_budget && !beyond_full {
            over.push(format!("{} {:?}: {} CU > budget {}", r.operation, r.positions, r.cu, r.budget));
        }
    }
    assert!(over.is_empty(), "compute units over the ceilings:\n{}", over.join("\n"));

    // The largest account must be liquidatable in one transaction: the kernel work of a
    // liquidation is at most LIQUIDATION_MARGIN_CHECKS margin checks of 32 positions.
    let liquidation = LIQUIDATION_MARGIN_CHECKS * row(ROW_MARGIN_FROM_RISK, Some(32)).cu;
    println!("largest liquidation, kernel work: {LIQUIDATION_MARGIN_CHECKS} x 32-position checks = {liquidation} CU");
    assert!(
        liquidation <= CEILING_LIQUIDATION_KERNEL_32,
        "liquidation kernel work {liquidation} CU > {CEILING_LIQUIDATION_KERNEL_32}"
    );

    // Sanity of the measurement itself: more positions never cost less.
    for op in [ROW_MARGIN_FROM_RISK, ROW_MARGIN_FULL] {
        let series: Vec<u64> = POSITION_COUNTS.iter().map(|&n| row(op, Some(n)).cu).collect();
        assert!(series.windows(2).all(|w| w[0] <= w[1]), "{op}: {series:?}");
    }
}
