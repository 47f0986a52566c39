//! What one step of the colour-match strength slider costs: blending the proposal's LUT
//! with the identity and preparing it (`with_strength` + `PreparedLut::new`, done on the
//! preview-LUT thread), and copying the table (done once per proposal on the UI thread).
//!
//! `cargo run --release -p cutroom-app --example preview_lut_bench -- [SIZE]` (default 33).

use std::time::Instant;

use cutroom_app::review::with_strength;
use cutroom_color::PreparedLut;
use cutroom_timeline::ColorTransform;

/// p50, p99 and max of `ms` in milliseconds.
fn summary(mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    format!(
        "p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        at(0.5),
        at(0.99),
        at(1.0)
    )
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(33);
    let mut lut = ColorTransform::identity(n);
    for v in &mut lut.table {
        *v = [v[0].powf(0.9), v[1] * 0.95, (v[2] * 1.05).min(1.0)];
    }
    let (mut build, mut copy) = (Vec::new(), Vec::new());
    for i in 0..200 {
        let t = Instant::now();
        let c = std::hint::black_box(lut.clone());
        copy.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let p = PreparedLut::new(&with_strength(&c, (i % 100) as f32 / 100.0));
        std::hint::black_box(p.expect("a valid table"));
        build.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!("{n}³ LUT at a new strength: {}", summary(build));
    println!("{n}³ table copy: {}", summary(copy));
}
