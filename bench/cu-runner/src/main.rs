//! `cargo run --release -p cu-runner --bin cu-bench`: compute units of the risk kernel in the
//! SBF VM, as a markdown table. Needs `scripts/sbf-toolchain.sh build bench/kernel-sbf` first.
//! Exits non-zero if a result differs from the host kernel or a ceiling is exceeded.

use std::process::ExitCode;

use cu_runner::{Bench, ROW_MARGIN_FROM_RISK, ROW_MARGIN_FULL, markdown_table, measure, profile, so_path, thousands};

fn main() -> ExitCode {
    if std::env::var_os("RUST_LOG").is_none() {
        // SAFETY: single-threaded here, before anything reads the environment.
        unsafe { std::env::set_var("RUST_LOG", "error") };
    }
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<bool, String> {
    let mut bench = Bench::load()?;
    let rows = measure(&mut bench)?;
    println!("Risk kernel in the SBF VM (mollusk-svm 0.15.1, agave 4.2, SBPF v3): {}\n", so_path().display());
    print!("{}", markdown_table(&rows));
    println!(
        "\nEvery SBF result above equals the host kernel's bit for bit. Budgets: 200,000 CU per \
         instruction, 1,400,000 for full revaluation. Account rows exclude building the \
         benchmark portfolio on chain (measured on its own, below)."
    );
    let cu = |op: &str, n: usize| {
        rows.iter().find(|r| r.operation == op && r.positions.map(|p| p.0) == Some(n)).map(|r| r.cu)
    };
    println!("\nPer added position (16 -> 32 positions, 4 groups):\n");
    for op in [ROW_MARGIN_FROM_RISK, ROW_MARGIN_FULL] {
        if let (Some(a), Some(b)) = (cu(op, 16), cu(op, 32)) {
            println!("- {op}: {} CU", thousands(b.saturating_sub(a) / 16));
        }
    }
    println!("\nWhere the CU go (each piece its own instruction, minus the no-op):\n");
    println!("| piece | CU |\n|---|---:|");
    for (name, cu) in profile(&mut bench)? {
        println!("| {name} | {} |", thousands(cu));
    }
    let over: Vec<_> = rows.iter().filter(|r| !r.within_ceiling()).collect();
    for r in &over {
        eprintln!("ceiling exceeded: {} {:?}: {} CU > {}", r.operation, r.positions, r.cu, r.ceiling.unwrap_or(0));
    }
    Ok(over.is_empty())
}
