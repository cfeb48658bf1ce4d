//! Black–Scholes price and Greeks against the independent mpmath reference
//! (scripts/reference/gen_bs_vectors.py -> tests/vectors/black_scholes.csv).
//! Tolerance: 1e-6 relative + 1e-8 absolute in each quantity's natural scale (price, vega,
//! theta, rho in units of spot; delta in 1; gamma in 1/spot).
use risk_kernel::black_scholes::{OptionInputs, OptionKind, greeks};
use risk_kernel::{Price, Ratio};

const REL: f64 = 1e-6;
const ABS: f64 = 1e-8;
const NAMES: [&str; 6] = ["price", "delta", "gamma", "vega", "theta", "rho"];

struct Row {
    inp: OptionInputs,
    want: [f64; 6],
}

fn rows() -> Vec<Row> {
    let text = include_str!("vectors/black_scholes.csv");
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert_eq!(header, "kind,spot_raw,strike_raw,vol_raw,t_raw,rate_raw,price,delta,gamma,vega,theta,rho");
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let int = |i: usize| f[i].parse::<i64>().unwrap();
            let kind = match f[0] {
                "call" => OptionKind::Call,
                "put" => OptionKind::Put,
                k => panic!("kind {k}"),
            };
            let inp = OptionInputs {
                kind,
                spot: Price::from_raw(int(1)),
                strike: Price::from_raw(int(2)),
                vol: Ratio::from_raw(int(3)),
                t: Ratio::from_raw(int(4)),
                rate: Ratio::from_raw(int(5)),
            };
            let mut want = [0.0; 6];
            for (j, w) in want.iter_mut().enumerate() {
                *w = f[6 + j].parse().unwrap();
            }
            Row { inp, want }
        })
        .collect()
}

/// Multiplier that brings each quantity to its natural scale.
fn natural(j: usize, spot: f64) -> f64 {
    match j {
        1 => 1.0,
        2 => spot,
        _ => 1.0 / spot,
    }
}

#[test]
fn every_price_and_greek_matches_mpmath() {
    let rows = rows();
    assert!(rows.len() >= 2000, "reference vectors missing");
    let mut worst_abs = [0f64; 6];
    let mut worst_ratio = [0f64; 6]; // error / tolerance
    let mut failures = Vec::new();
    for r in &rows {
        let g = greeks(&r.inp).unwrap_or_else(|e| panic!("{:?}: {e}", r.inp));
        let got =
            [g.price.to_f64(), g.delta.to_f64(), g.gamma.to_f64(), g.vega.to_f64(), g.theta.to_f64(), g.rho.to_f64()];
        let s = r.inp.spot.to_f64();
        for j in 0..6 {
            let k = natural(j, s);
            let err = (got[j] - r.want[j]).abs() * k;
            let tol = REL * r.want[j].abs() * k + ABS;
            worst_abs[j] = worst_abs[j].max(err);
            worst_ratio[j] = worst_ratio[j].max(err / tol);
            if err > tol {
                failures.push(format!(
                    "{} {:?}: got {} want {} (err {err:.3e} > tol {tol:.3e})",
                    NAMES[j], r.inp, got[j], r.want[j]
                ));
            }
        }
    }
    println!("| quantity | max abs error (natural scale) | max error / tolerance |");
    println!("|---|---|---|");
    for j in 0..6 {
        println!("| {} | {:.2e} | {:.4} |", NAMES[j], worst_abs[j], worst_ratio[j]);
    }
    println!("{} vectors", rows.len());
    assert!(failures.is_empty(), "{} failures, first: {:#?}", failures.len(), &failures[..failures.len().min(10)]);
}
