//! `pm`: evaluate options and portfolios with the very same kernel the program runs on chain.
mod account_cmd;
mod greeks_cmd;
mod liquidation_cmd;
mod risk_cmd;
mod simulate_cmd;

use clap::{Parser, Subcommand};
use serde_json::Value;
use std::io::Write;
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
    /// Margin before and after proposed trades (and deposits or withdrawals), in total and per
    /// risk group.
    ///
    /// A trade is KEY=VALUE pairs separated by commas: underlying (a name in the portfolio),
    /// type (call, put, future, perp), lots (signed: > 0 buys, < 0 sells), and as a position
    /// needs them strike, expiry_years, vol (options), lot_size [1], forward (futures), price
    /// (per unit: the premium paid or received, or the futures/perp entry price; default the
    /// kernel's mark). Premiums are paid from --pay-with (default the first collateral).
    ///
    /// Example: pm simulate --portfolio examples/portfolio.json
    ///   --trade underlying=ETH,type=put,strike=2800,expiry_years=0.25,vol=0.7,lots=-5
    ///
    /// Output: before / after / change (equity, initial, maintenance, excess_initial,
    /// excess_maintenance), meets_initial_after, groups[] (name, before/after/change of
    /// maintenance_loss, initial_loss, short_option_charge, delta; worst_scenario), trades[]
    /// (the position each landed in, its price, the cash moved), transfers[]. Bad input: a
    /// message naming the flag or field on stderr, exit status 2.
    Simulate {
        /// Portfolio JSON file (see examples/portfolio.json).
        #[arg(long, value_name = "FILE.json")]
        portfolio: PathBuf,
        /// A proposed trade (repeat for several; applied in order after --trades).
        #[arg(long = "trade", value_name = "KEY=VALUE,...")]
        trades: Vec<String>,
        /// A JSON file with an array of trades (objects with the same keys as --trade).
        #[arg(long = "trades", value_name = "FILE.json")]
        trades_file: Option<PathBuf>,
        /// A deposit of whole tokens into a collateral balance, NAME=AMOUNT (exact decimal).
        #[arg(long = "deposit", value_name = "NAME=AMOUNT")]
        deposits: Vec<String>,
        /// A withdrawal of whole tokens from a collateral balance, NAME=AMOUNT.
        #[arg(long = "withdraw", value_name = "NAME=AMOUNT")]
        withdrawals: Vec<String>,
        /// The collateral balance option premiums are paid from (default the first one).
        #[arg(long, value_name = "NAME")]
        pay_with: Option<String>,
        /// Also print both full reports (`pm risk`'s format) under `reports`.
        #[arg(long)]
        full: bool,
        /// Indent the JSON output.
        #[arg(long)]
        pretty: bool,
    },
    /// Per underlying, the spot below and above today's at which the account becomes
    /// liquidatable (equity = maintenance margin), moving that underlying alone with
    /// everything else fixed.
    ///
    /// Searched from spot outward in 2% steps to spot/100 and spot x 100, then bisected on the
    /// kernel to the price grid (2^-32). `down`/`up` are null, with a note, when no such price
    /// exists in that range; `down_move`/`up_move` are the moves as fractions of spot.
    ///
    /// Example: pm liquidation-price --portfolio examples/portfolio.json --underlying ETH
    LiquidationPrice {
        /// Portfolio JSON file (see examples/portfolio.json).
        #[arg(long, value_name = "FILE.json")]
        portfolio: PathBuf,
        /// Only this underlying (its name in the portfolio).
        #[arg(long, value_name = "NAME")]
        underlying: Option<String>,
        /// Indent the JSON output.
        #[arg(long)]
        pretty: bool,
    },
    /// A live margin account's report from a cluster, evaluated by the program's own code.
    ///
    /// Reads the account, the config and what its margin check needs (assets, instruments,
    /// underlyings, price accounts) over JSON-RPC, and computes equity, initial and
    /// maintenance margin as the program would now (the cluster's clock). Every collateral
    /// asset's Pyth feed needs its price account: --oracle FEED_ID_HEX=ACCOUNT.
    ///
    /// Example: pm account 7xKX...Qm --rpc-url https://api.devnet.solana.com --oracle <feed hex>=<account>
    Account {
        /// The margin account's address (base58).
        address: String,
        /// The cluster's JSON-RPC URL.
        #[arg(long, env = "PM_RPC_URL", default_value = "http://127.0.0.1:8899")]
        rpc_url: String,
        /// Pyth price account per feed, as FEED_ID_HEX=ACCOUNT (repeat per feed).
        #[arg(long = "oracle", value_name = "FEED_ID_HEX=ACCOUNT")]
        oracles: Vec<String>,
        /// Indent the JSON output.
        #[arg(long)]
        pretty: bool,
    },
}

/// Prints `r` as JSON (indented with `pretty`), or the error on stderr with exit status 2.
fn emit(cmd: &str, r: Result<Value, String>, pretty: bool) -> ExitCode {
    match r {
        Ok(v) => {
            let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) };
            // A closed pipe (`pm ... | head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout().lock(), "{}", text.unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pm {cmd}: {e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Greeks => greeks_cmd::run(std::io::stdin().lock(), &mut std::io::stdout().lock()),
        Command::Risk { portfolio, pretty } => risk_cmd::run(&portfolio, pretty),
        Command::Simulate { portfolio, trades, trades_file, deposits, withdrawals, pay_with, full, pretty } => {
            let args = simulate_cmd::Args { portfolio, trades, trades_file, deposits, withdrawals, pay_with, full };
            emit("simulate", simulate_cmd::simulate(&args), pretty)
        }
        Command::LiquidationPrice { portfolio, underlying, pretty } => {
            emit("liquidation-price", liquidation_cmd::liquidation_price(&portfolio, underlying.as_deref()), pretty)
        }
        Command::Account { address, rpc_url, oracles, pretty } => {
            emit("account", account_cmd::account(&address, &rpc_url, &oracles), pretty)
        }
    }
}
