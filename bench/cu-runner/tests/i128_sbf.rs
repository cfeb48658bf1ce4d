//! The SBF toolchain's 128-bit lowering and argument packing, tested in the SVM (mollusk).
//!
//! `bench/i128-sbf` runs the operations of its `ops.rs` on inputs from its instruction data; the
//! same file is compiled into this test (natively, x86-64 i128), and every result must be equal
//! bit for bit: edge cases (0, 1, MAX, MIN, -1, powers of two, carries) crossed with each other,
//! then seeded random inputs of every magnitude.
//!
//! Fails (does not skip) when the program is not built: run `scripts/sbf-toolchain.sh i128`
//! (or `scripts/sbf-toolchain.sh program`, which builds it too). `I128_SBF_SO` overrides the path.

#[path = "../../i128-sbf/src/ops.rs"]
#[allow(dead_code)]
mod ops;

use cu_runner::{Bench, thousands, workspace_root};
use ops::*;

const BUDGET: u64 = 1_400_000;

fn load() -> Bench {
    let path = std::env::var_os("I128_SBF_SO")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/sbf/i128_sbf.so"));
    let elf = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the i128 test program {} ({e}).\nBuild it first, from the workspace root:\n    \
             scripts/sbf-toolchain.sh i128\n(or point I128_SBF_SO at a built i128_sbf.so)",
            path.display()
        )
    });
    Bench::new(&elf)
}

/// splitmix64: a fixed, seeded sequence (no dependency).
struct Rng(u64);
impl Rng {
    fn u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn u128(&mut self) -> u128 {
        (self.u64() as u128) << 64 | self.u64() as u128
    }
    /// A value of a random bit length (so that every division path is taken), sometimes negated.
    fn shaped(&mut self) -> u128 {
        let bits = self.u64() % 129;
        let v = if bits == 0 { 0 } else { self.u128() >> (128 - bits) };
        if self.u64().is_multiple_of(4) { v.wrapping_neg() } else { v }
    }
}

fn edges() -> Vec<u128> {
    let mut v: Vec<u128> = vec![
        0,
        1,
        2,
        3,
        7,
        10,
        u32::MAX as u128,
        u64::MAX as u128,
        u64::MAX as u128 + 1,
        u64::MAX as u128 + 2,
        1 << 63,
        (1 << 63) - 1,
        i64::MIN as i128 as u128,
        i64::MAX as u128,
        i128::MAX as u128,
        i128::MIN as u128,
        (i128::MIN + 1) as u128,
        u128::MAX,
        u128::MAX - 1,
        10u128.pow(19),
        10u128.pow(38),
        0xffff_ffff_ffff_ffff_0000_0000_0000_0000,
        0x0000_0000_ffff_ffff_ffff_ffff_0000_0000,
        0x8000_0000_0000_0000_8000_0000_0000_0000,
        0x0000_0001_0000_0000_0000_0000_0000_0001,
        0x5555_5555_5555_5555_5555_5555_5555_5555,
        0xaaaa_aaaa_aaaa_aaaa_aaaa_aaaa_aaaa_aaaa,
        0xffff_ffff_0000_0001_ffff_ffff_0000_0001,
    ];
    for k in [1, 31, 32, 33, 62, 64, 65, 95, 96, 126] {
        v.push(1 << k);
        v.push((1 << k) - 1);
    }
    v
}

