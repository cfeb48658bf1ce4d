//! The keeper's command line: help that explains, bad input named, never a panic.
use std::process::Command;

fn keeper(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_keeper")).args(args).env_remove("PM_ORACLES").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn help_explains_every_flag_and_its_environment_variable() {
    let (ok, text) = keeper(&["run", "--help"]);
    assert!(ok);
    for flag in [
        "--rpc-url",
        "--keypair",
        "--oracle",
        "--cu-limit",
        "--cu-price",
        "--max-retries",
        "--once",
        "--metrics-file",
        "PM_RPC_URL",
        "PM_METRICS_FILE",
    ] {
        assert!(text.contains(flag), "{flag} missing from help:\n{text}");
    }
    let (ok, text) = keeper(&["--help"]);
    assert!(ok && text.contains("demo") && text.contains("run"));
}

#[test]
fn bad_input_is_named_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("keeper-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ok, text) = keeper(&["run", "--keypair", "/nonexistent/id.json", "--oracle", "00=x", "--once"]);
    assert!(!ok && text.contains("cannot read keypair"), "{text}");
    // A real keypair file (64 bytes as JSON), then a malformed oracle flag.
    let kp = dir.join("id.json");
    let bytes: Vec<String> = solana_keypair::Keypair::new().to_bytes().iter().map(|b| b.to_string()).collect();
    std::fs::write(&kp, format!("[{}]", bytes.join(","))).unwrap();
    let (ok, text) = keeper(&["run", "--keypair", kp.to_str().unwrap(), "--oracle", "abcd=x", "--once"]);
    assert!(!ok && text.contains("32 bytes of hex"), "{text}");
    // 64 bytes that are not 64 hex digits (multi-byte characters), and a bad address.
    let wide = format!("a{}b=x", "é".repeat(31));
    let (ok, text) = keeper(&["run", "--keypair", kp.to_str().unwrap(), "--oracle", &wide, "--once"]);
    assert!(!ok && text.contains("32 bytes of hex"), "{text}");
    let bad_key = format!("{}=not-an-address", "ab".repeat(32));
    let (ok, text) = keeper(&["run", "--keypair", kp.to_str().unwrap(), "--oracle", &bad_key, "--once"]);
    assert!(!ok && text.contains("bad account address"), "{text}");
    // Out-of-range numbers are refused by name before anything runs.
    for (flag, value) in [("--interval-secs", "0"), ("--cu-limit", "2000000"), ("--min-discount-bps", "10001")] {
        let (ok, text) = keeper(&["run", "--keypair", kp.to_str().unwrap(), "--oracle", "x=y", flag, value]);
        assert!(!ok && text.contains(flag), "{flag} {value}: {text}");
    }
    assert!(!text.contains("panicked"));
    // No RPC node at this port: one pass fails with a transport error, reported, exit 0 (--once).
    let feed = "ab".repeat(32);
    let oracle = format!("{feed}=11111111111111111111111111111111");
    let args = [
        "run",
        "--keypair",
        kp.to_str().unwrap(),
        "--oracle",
        &oracle,
        "--once",
        "--rpc-url",
        "http://127.0.0.1:9",
        "--max-retries",
        "1",
    ];
    let (ok, text) = keeper(&args);
    assert!(ok && text.contains("pass failed"), "{text}");
    // The pass's metrics line: on stdout, and appended to --metrics-file.
    let metrics = dir.join("metrics.jsonl");
    let _ = std::fs::remove_file(&metrics);
    let with_file = [&args[..], &["--metrics-file", metrics.to_str().unwrap()]].concat();
    let (ok, text) = keeper(&with_file);
    assert!(ok && text.contains("\"metric\":\"keeper_pass\""), "{text}");
    let written = std::fs::read_to_string(&metrics).unwrap();
    assert_eq!(written.lines().count(), 1, "{written}");
    let line: serde_json::Value = serde_json::from_str(written.trim()).unwrap();
    assert_eq!((line["ok"].as_bool(), line["rpc_errors"].as_u64()), (Some(false), Some(1)), "{line}");
    assert!(line["error"].as_str().unwrap().contains("transport"), "{line}");
    // A metrics file that cannot be written is refused before the first pass.
    let bad = [&args[..], &["--metrics-file", "/nonexistent/dir/m.jsonl"]].concat();
    let (ok, text) = keeper(&bad);
    assert!(!ok && text.contains("--metrics-file"), "{text}");
}
