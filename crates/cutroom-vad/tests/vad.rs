//! The Silero VAD on generated speech and non-speech. Needs the model from `make setup` /
//! `make test`; without it these tests fail (they never skip).

use std::path::Path;
use std::process::Command;

use cutroom_vad::{default_models_dir, Vad, VadError, WINDOW};

fn vad() -> Vad {
    match Vad::load(default_models_dir()) {
        Ok(v) => v,
        Err(e) => panic!("{e}\n(run `make test`, which installs the models, then try again)"),
    }
}

fn speech() -> Vec<f32> {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("s.wav");
    let raw = dir.path().join("s.f32");
    let text = "The quick brown fox jumps over the lazy dog, and then it runs away.";
    assert!(Command::new("espeak-ng")
        .args(["-s", "150", "-w"])
        .arg(&wav)
        .arg(text)
        .status()
        .expect("espeak-ng (installed by `make test`)")
        .success());
    assert!(Command::new("sox")
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
            "raw"
        ])
        .arg(&raw)
        .status()
        .expect("sox (installed by `make test`)")
        .success());
    std::fs::read(&raw)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[test]
fn speech_gets_a_high_probability() {
    let p = vad().probabilities(&speech()).unwrap();
    let high = p.iter().filter(|&&x| x > 0.5).count();
    assert!(
        high * 2 > p.len(),
        "{high} of {} windows above 0.5",
        p.len()
    );
}

#[test]
fn silence_and_noise_get_a_low_probability() {
    let vad = vad();
    let silence = vad.probabilities(&vec![0.0; 16_000]).unwrap();
    assert_eq!(silence.len(), 16_000usize.div_ceil(WINDOW));
    assert!(silence.iter().all(|&x| x < 0.2), "{silence:?}");
    let mut seed = 1u32;
    let noise: Vec<f32> = (0..32_000)
        .map(|_| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 * 0.2 - 0.1
        })
        .collect();
    let p = vad.probabilities(&noise).unwrap();
    let mean = p.iter().sum::<f32>() / p.len() as f32;
    assert!(mean < 0.2, "mean speech probability of white noise {mean}");
}

#[test]
fn streaming_in_odd_chunks_gives_the_same_probabilities() {
    let vad = vad();
    let s = speech();
    let whole = vad.probabilities(&s).unwrap();
    let mut stream = vad.stream();
    let mut parts = Vec::new();
    for chunk in s.chunks(777) {
        stream.push(chunk, &mut parts).unwrap();
    }
    stream.finish(&mut parts).unwrap();
    assert_eq!(whole, parts);
}

#[test]
fn a_missing_model_names_the_setup_command() {
    let err = Vad::load(Path::new("/nonexistent-models")).unwrap_err();
    assert!(matches!(err, VadError::Missing { .. }));
    let text = err.to_string();
    assert!(text.contains("make setup"), "{text}");
    assert!(text.contains("/nonexistent-models/silero-vad/"), "{text}");
}
