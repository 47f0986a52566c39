//! Helpers shared by the auto-cut tests: generated media with known ground truth, running the
//! plugin over real files, and scoring.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use auto_cut::AutoCut;
use cutroom_plugin::prelude::*;
use cutroom_plugin::testing::Harness;
use cutroom_source::FfmpegSource;

/// Shot boundaries of a generated clip (frames at 25 fps).
#[derive(Debug, Clone, Default)]
pub struct Truth {
    pub frames: i64,
    pub cuts: Vec<i64>,
    /// `(start, end_exclusive)`.
    pub transitions: Vec<(i64, i64)>,
}

/// Generates a clip with `testdata/make_shots.py` (`mode` = "edit" or "flashpan").
pub fn make_shots(dir: &Path, mode: &str, seed: u32, seconds: u32) -> (PathBuf, Truth) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/make_shots.py");
    let clip = dir.join(format!("{mode}-{seed}.mp4"));
    let truth = dir.join(format!("{mode}-{seed}.json"));
    let status = Command::new("python3")
        .arg(&script)
        .arg(mode)
        .arg(&clip)
        .arg(&truth)
        // 512x288 (eight times the 64x36 analysis size) with deblocking in the stream (x264's
        // ultrafast turns it off): FfmpegSource decodes these clips with the analysis
        // shortcuts (no deblocking) as it does real footage.
        .args(["--size", "512x288", "--preset", "superfast"])
        .args([
            "--seed",
            &seed.to_string(),
            "--seconds",
            &seconds.to_string(),
        ])
        .status()
        .expect("python3 runs (needed to generate test clips)");
    assert!(status.success(), "make_shots.py {mode} failed");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    let ints = |v: &serde_json::Value| v.as_i64().unwrap();
    let t = Truth {
        frames: ints(&json["frames"]),
        cuts: json["cuts"].as_array().unwrap().iter().map(ints).collect(),
        transitions: json["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (ints(&t[0]), ints(&t[1])))
            .collect(),
    };
    (clip, t)
}

/// Runs the plugin over a file with `key=value` parameters.
pub fn run(path: &Path, params: &[&str]) -> Proposal {
    run_with(&AutoCut::default(), path, params).unwrap()
}

/// Runs `plugin` over a file with `key=value` parameters.
pub fn run_with(plugin: &AutoCut, path: &Path, params: &[&str]) -> Result<Proposal, PluginError> {
    let params = Params::from_assignments(&plugin.manifest(), params).unwrap();
    let source = FfmpegSource::open(path).unwrap();
    Harness::new(source).run(plugin, &params).proposal
}

/// Cut frames and transition spans (frames) of a proposal.
pub fn boundaries(p: &Proposal) -> (Vec<i64>, Vec<(i64, i64)>) {
    let mut cuts = Vec::new();
    let mut spans = Vec::new();
    for item in &p.items {
        match &item.kind {
            ProposalKind::Cut { at } => cuts.push(at.value),
            ProposalKind::Transition { range, .. } => {
                spans.push((range.start.value, range.start.value + range.duration.value))
            }
            _ => {}
        }
    }
    (cuts, spans)
}

/// One-to-one greedy matching; returns F1.
pub fn f1<F, T>(found: &[F], truth: &[T], matches: impl Fn(&F, &T) -> bool) -> f64 {
    let mut used = vec![false; truth.len()];
    let mut tp = 0usize;
    for f in found {
        if let Some(j) = (0..truth.len()).find(|&j| !used[j] && matches(f, &truth[j])) {
            used[j] = true;
            tp += 1;
        }
    }
    if found.is_empty() && truth.is_empty() {
        return 1.0;
    }
    2.0 * tp as f64 / (found.len() + truth.len()) as f64
}

/// Hard-cut F1 within ±1 frame.
pub fn cut_f1(found: &[i64], truth: &[i64]) -> f64 {
    f1(found, truth, |f, t| (f - t).abs() <= 1)
}

/// Transition F1 by span overlap.
pub fn span_f1(found: &[(i64, i64)], truth: &[(i64, i64)]) -> f64 {
    f1(found, truth, |f, t| f.0 < t.1 && t.0 < f.1)
}

/// Writes 16 kHz mono f32 samples as a WAV file (PCM 16-bit) with ffmpeg-readable headers.
pub fn write_wav(path: &Path, samples: &[f32]) {
    let mut bytes = Vec::with_capacity(44 + samples.len() * 2);
    let data_len = (samples.len() * 2) as u32;
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&16_000u32.to_le_bytes());
    bytes.extend_from_slice(&32_000u32.to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    for &s in samples {
        let v = (s.clamp(-1.0, 1.0) * 32767.0).round() as i16;
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// Speech from espeak-ng, as 16 kHz mono samples with leading and trailing silence trimmed
/// (at 1% of full scale, so the edges are where the speech is audible).
pub fn speech(dir: &Path, text: &str, voice: &str) -> Vec<f32> {
    let wav = dir.join("speech.wav");
    let raw = dir.join("speech.f32");
    let ok = Command::new("espeak-ng")
        .args(["-v", voice, "-s", "150", "-w"])
        .arg(&wav)
        .arg(text)
        .status()
        .expect("espeak-ng runs (install it with `make test`)")
        .success();
    assert!(ok, "espeak-ng failed");
    let ok = Command::new("sox")
        .arg(&wav)
        .args([
            "-r",
            "16000",
            "-c",
            "1",
            "-e",
            "floating-point",
            "-b",
            "32",
            "-t",
            "raw",
        ])
        .arg(&raw)
        .status()
        .expect("sox runs (install it with `make test`)")
        .success();
    assert!(ok, "sox failed");
    let bytes = std::fs::read(&raw).unwrap();
    let samples: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let first = samples.iter().position(|s| s.abs() >= 0.01).unwrap();
    let last = samples.iter().rposition(|s| s.abs() >= 0.01).unwrap();
    samples[first..=last].to_vec()
}

/// Deterministic pseudo-random numbers in [-1, 1].
pub struct Noise(u64);

impl Noise {
    pub fn new(seed: u64) -> Noise {
        Noise(
            seed.wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407),
        )
    }
    pub fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}
