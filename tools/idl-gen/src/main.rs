//! `cargo run -p idl-gen [-- --check]`: the program's IDL, built the way `anchor build` does
//! it but without Solana platform-tools (which cannot be installed here): anchor-lang-idl
//! compiles the program's `idl-build` test on the host and assembles what it prints.
//! Writes `programs/portfolio-margin/idl/portfolio_margin.json`; `--check` instead exits 1 if
//! the committed file is out of date (CI runs that).
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    if std::env::args().any(|a| a == "--help" || a == "-h") {
        println!(
            "usage: idl-gen [--check]\n  writes programs/portfolio-margin/idl/portfolio_margin.json, or with --check fails if it is stale"
        );
        return ExitCode::SUCCESS;
    }
    // anchor-lang-idl 0.1.4 passes the literal argument "+{toolchain}" to cargo when
    // RUSTUP_TOOLCHAIN is set (as it is under `cargo run`): unset it so the default toolchain
    // builds the program.
    // SAFETY: single-threaded, before anything else reads the environment.
    unsafe { std::env::remove_var("RUSTUP_TOOLCHAIN") };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Its own target dir: the IDL build sets RUSTFLAGS, which would otherwise invalidate the
    // workspace's debug build every time. Only the IDL-printing test is run, so it is built
    // cheaply: no optimisation, no debug info, no incremental state (a cold CI build of the
    // whole test profile with every integration test took ~26 min of a 60 min budget).
    // SAFETY: as above.
    unsafe {
        std::env::set_var("CARGO_TARGET_DIR", root.join("target/idl-build"));
        std::env::set_var("CARGO_PROFILE_TEST_OPT_LEVEL", "0");
        std::env::set_var("CARGO_PROFILE_TEST_DEBUG", "0");
        std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "0");
        std::env::set_var("CARGO_INCREMENTAL", "0");
    }
    let program = root.join("programs/portfolio-margin");
    let out = program.join("idl/portfolio_margin.json");
    eprintln!("idl-gen: building the IDL of {} (compiles the program with idl-build)", program.display());
    let idl = match anchor_lang_idl::build::IdlBuilder::new()
        .program_path(program)
        // The printing test lives in the library: build only its test target, not the
        // integration suites (each links the whole SVM).
        .cargo_args(vec!["--lib".into()])
        .build()
    {
        Ok(idl) => idl,
        Err(e) => {
            eprintln!("idl-gen: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let text = match serde_json::to_string_pretty(&idl) {
        Ok(t) => t + "\n",
        Err(e) => {
            eprintln!("idl-gen: cannot serialize the IDL: {e}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        match std::fs::read_to_string(&out) {
            Ok(committed) if committed == text => {
                eprintln!("idl-gen: {} is up to date", out.display());
                ExitCode::SUCCESS
            }
            _ => {
                eprintln!("idl-gen: {} is out of date: run `cargo run -p idl-gen` and commit it", out.display());
                ExitCode::FAILURE
            }
        }
    } else {
        let written =
            std::fs::create_dir_all(out.parent().expect("has a parent")).and_then(|_| std::fs::write(&out, &text));
        match written {
            Ok(()) => {
                eprintln!("idl-gen: wrote {}", out.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("idl-gen: cannot write {}: {e}", out.display());
                ExitCode::FAILURE
            }
        }
    }
}
