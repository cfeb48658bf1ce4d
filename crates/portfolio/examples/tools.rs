//! The WebAssembly kernel's entry points, natively: a request on stdin, the answer on stdout
//! (exit 0), or the error message on stderr (exit 2). The TypeScript SDK's test compares the
//! .wasm's answers with these, byte for byte.
//!
//!   cargo run --release -p pm-portfolio --example tools -- risk|what-if|liquidation-prices|max-trade < request.json
use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    let entry = std::env::args().nth(1).unwrap_or_default();
    let f: fn(&str) -> Result<serde_json::Value, String> = match entry.as_str() {
        "risk" => pm_portfolio::risk,
        "what-if" => pm_portfolio::tools::what_if,
        "liquidation-prices" => pm_portfolio::tools::liquidation_prices,
        "max-trade" => pm_portfolio::tools::max_trade,
        _ => {
            eprintln!("usage: tools risk|what-if|liquidation-prices|max-trade < request.json");
            return ExitCode::from(64);
        }
    };
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("cannot read stdin: {e}");
        return ExitCode::from(2);
    }
    match f(&text).and_then(|v| serde_json::to_string(&v).map_err(|e| e.to_string())) {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
