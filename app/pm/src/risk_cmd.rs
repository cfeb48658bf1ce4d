//! `pm risk --portfolio FILE.json`: the account's margin report as JSON.
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub fn run(path: &Path, pretty: bool) -> ExitCode {
    match report(path) {
        Ok(v) => {
            let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) };
            // A closed pipe (`pm risk ... | head`) is not an error worth a panic.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", text.unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pm risk: {}: {e}", path.display());
            ExitCode::from(2)
        }
    }
}

pub fn report(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    pm_portfolio::risk(&text)
}
