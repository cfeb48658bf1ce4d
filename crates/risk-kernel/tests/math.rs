//! Elementary functions against host f64 (libm, ~1e-16) on their working ranges.
mod common;
use common::ncdf as ncdf_ref;
use risk_kernel::math::{exp, ln, ncdf, npdf, sqrt};
use risk_kernel::{KernelError, Ratio};

fn r(v: f64) -> Ratio {
    Ratio::from_f64(v).unwrap()
}

fn sweep(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
    (0..=n).map(move |i| lo + (hi - lo) * i as f64 / n as f64)
}

#[test]
fn ln_is_accurate() {
    for x in sweep(1e-4, 30000.0, 20_000).chain(sweep(0.25, 4.0, 20_000)) {
        let q = r(x);
        let got = ln(q).unwrap().to_f64();
        let want = q.to_f64().ln();
        assert!((got - want).abs() < 5e-14, "ln({x}) = {got}, want {want}");
    }
    assert!(matches!(ln(Ratio::ZERO), Err(KernelError::InvalidInput(_))));
    assert!(matches!(ln(r(-1.0)), Err(KernelError::InvalidInput(_))));
}

#[test]
fn exp_is_accurate() {
    for x in sweep(-34.0, 10.389, 40_000) {
        let q = r(x);
        let got = exp(q).unwrap().to_f64();
        let want = q.to_f64().exp();
        assert!((got - want).abs() <= 2e-14 * want.max(1.0), "exp({x}) = {got}, want {want}");
    }
    assert_eq!(exp(r(10.4)), Err(KernelError::Overflow));
    assert_eq!(exp(r(-40.0)), Ok(Ratio::ZERO));
}

#[test]
fn sqrt_is_exact_floor() {
    for x in sweep(0.0, 30000.0, 20_000).chain(sweep(0.0, 1e-6, 1000)) {
        let q = r(x);
        let y = sqrt(q).unwrap().raw() as i128;
        let n = (q.raw() as i128) << 48;
        assert!(y * y <= n && (y + 1) * (y + 1) > n, "sqrt({x})");
    }
    assert!(matches!(sqrt(r(-1.0)), Err(KernelError::InvalidInput(_))));
}

#[test]
fn normal_cdf_and_pdf_are_accurate() {
    for x in sweep(-12.0, 12.0, 48_000) {
        let q = r(x);
        let xf = q.to_f64();
        let got = ncdf(q).to_f64();
        let want = ncdf_ref(xf);
        assert!((got - want).abs() < 2e-13, "N({x}) = {got}, want {want}");
        let pdf = npdf(q).to_f64();
        let want_pdf = (-xf * xf / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
        assert!((pdf - want_pdf).abs() < 1e-14, "phi({x}) = {pdf}, want {want_pdf}");
    }
    assert_eq!(ncdf(Ratio::MAX), Ratio::ONE);
    assert_eq!(ncdf(Ratio::MIN), Ratio::ZERO);
}