fn le(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

struct Runner {
    bench: Bench,
    failures: Vec<String>,
    runs: u64,
    cu_max: u64,
}

impl Runner {
    /// Runs `data` in the SVM: the return data, or Err when the instruction failed.
    fn sbf(&mut self, data: &[u8]) -> Result<Vec<u8>, String> {
        self.runs += 1;
        self.bench.run(data.to_vec(), None, BUDGET).and_then(|r| {
            self.cu_max = self.cu_max.max(r.cu);
            if r.within_budget { Ok(r.return_data) } else { Err(format!("over budget: {} CU", r.cu)) }
        })
    }

    /// Runs `data` in the SVM and natively; returns both outputs.
    fn both(&mut self, data: &[u8]) -> (Result<Vec<u8>, String>, Result<Vec<u8>, u32>) {
        let mut buf = [0u8; MAX_OUT];
        let host = run(data, &mut buf).map(|n| buf[..n].to_vec());
        (self.sbf(data), host)
    }

    fn fail(&mut self, msg: String) {
        if self.failures.len() < 40 {
            self.failures.push(msg);
        }
    }

    /// Records of 16-byte values (`width` = 16) or 8-byte floats (`width` = 8), with names.
    fn compare(&mut self, what: &str, data: &[u8], names: &[&str], width: usize, tagged: bool) {
        let (sbf, host) = self.both(data);
        let host = host.unwrap_or_else(|e| panic!("{what}: host run failed with {e}"));
        let sbf = match sbf {
            Ok(v) => v,
            Err(e) => return self.fail(format!("{what}: the SBF run failed: {e}")),
        };
        let rec = width + tagged as usize;
        assert_eq!(host.len(), names.len() * rec, "{what}: host output size");
        if sbf.len() != host.len() {
            return self.fail(format!("{what}: SBF returned {} bytes, host {}", sbf.len(), host.len()));
        }
        for (i, name) in names.iter().enumerate() {
            let (s, h) = (&sbf[i * rec..(i + 1) * rec], &host[i * rec..(i + 1) * rec]);
            let same = if width == 8 {
                let f = |b: &[u8]| f64::from_bits(u64::from_le_bytes(b.try_into().unwrap()));
                // NaN payloads are not specified (x86 makes negative NaNs, soft-float positive).
                s == h || (f(s).is_nan() && f(h).is_nan())
            } else {
                s == h
            };
            if !same {
                self.fail(format!("{what}: `{name}`: sbf {s:02x?} != host {h:02x?}"));
            }
        }
    }

    fn all(&mut self, a: u128, b: u128, n: u32) {
        let data = le(&[&[OP_ALL], &a.to_le_bytes(), &b.to_le_bytes(), &n.to_le_bytes()]);
        self.compare(&format!("a={a:#x} b={b:#x} n={n}"), &data, &ALL_NAMES, 16, true);
    }
}

#[test]
fn i128_lowering_matches_host_bit_for_bit() {
    let mut r = Runner { bench: load(), failures: vec![], runs: 0, cu_max: 0 };
    let edges = edges();
    let shifts = [0u32, 1, 31, 63, 64, 65, 100, 127, 128, 129, 255, u32::MAX];
    // Every edge case against every other (and itself), a different shift amount each time.
    let mut k = 0;
    for &a in &edges {
        for &b in &edges {
            r.all(a, b, shifts[k % shifts.len()]);
            k += 1;
        }
    }
    let edge_runs = r.runs;
    // Seeded random inputs of every bit length and sign.
    let mut rng = Rng(0x5eed_1128);
    for i in 0..3000 {
        let (a, b) = if i % 3 == 0 { (rng.u128(), rng.u128()) } else { (rng.shaped(), rng.shaped()) };
        let n = if i % 2 == 0 { (rng.u64() % 130) as u32 } else { rng.u64() as u32 };
        r.all(a, b, n);
    }
    println!(
        "OP_ALL ({} operations each): {edge_runs} edge-case and {} random inputs, at most {} CU per run",
        ALL_NAMES.len(),
        r.runs - edge_runs,
        thousands(r.cu_max)
    );
    assert!(r.failures.is_empty(), "SBF results differ from the host:\n{}", r.failures.join("\n"));
}

#[test]
fn more_than_five_argument_registers() {
    let mut r = Runner { bench: load(), failures: vec![], runs: 0, cu_max: 0 };
    let mut rng = Rng(0xa565);
    for i in 0..500 {
        let x: Vec<u64> = (0..8)
            .map(|j| {
                if i == 0 {
                    j
                } else if i == 1 {
                    u64::MAX - j
                } else {
                    rng.u64()
                }
            })
            .collect();
        let data = le(&[&[OP_ARGS], &x.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()]);
        r.compare(&format!("args {x:x?}"), &data, &ARGS_NAMES, 16, false);
    }
    println!("more than 5 argument registers: {} runs x {} calls", r.runs, ARGS_NAMES.len());
    assert!(r.failures.is_empty(), "SBF results differ from the host:\n{}", r.failures.join("\n"));
}

#[test]
fn soft_float_helpers() {
    let mut r = Runner { bench: load(), failures: vec![], runs: 0, cu_max: 0 };
    let special = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        1.5,
        2.5,
        1e-310,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        3.0e9,
        -3.0e9,
        1.8446744073709552e19,
        9.223372036854776e18,
        -9.223372036854776e18,
        4294967295.5,
        16777217.0,
        1e38,
        3.5e38,
    ];
    let mut rng = Rng(0xf10a7);
    let mut inputs: Vec<(u64, u64, i32)> = vec![];
    for (i, &x) in special.iter().enumerate() {
        for (j, &y) in special.iter().enumerate() {
            inputs.push((f64::to_bits(x), f64::to_bits(y), (i as i32 - j as i32) * 3));
        }
    }
    for _ in 0..1500 {
        // Integers as f64 (the program's use: lamports, sizes), ratios, and raw bit patterns.
        let (p, q) = (rng.u64(), rng.u64());
        let x = match p % 3 {
            0 => (p >> (p % 64)) as f64,
            1 => (p >> 11) as f64 / (q >> 11).max(1) as f64,
            _ => f64::from_bits(q),
        };
        inputs.push((f64::to_bits(x), rng.u64() >> (q % 64), (p % 41) as i32 - 20));
    }
    for (a, b, n) in inputs {
        let data = le(&[&[OP_FLOAT], &a.to_le_bytes(), &b.to_le_bytes(), &n.to_le_bytes()]);
        r.compare(&format!("a={} b={} n={n}", f64::from_bits(a), f64::from_bits(b)), &data, &FLOAT_NAMES, 8, false);
    }
    println!("soft-float helpers: {} runs x {} operations", r.runs, FLOAT_NAMES.len());
    assert!(r.failures.is_empty(), "SBF results differ from the host:\n{}", r.failures.join("\n"));
}

