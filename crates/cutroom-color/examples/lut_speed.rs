//! Measures LUT application speed on 1080p RGBA8 frames: `cargo run --release -p
//! cutroom-color --example lut_speed [FRAMES]`. Prints frames per second for one thread and
//! for every core, on a smooth gradient-with-noise frame and on a random-noise frame.

use cutroom_color::{Interpolation, PreparedLut};
use cutroom_timeline::ColorTransform;
use std::time::Instant;

const W: usize = 1920;
const H: usize = 1080;

fn graded(size: usize) -> ColorTransform {
    let mut lut = ColorTransform::identity(size);
    for v in &mut lut.table {
        let [r, g, b] = *v;
        *v = [
            (0.9 * r + 0.2 * g * g - 0.1 * b + 0.03).clamp(0.0, 1.0),
            (g.powf(0.8) * 0.95 + 0.05 * r * b).clamp(0.0, 1.0),
            (0.1 + 0.8 * b - 0.1 * r * g).clamp(0.0, 1.0),
        ];
    }
    lut
}

fn frames(count: usize) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut seed = 0x9e37_79b9u32;
    let mut rand = move || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        seed >> 24
    };
    let smooth = (0..count)
        .map(|k| {
            let mut f = vec![255u8; W * H * 4];
            for y in 0..H {
                for x in 0..W {
                    let i = (y * W + x) * 4;
                    let n = rand() as usize % 9;
                    f[i] = ((x * 255 / W + k + n) % 256) as u8;
                    f[i + 1] = ((y * 255 / H + n) % 256) as u8;
                    f[i + 2] = (((x + y) * 255 / (W + H) + 2 * n) % 256) as u8;
                }
            }
            f
        })
        .collect();
    let noise = (0..W * H * 4).map(|_| rand() as u8).collect();
    (smooth, noise)
}

/// CPU time of the calling thread in seconds (Linux schedstat: nanoseconds on the CPU).
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns * 1e-9)
}

/// Frames per second of wall time, and (for one thread) per second of CPU time.
fn fps(lut: &PreparedLut, frames: &mut [Vec<u8>], threads: usize) -> (f64, f64) {
    let (mut best, mut best_cpu) = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        let (t0, c0) = (Instant::now(), thread_cpu_seconds());
        for f in frames.iter_mut() {
            lut.apply_rgba8(f, W, H, threads).unwrap();
        }
        best = best.min(t0.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(thread_cpu_seconds() - c0);
    }
    (frames.len() as f64 / best, frames.len() as f64 / best_cpu)
}

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let (mut smooth, noise) = frames(count);
    let mut noisy = vec![noise; count.min(5)];
    for interp in [Interpolation::Tetrahedral, Interpolation::Trilinear] {
        for size in [33, 65] {
            let lut = PreparedLut::with_interpolation(&graded(size), interp).unwrap();
            let (s1, s1_cpu) = fps(&lut, &mut smooth, 1);
            let (n1, n1_cpu) = fps(&lut, &mut noisy, 1);
            let (s_all, _) = fps(&lut, &mut smooth, 0);
            let (n_all, _) = fps(&lut, &mut noisy, 0);
            println!(
                "{interp:?} {size}³: smooth {s_all:.1} fps all cores, {s1:.1} fps one thread \
                 ({s1_cpu:.1} per CPU second); noise {n_all:.1} / {n1:.1} ({n1_cpu:.1})"
            );
        }
    }
}
