//! `pm risk` on a portfolio written to its own temporary file: what the suites share.
#![allow(dead_code)]
use std::process::{Command, Output};

/// Runs `pm risk --portfolio` on `json` (a file per call, named by test binary, process and
/// call, so parallel tests never share one).
pub fn risk(json: &str) -> Output {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("pm-{}-{}-{n}", env!("CARGO_CRATE_NAME"), std::process::id());
    let dir = std::env::temp_dir().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("p.json");
    std::fs::write(&f, json).unwrap();
    Command::new(env!("CARGO_BIN_EXE_pm")).args(["risk", "--portfolio", f.to_str().unwrap()]).output().unwrap()
}

/// [`risk`], which must succeed; its JSON report.
pub fn risk_ok(json: &str) -> serde_json::Value {
    let out = risk(json);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap()
}
