//! Dead-air removal on speech from espeak-ng separated by known silences and by non-speech
//! beds (noise, music-like tones), checked against the known layout. The VAD tests need the
//! Silero model from `make test` and fail without it.

mod common;

use std::path::Path;

use auto_cut::{default_models_dir, AutoCut, Vad};
use common::{run, run_with, speech, write_wav, Noise};
use cutroom_plugin::prelude::*;

const SR: i64 = 16_000;
/// Tolerance on kept-segment edges: two 10 ms audio frames.
const TOLERANCE: i64 = 320;

/// What goes between two pieces of speech.
#[derive(Clone, Copy)]
enum Bed {
    Silence,
    /// Pink-ish noise at about -20 dBFS (room noise, fan).
    Noise,
    /// A sequence of chords with harmonics at about -15 dBFS (music-like).
    Music,
}

/// Builds speech, bed, speech, ... and returns the samples and the speech spans (samples).
fn layout(dir: &Path, beds: &[(Bed, f64)]) -> (Vec<f32>, Vec<(i64, i64)>) {
    let lines = [
        ("Please open the project and check the first scene.", "en"),
        ("The second take was better than the first one.", "en-us"),
        ("We can cut the pause after this sentence.", "en"),
        ("That is all for today, thank you.", "en-us"),
    ];
    let mut out = vec![0.0f32; (SR / 2) as usize];
    let mut spans = Vec::new();
    let mut noise = Noise::new(7);
    for (i, (text, voice)) in lines.iter().take(beds.len() + 1).enumerate() {
        let s = speech(dir, text, voice);
        let start = out.len() as i64;
        out.extend_from_slice(&s);
        spans.push((start, out.len() as i64));
        if let Some(&(bed, secs)) = beds.get(i) {
            let n = (secs * SR as f64) as usize;
            let base = out.len();
            let mut lp = 0.0f32;
            for k in 0..n {
                let t = k as f32 / SR as f32;
                let v = match bed {
                    Bed::Silence => 0.0,
                    Bed::Noise => {
                        lp = 0.9 * lp + 0.1 * noise.next();
                        lp * 0.35
                    }
                    Bed::Music => {
                        let chord: [f32; 3] = match (t * 2.0) as usize % 3 {
                            0 => [220.0, 277.2, 329.6],
                            1 => [196.0, 246.9, 293.7],
                            _ => [174.6, 220.0, 261.6],
                        };
                        chord
                            .iter()
                            .map(|f| {
                                (0..3)
                                    .map(|h| {
                                        let h = (h + 1) as f32;
                                        (std::f32::consts::TAU * f * h * t).sin() / h
                                    })
                                    .sum::<f32>()
                            })
                            .sum::<f32>()
                            * 0.06
                    }
                };
                out.push(v);
            }
            // Beds start and end with 250 ms of silence so the truth edges are the speech's.
            let edge = (SR / 4) as usize;
            for k in 0..edge.min(n) {
                out[base + k] = 0.0;
                out[base + n - 1 - k] = 0.0;
            }
        }
    }
    out.extend(std::iter::repeat_n(0.0, (SR / 2) as usize));
    (out, spans)
}

/// Kept spans (complement of the removals) in samples.
fn kept(p: &Proposal, total: i64) -> Vec<(i64, i64)> {
    let mut removals: Vec<(i64, i64)> = p
        .items
        .iter()
        .filter_map(|i| match &i.kind {
            ProposalKind::Removal { range } => {
                assert_eq!(range.start.rate, Rate::HZ_16000);
                Some((range.start.value, range.start.value + range.duration.value))
            }
            _ => None,
        })
        .collect();
    removals.sort();
    let mut out = Vec::new();
    let mut at = 0;
    for (a, b) in removals {
        if a > at {
            out.push((at, a));
        }
        at = b;
    }
    if at < total {
        out.push((at, total));
    }
    out
}

fn assert_close(kept: &[(i64, i64)], expected: &[(i64, i64)]) {
    assert_eq!(
        kept.len(),
        expected.len(),
        "kept {kept:?}, expected {expected:?}"
    );
    for (k, e) in kept.iter().zip(expected) {
        assert!(
            (k.0 - e.0).abs() <= TOLERANCE && (k.1 - e.1).abs() <= TOLERANCE,
            "kept {k:?}, expected {e:?} (±{TOLERANCE} samples); all kept {kept:?}"
        );
    }
}

fn padded(spans: &[(i64, i64)], before: i64, after: i64, total: i64) -> Vec<(i64, i64)> {
    spans
        .iter()
        .map(|&(a, b)| ((a - before).max(0), (b + after).min(total)))
        .collect()
}

