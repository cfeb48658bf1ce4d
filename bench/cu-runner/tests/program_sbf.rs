//! The program built to SBF (`scripts/sbf-toolchain.sh program` -> target/sbf/portfolio_margin.so)
//! loads in the SVM (mollusk: ELF checks and the SBPF v3 verifier) and its entrypoint runs
//! Anchor's dispatch: an unknown discriminator is `InstructionFallbackNotFound` (101), the IDL's
//! first instruction without its accounts `AccountNotEnoughKeys` (3005). Fails (does not skip)
//! without the .so.

use std::str::FromStr;

use cu_runner::workspace_root;
use mollusk_svm::Mollusk;
use mollusk_svm::program::loader_keys::LOADER_V3;
use mollusk_svm::result::ProgramResult;
use solana_instruction::Instruction;
use solana_pubkey::Pubkey;

#[test]
fn program_so_loads_and_dispatches() {
    let path = std::env::var_os("PORTFOLIO_MARGIN_SO")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/sbf/portfolio_margin.so"));
    let elf = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the program {} ({e}).\nBuild it first, from the workspace root:\n    \
             scripts/sbf-toolchain.sh program\n(or point PORTFOLIO_MARGIN_SO at a built portfolio_margin.so)",
            path.display()
        )
    });
    // The program checks its declared id: take it from the committed IDL.
    let idl = std::fs::read_to_string(workspace_root().join("programs/portfolio-margin/idl/portfolio_margin.json"))
        .expect("the committed IDL");
    let id = idl.split("\"address\": \"").nth(1).and_then(|s| s.split('"').next()).expect("the IDL's address");
    let id = Pubkey::from_str(id).expect("a base58 address");
    let mut mollusk = Mollusk::default();
    mollusk.add_program_with_loader_and_elf(&id, &LOADER_V3, &elf);
    let first_ix: Vec<u8> = idl
        .split("\"instructions\"")
        .nth(1)
        .and_then(|s| s.split("\"discriminator\": [").nth(1))
        .and_then(|s| s.split(']').next())
        .expect("the IDL's first instruction discriminator")
        .split(',')
        .map(|b| b.trim().parse().expect("a byte"))
        .collect();
    assert_eq!(first_ix.len(), 8);
    // Zero bytes decode as its arguments (zero, empty, None, first variant); extra bytes are left.
    let first_ix = [first_ix, vec![0; 512]].concat();
    for (data, code) in [(vec![], 101), (vec![0xff; 8], 101), (first_ix, 3005)] {
        let shown = &data[..data.len().min(8)];
        let r = mollusk.process_instruction(&Instruction { program_id: id, accounts: vec![], data: data.clone() }, &[]);
        println!("data {shown:?}..: {:?} after {} CU", r.program_result, r.compute_units_consumed);
        match r.program_result {
            ProgramResult::Failure(e) => assert_eq!(format!("{e:?}"), format!("Custom({code})"), "data {shown:?}.."),
            other => panic!("data {shown:?}..: expected Anchor error {code}, got {other:?}"),
        }
    }
}
