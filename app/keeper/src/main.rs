//! `keeper`: liquidation keeper for portfolio-margin, and the end-to-end demo.
use anchor_lang::prelude::Pubkey;
use clap::{Parser, Subcommand};
use keeper::book::parse_oracles;
use keeper::chain::rpc::RpcChain;
use keeper::keeper::{Keeper, Outcome, Settings};
use keeper::{info, warn};
use solana_signer::Signer;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "keeper",
    version,
    about = "Liquidation keeper for the portfolio-margin program, and its end-to-end demo"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Watch a cluster: refresh stale risk snapshots, liquidate accounts under maintenance
    /// margin (by the program's own plan), resolve bankruptcies. Runs until Ctrl-C.
    Run(RunArgs),
    /// The whole story on an embedded local chain (no validator, no network), in seconds.
    Demo,
}

#[derive(clap::Args)]
struct RunArgs {
    /// JSON-RPC URL of the cluster.
    #[arg(long, env = "PM_RPC_URL", default_value = "http://127.0.0.1:8899")]
    rpc_url: String,
    /// Keypair file of the keeper's wallet (pays fees, signs liquidations).
    #[arg(long, env = "PM_KEYPAIR")]
    keypair: std::path::PathBuf,
    /// The keeper's margin account (takes over what it liquidates; must be funded to meet
    /// initial margin afterwards). Default: the wallet's sub-account 0.
    #[arg(long, env = "PM_MARGIN_ACCOUNT")]
    margin_account: Option<String>,
    /// Pyth price account per feed, as FEED_ID_HEX=ACCOUNT (repeat per feed; comma-separated in the env).
    #[arg(long = "oracle", env = "PM_ORACLES", value_delimiter = ',', required = true)]
    oracles: Vec<String>,
    /// Seconds between passes.
    #[arg(long, env = "PM_INTERVAL_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    interval_secs: u64,
    /// Compute-unit limit set on every transaction (at most a transaction's 1,400,000).
    #[arg(long, env = "PM_CU_LIMIT", default_value_t = 1_400_000, value_parser = clap::value_parser!(u32).range(1..=1_400_000))]
    cu_limit: u32,
    /// Priority fee, micro-lamports per compute unit (0 = none).
    #[arg(long, env = "PM_CU_PRICE", default_value_t = 0)]
    cu_price: u64,
    /// Attempts per transaction on RPC errors (backoff doubles from 500 ms).
    #[arg(long, env = "PM_MAX_RETRIES", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    max_retries: u32,
    /// Kept for compatibility: the keeper cranks whenever its oracle has a newer update (the
    /// program refreshes a snapshot from nothing older).
    #[arg(long, env = "PM_REFRESH_SECS", default_value_t = 30)]
    refresh_secs: i64,
    /// Liquidate only once the auction's discount reaches this many basis points (the keeper
    /// starts the account's auction clock meanwhile); 0 = at any discount.
    #[arg(long, env = "PM_MIN_DISCOUNT_BPS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    min_discount_bps: u32,
    /// One pass, then exit (for cron and scripts).
    #[arg(long)]
    once: bool,
    /// Also append each pass's metrics line (JSON, one line per pass: accounts scanned,
    /// liquidations, lost races, RPC errors, pass duration...) to this file. The line always
    /// goes to stdout.
    #[arg(long, env = "PM_METRICS_FILE", value_name = "PATH")]
    metrics_file: Option<std::path::PathBuf>,
}

async fn run(args: RunArgs) -> Result<(), String> {
    let wallet = solana_keypair::read_keypair_file(&args.keypair)
        .map_err(|e| format!("cannot read keypair {}: {e}", args.keypair.display()))?;
    let margin = match &args.margin_account {
        Some(s) => Pubkey::from_str(s).map_err(|_| format!("--margin-account {s}: bad address"))?,
        None => pm_client::pda::margin_account(&wallet.pubkey(), 0),
    };
    let settings = Settings {
        oracles: parse_oracles(&args.oracles)?,
        cu_limit: args.cu_limit,
        cu_price: args.cu_price,
        retries: args.max_retries,
        backoff: Duration::from_millis(500),
        refresh_after_secs: args.refresh_secs,
        min_discount: ((args.min_discount_bps as u128 * (1u128 << 48)) / 10_000) as i64,
    };
    if let Some(path) = &args.metrics_file {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("--metrics-file {}: {e}", path.display()))?;
    }
    info!("keeper {} (margin account {margin}) on {}", wallet.pubkey(), args.rpc_url);
    let keeper = Keeper::new(wallet, margin, settings);
    let mut chain = RpcChain::new(args.rpc_url.clone());
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                info!("Ctrl-C: stopping");
                return Ok(());
            }
            (r, metrics) = keeper.pass(&mut chain) => {
                match r {
                    Ok(outcomes) => {
                        let n = outcomes.iter().filter(|o| matches!(o, Outcome::Liquidated { .. })).count();
                        info!("pass done: {} action(s), {n} liquidation(s)", outcomes.len());
                    }
                    Err(e) => warn!("pass failed: {e} (will retry next pass)"),
                }
                emit_metrics(&metrics, args.metrics_file.as_deref());
            }
        }
        if args.once {
            return Ok(());
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                info!("Ctrl-C: stopping");
                return Ok(());
            }
            _ = tokio::time::sleep(Duration::from_secs(args.interval_secs)) => {}
        }
    }
}

/// The pass's metrics line on stdout, and appended to `file` if given (a write failure is
/// logged, never fatal).
fn emit_metrics(m: &keeper::metrics::PassMetrics, file: Option<&std::path::Path>) {
    use std::io::Write;
    let line = m.line();
    println!("{line}");
    if let Some(path) = file {
        let r =
            std::fs::OpenOptions::new().create(true).append(true).open(path).and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = r {
            warn!("metrics file {}: {e}", path.display());
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Run(a) => run(a).await,
        Cmd::Demo => {
            // The embedded chain's own logging is noise here.
            if std::env::var_os("RUST_LOG").is_none() {
                // SAFETY: single-threaded at this point (before the chain starts).
                unsafe { std::env::set_var("RUST_LOG", "error") };
            }
            // The demo runs the program's real .so: say how to build it rather than panic.
            match localnet::program_elf() {
                Err(e) if !localnet::native() => Err(e),
                _ => keeper::demo::run().await.map(|_| ()),
            }
        }
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