#[test]
fn overflow_checked_multiply_aborts_instead_of_wrapping() {
    let mut r = Runner { bench: load(), failures: vec![], runs: 0, cu_max: 0 };
    let mut rng = Rng(0x0f);
    let cases64 = [
        (0u64, u64::MAX),
        (1, u64::MAX),
        (2, u64::MAX / 2),
        (2, u64::MAX / 2 + 1),
        (1 << 32, 1 << 31),
        (1 << 32, 1 << 32),
    ];
    let mut cases: Vec<(u64, u64)> = cases64.to_vec();
    cases.extend((0..200).map(|_| (rng.u64() >> (rng.u64() % 64), rng.u64() >> (rng.u64() % 64))));
    for (a, b) in cases {
        let data = le(&[&[OP_MUL_CHECKED_64], &a.to_le_bytes(), &b.to_le_bytes()]);
        let sbf = r.sbf(&data); // natively it would panic: compare with checked_mul
        match (a.checked_mul(b), sbf) {
            (Some(p), Ok(v)) if v == p.to_le_bytes() => {}
            (None, Err(_)) => {}
            (want, got) => r.fail(format!("u64 {a} * {b} (overflow checks): want {want:?}, SBF {got:?}")),
        }
    }
    let mut cases: Vec<(u128, u128)> =
        vec![(u128::MAX, 1), (u128::MAX, 2), (1 << 64, 1 << 63), (1 << 64, 1 << 64), (3, u128::MAX / 3)];
    cases.extend((0..200).map(|_| (rng.shaped(), rng.shaped())));
    for (a, b) in cases {
        let data = le(&[&[OP_MUL_CHECKED_128], &a.to_le_bytes(), &b.to_le_bytes()]);
        let sbf = r.sbf(&data);
        match (a.checked_mul(b), sbf) {
            (Some(p), Ok(v)) if v == p.to_le_bytes() => {}
            (None, Err(_)) => {}
            (want, got) => r.fail(format!("u128 {a} * {b} (overflow checks): want {want:?}, SBF {got:?}")),
        }
    }
    println!("overflow-checked multiplies: {} runs, overflow aborts the instruction", r.runs);
    assert!(r.failures.is_empty(), "{}", r.failures.join("\n"));
}

#[test]
fn formatting_and_big_frame() {
    let mut r = Runner { bench: load(), failures: vec![], runs: 0, cu_max: 0 };
    let mut rng = Rng(0xf0);
    let mut vals = edges();
    vals.extend((0..300).map(|_| rng.shaped()));
    for w in vals.windows(2) {
        let data = le(&[&[OP_FMT], &w[0].to_le_bytes(), &w[1].to_le_bytes()]);
        let (sbf, host) = r.both(&data);
        let host = host.unwrap();
        assert_eq!(String::from_utf8(host.clone()).unwrap(), format!("{} {}", w[0], w[1] as i128));
        if sbf.as_ref() != Ok(&host) {
            r.fail(format!("format {} {}: SBF {:?}", w[0], w[1] as i128, sbf.map(String::from_utf8)));
        }
    }
    for seed in [0u64, 1, u64::MAX, 0x1234_5678] {
        let data = le(&[&[OP_BIG_FRAME], &seed.to_le_bytes()]);
        let (sbf, host) = r.both(&data);
        if sbf != Ok(host.unwrap()) {
            r.fail(format!("big_frame({seed}): {sbf:?}"));
        }
    }
    assert!(r.failures.is_empty(), "{}", r.failures.join("\n"));
}

/// Compute units of single operations (printed; `cargo test -- --nocapture`), results checked.
#[test]
fn compute_units_per_operation() {
    let mut bench = load();
    let cases: [(u128, u128); 3] = [
        (0x0123_4567_89ab_cdef_fedc_ba98_7654_3210, 0x0000_0000_0000_0001_0000_0000_0000_0007),
        (u64::MAX as u128 * 12_345, 1_000_000_007),
        (u128::MAX / 3, (1 << 100) + 12_345),
    ];
    let base = bench.run(le(&[&[OP_ONE, 0], &[0; 32]]), None, BUDGET).unwrap().cu;
    println!("| operation (SBF, lowered) | CU, above the call itself |\n|---|---:|");
    for (which, name) in ONE_NAMES.iter().enumerate().skip(1) {
        let mut most = 0;
        for (a, b) in cases {
            let data = le(&[&[OP_ONE, which as u8], &a.to_le_bytes(), &b.to_le_bytes()]);
            let run = bench.run(data.clone(), None, BUDGET).unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut buf = [0u8; MAX_OUT];
            let n = run_host(&data, &mut buf);
            assert_eq!(run.return_data, buf[..n], "{name} on {a:#x}, {b:#x}");
            most = most.max(run.cu.saturating_sub(base));
        }
        println!("| {name} | {most} |");
    }
}

fn run_host(data: &[u8], buf: &mut [u8; MAX_OUT]) -> usize {
    run(data, buf).unwrap()
}
