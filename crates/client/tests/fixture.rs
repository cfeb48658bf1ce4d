//! The committed fixture the TypeScript SDK checks its builders against
//! (`app/sdk/fixtures/instructions.json`) is what the Rust client builds today.
#[path = "../examples/dump_instructions.rs"]
mod dump_instructions;

#[test]
fn sdk_fixture_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../app/sdk/fixtures/instructions.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == dump_instructions::text(),
        "{path} is out of date: cargo run -p pm-client --example dump_instructions > app/sdk/fixtures/instructions.json"
    );
}
