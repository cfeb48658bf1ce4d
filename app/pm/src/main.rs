//! `pm`: evaluate options and portfolios with the very same kernel the program runs on chain.
mod greeks_cmd;
mod risk_cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "pm",
    version,
    about = "Portfolio-margin calculator: Black-Scholes Greeks and SPAN-style margin reports from the on-chain risk kernel (fixed point, bit-identical to the program)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Price and Greeks of options read as JSON lines on stdin, one answer line per input line.
    ///
    /// Input:  {"id": <any>, "type": "call"|"put", "spot": S, "strike": K, "vol": 0.6, "t": 0.25, "rate": 0.05}
    /// Output: {"id": <same>, "price": .., "delta": .., "gamma": .., "vega": .., "theta": .., "rho": ..}
    /// vega per 1.00 of vol, theta per year (dV/dt), rho per 1.00 of rate. A bad line is answered
    /// with {"id": <same or null>, "error": "..."}; the exit status is then 1.
    Greeks,
    /// Margin report of a portfolio file: equity, initial and maintenance margin, and per risk
    /// group its scenario P&L, worst scenario and net Greeks (format: README, "Portfolio file").
    Risk {
        /// Portfolio JSON file (see examples/portfolio.json).
        #[arg(long, value_name = "FILE.json")]
        portfolio: PathBuf,
        /// Indent the JSON output.
        #[arg(long)]
        pretty: bool,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Greeks => greeks_cmd::run(std::io::stdin().lock(), &mut std::io::stdout().lock()),
        Command::Risk { portfolio, pretty } => risk_cmd::run(&portfolio, pretty),
    }
}