#[test]
fn silences_between_sentences_are_removed_keeping_the_padding() {
    let dir = tempfile::tempdir().unwrap();
    let (samples, spans) = layout(
        dir.path(),
        &[
            (Bed::Silence, 1.5),
            (Bed::Silence, 0.8),
            (Bed::Silence, 2.0),
        ],
    );
    let wav = dir.path().join("speech.wav");
    write_wav(&wav, &samples);
    let total = samples.len() as i64;
    let p = run(
        &wav,
        &[
            "dead_air=loudness",
            "pad_before=0.1",
            "pad_after=0.2",
            "min_silence=0.4",
        ],
    );
    assert_close(&kept(&p, total), &padded(&spans, 1600, 3200, total));
    assert!(p.items.iter().all(|i| i.reason.starts_with("silence")));
}

#[test]
fn padding_before_and_after_are_applied_separately() {
    let dir = tempfile::tempdir().unwrap();
    let (samples, spans) = layout(dir.path(), &[(Bed::Silence, 2.0)]);
    let wav = dir.path().join("speech.wav");
    write_wav(&wav, &samples);
    let total = samples.len() as i64;
    let p = run(&wav, &["pad_before=0", "pad_after=0.35"]);
    assert_close(&kept(&p, total), &padded(&spans, 0, 5600, total));
}

#[test]
fn pauses_shorter_than_the_minimum_silence_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (samples, spans) = layout(dir.path(), &[(Bed::Silence, 0.6), (Bed::Silence, 1.5)]);
    let wav = dir.path().join("speech.wav");
    write_wav(&wav, &samples);
    let total = samples.len() as i64;
    let p = run(
        &wav,
        &["min_silence=0.8", "pad_before=0.1", "pad_after=0.1"],
    );
    // The 0.6 s pause stays: the first two sentences are one kept segment.
    let expected = padded(&[(spans[0].0, spans[1].1), spans[2]], 1600, 1600, total);
    assert_close(&kept(&p, total), &expected);
}

#[test]
fn loudness_alone_keeps_noise_and_music_beds() {
    let dir = tempfile::tempdir().unwrap();
    let (samples, spans) = layout(dir.path(), &[(Bed::Noise, 3.0), (Bed::Music, 3.0)]);
    let wav = dir.path().join("speech.wav");
    write_wav(&wav, &samples);
    let total = samples.len() as i64;
    let p = run(
        &wav,
        &["dead_air=loudness", "pad_before=0.1", "pad_after=0.1"],
    );
    // The beds are loud: more than the three sentences is kept.
    let kept_len: i64 = kept(&p, total).iter().map(|k| k.1 - k.0).sum();
    let speech_len: i64 = spans.iter().map(|s| s.1 - s.0 + 3200).sum();
    assert!(kept_len > speech_len + 3 * SR, "{kept_len} vs {speech_len}");
}

fn require_vad() {
    if let Err(e) = Vad::load(default_models_dir()) {
        panic!("{e}\n(`make test` installs the models; this test does not skip without them)");
    }
}

#[test]
fn voice_activity_keeps_speech_and_drops_noise_and_music_beds() {
    require_vad();
    let dir = tempfile::tempdir().unwrap();
    let (samples, spans) = layout(
        dir.path(),
        &[(Bed::Noise, 3.0), (Bed::Music, 3.0), (Bed::Silence, 1.0)],
    );
    let wav = dir.path().join("speech.wav");
    write_wav(&wav, &samples);
    let total = samples.len() as i64;
    let p = run(
        &wav,
        &[
            "dead_air=vad",
            "pad_before=0.1",
            "pad_after=0.2",
            "min_silence=0.4",
        ],
    );
    assert_close(&kept(&p, total), &padded(&spans, 1600, 3200, total));
    let non_speech = p
        .items
        .iter()
        .filter(|i| i.reason.starts_with("no speech"))
        .count();
    assert!(non_speech >= 2, "{:#?}", p.items);
}

#[test]
fn a_missing_vad_model_fails_the_run_naming_the_setup_command() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    write_wav(&wav, &vec![0.1; 16_000]);
    let plugin = AutoCut::with_models_dir(dir.path().join("no-models"));
    let err = run_with(&plugin, &wav, &["dead_air=vad"]).unwrap_err();
    assert!(err.to_string().contains("make setup"), "{err}");
}

#[test]
fn dead_air_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("quiet.wav");
    write_wav(&wav, &vec![0.0; 32_000]);
    assert!(run(&wav, &["dead_air=off"]).items.is_empty());
    assert_eq!(run(&wav, &[]).items.len(), 1);
}
