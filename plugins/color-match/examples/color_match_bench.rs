//! Benchmark driver for bench/color_match.sh (run that script rather than this directly).
//!
//! `color_match_bench DIR GRADE...` expects in DIR: `shot.rgba` and `look.rgba` (30 raw
//! 1920×1080 RGBA frames each: the shot and its reference), `reference.png`, `GRADE.png`
//! per grade, `cm_GRADE_METHOD.png` results of the color-matcher package and `peer.txt`
//! with its timings ("GRADE METHOD SECONDS" lines). It prints:
//! 1. fit time (sampling 30 + 30 frames, statistics, LUT bake): CPU and wall;
//! 2. LUT application speed on the 1080p frames (fps), and writes `look.cube` for the
//!    script's FFmpeg lut3d comparison;
//! 3. per grade: mean ΔE2000 to the reference and fit time, ours (every method) against
//!    color-matcher (every method).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use color_match::{ColorModel, FitOptions, Method, Samples, PIXEL_BUDGET};
use cutroom_color::{mean_delta_e_2000_rgba8, PreparedLut};

const W: usize = 1920;
const H: usize = 1080;

/// User + system CPU seconds of this process so far (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields after the command name start at "state" (field 3): utime is 14, stime 15.
    (ticks(11) + ticks(12)) / 100.0
}

fn read_png(path: &Path) -> (Vec<u8>, usize, usize) {
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["stream=width,height", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe");
    let text = String::from_utf8_lossy(&probe.stdout);
    let mut it = text.trim().split(',').map(|v| v.parse::<usize>().unwrap());
    let (w, h) = (it.next().unwrap(), it.next().unwrap());
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "rawvideo", "-pix_fmt", "rgba", "-"])
        .output()
        .expect("ffmpeg");
    (out.stdout, w, h)
}

fn samples_of(frames: &[&[u8]]) -> Samples {
    let mut s = Samples::new();
    let per = PIXEL_BUDGET / frames.len().max(1);
    for f in frames {
        s.add_frame(f, 4, per);
    }
    s
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = Path::new(&args[1]);
    let grades = &args[2..];
    let frame_bytes = W * H * 4;

    // 1. Fit on 30 + 30 decoded 1080p frames.
    let shot = std::fs::read(dir.join("shot.rgba")).expect("shot.rgba");
    let look = std::fs::read(dir.join("look.rgba")).expect("look.rgba");
    let shot_frames: Vec<&[u8]> = shot.chunks_exact(frame_bytes).collect();
    let look_frames: Vec<&[u8]> = look.chunks_exact(frame_bytes).collect();
    let options = FitOptions::default();
    let mut best = (f64::MAX, f64::MAX);
    let mut lut = None;
    for _ in 0..3 {
        let (c0, t0) = (cpu_seconds(), Instant::now());
        let shot = samples_of(&shot_frames);
        let model = ColorModel::fit(&shot, &samples_of(&look_frames), &options).unwrap();
        let baked = model.bake_fitted(&shot);
        let (cpu, wall) = (cpu_seconds() - c0, t0.elapsed().as_secs_f64());
        best = (best.0.min(cpu), best.1.min(wall));
        lut = Some(baked);
    }
    let lut = lut.unwrap();
    println!(
        "fit ({} method, {}+{} frames of 1920x1080, {}³ LUT): {:.3} s CPU, {:.3} s wall (best of 3; target < 1 s CPU)",
        options.method.id(),
        shot_frames.len(),
        look_frames.len(),
        lut.size,
        best.0,
        best.1
    );
    cutroom_plugin::timeline::formats::write_lut(&lut, &dir.join("look.cube")).unwrap();

    // 2. LUT application on the 1080p frames.
    let prepared = PreparedLut::new(&lut).unwrap();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut frames: Vec<Vec<u8>> = shot_frames.iter().map(|f| f.to_vec()).collect();
    let mut best_fps: f64 = 0.0;
    for _ in 0..3 {
        let t0 = Instant::now();
        for f in &mut frames {
            prepared.apply_rgba8(f, W, H, threads).unwrap();
        }
        best_fps = best_fps.max(frames.len() as f64 / t0.elapsed().as_secs_f64());
    }
    println!("ours_apply_fps {best_fps:.1}");

    // 3. ΔE and fit time per grade against color-matcher.
    let peer = std::fs::read_to_string(dir.join("peer.txt")).unwrap_or_default();
    let (reference, rw, rh) = read_png(&dir.join("reference.png"));
    println!();
    println!(
        "{:<17} {:>7} | {:<26} | {:<26} | verdict",
        "grade", "before", "ours: best method ΔE (fit s)", "color-matcher: best ΔE (s)"
    );
    for grade in grades {
        let (graded, _, _) = read_png(&dir.join(format!("{grade}.png")));
        let before = mean_delta_e_2000_rgba8(&graded, &reference, 0).unwrap();
        let mut ours = Vec::new();
        let variants = Method::ALL
            .into_iter()
            .map(|m| (m, 33))
            .chain([(Method::Combined, 65), (Method::Histogram, 65)]);
        for (method, lut_size) in variants {
            let options = FitOptions {
                method,
                lut_size,
                ..FitOptions::default()
            };
            let t0 = Instant::now();
            let shot = samples_of(&[&graded]);
            let model = ColorModel::fit(&shot, &samples_of(&[&reference]), &options).unwrap();
            let l = model.bake_fitted(&shot);
            let fit = t0.elapsed().as_secs_f64();
            let mut out = graded.clone();
            cutroom_color::apply_lut_rgba8(&l, &mut out, rw, rh, 0).unwrap();
            let de = mean_delta_e_2000_rgba8(&out, &reference, 0).unwrap();
            let label = if lut_size == 33 {
                method.id().to_string()
            } else {
                format!("{}@{lut_size}", method.id())
            };
            ours.push((label, de, fit));
        }
        let mut theirs = Vec::new();
        for line in peer.lines() {
            let parts: Vec<&str> = line.split_whitespace().collect();
            if parts.len() == 3 && parts[0] == grade {
                let (img, _, _) = read_png(&dir.join(format!("cm_{grade}_{}.png", parts[1])));
                let de = mean_delta_e_2000_rgba8(&img, &reference, 0).unwrap();
                theirs.push((parts[1].to_string(), de, parts[2].parse::<f64>().unwrap()));
            }
        }
        let detail = |v: &[(String, f64, f64)]| {
            v.iter()
                .map(|(m, d, t)| format!("{m} {d:.4} ({t:.3}s)"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let best_of = |v: &[(String, f64, f64)]| {
            v.iter()
                .cloned()
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or(("-".into(), f64::NAN, f64::NAN))
        };
        let (om, od, ot) = best_of(&ours);
        let (tm, td, tt) = best_of(&theirs);
        let verdict = if od <= td && ot <= tt {
            "ours ΔE <= theirs, ours faster"
        } else if od <= td {
            "ours ΔE <= theirs, ours SLOWER"
        } else {
            "ours ΔE HIGHER"
        };
        println!(
            "{grade:<17} {before:>7.2} | {om:>14} {od:6.4} ({ot:.3}s) | {tm:>14} {td:6.4} ({tt:.3}s) | {verdict}"
        );
        println!("    ours:          {}", detail(&ours));
        println!("    color-matcher: {}", detail(&theirs));
    }
}
