//! Shared helpers: the installed model and test recordings, word error rate.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use cutroom_whisper::{models_dir, Whisper, DEFAULT_MODEL};

/// The installed tiny.en model; fails (never skips) with the command that installs it.
pub fn model() -> Whisper {
    match Whisper::load(&models_dir().join(DEFAULT_MODEL)) {
        Ok(w) => w,
        Err(e) => panic!("{e}\n(the accuracy tests need the model: run `make test`, which runs scripts/setup.sh --test)"),
    }
}

/// Path of a sample under `<models>/samples/`; fails with the setup command if missing.
pub fn sample(name: &str) -> PathBuf {
    let p = models_dir().join("samples").join(name);
    assert!(
        p.is_file(),
        "test recording {} is missing: run `make test` (scripts/setup.sh --test installs it)",
        p.display()
    );
    p
}

/// Samples of a 16-bit PCM mono WAV file, in [-1, 1], and its sample rate.
pub fn read_wav(path: &std::path::Path) -> (Vec<f32>, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[0..4], b"RIFF");
    let mut pos = 12;
    let mut rate = 0;
    let mut channels = 1u16;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let body = &bytes[pos + 8..(pos + 8 + size).min(bytes.len())];
        if id == b"fmt " {
            channels = u16::from_le_bytes([body[2], body[3]]);
            rate = u32::from_le_bytes(body[4..8].try_into().unwrap());
            assert_eq!(
                u16::from_le_bytes([body[14], body[15]]),
                16,
                "16-bit PCM only"
            );
        } else if id == b"data" {
            let s: Vec<f32> = body
                .chunks_exact(2 * channels as usize)
                .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32 / 32768.0)
                .collect();
            return (s, rate);
        }
        pos += 8 + size + (size & 1);
    }
    panic!("no data chunk in {}", path.display());
}

/// Lower-case words without punctuation; hyphens split words ("ill-disposed" is "ill
/// disposed") and the spoken forms of common titles are used ("Mr." is "mister"), as in the
/// transcripts of read speech.
pub fn normalise(text: &str) -> Vec<String> {
    text.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' || c.is_whitespace() {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .map(|w| match w {
            "mr" => "mister".to_string(),
            "mrs" => "missus".to_string(),
            "dr" => "doctor".to_string(),
            w => w.to_string(),
        })
        .collect()
}

/// Word edits (substitutions, insertions, deletions) between `reference` and `hyp` after
/// normalising both, and the number of reference words.
pub fn word_edits(reference: &str, hyp: &str) -> (usize, usize) {
    let r = normalise(reference);
    let h = normalise(hyp);
    let mut d: Vec<usize> = (0..=h.len()).collect();
    for i in 1..=r.len() {
        let mut prev = d[0];
        d[0] = i;
        for j in 1..=h.len() {
            let cur = d[j];
            d[j] = (d[j] + 1)
                .min(d[j - 1] + 1)
                .min(prev + usize::from(r[i - 1] != h[j - 1]));
            prev = cur;
        }
    }
    (d[h.len()], r.len())
}

/// Word error rate of `hyp` against `reference` after normalising case and punctuation.
pub fn wer(reference: &str, hyp: &str) -> f64 {
    let (edits, words) = word_edits(reference, hyp);
    edits as f64 / words.max(1) as f64
}

/// Texts of faster-whisper (beam 1, word timestamps, float32, 2 threads) on the same model
/// directory, one per file, from one Python process. Fails (never skips) when faster-whisper
/// is not installed.
pub fn faster_whisper_texts(files: &[&Path]) -> Vec<String> {
    let model = models_dir().join(DEFAULT_MODEL);
    let script = r#"
import json, sys
try:
    from faster_whisper import WhisperModel
except ImportError:
    sys.exit("faster-whisper is not installed: run `make test` (scripts/setup.sh --test installs it)")
m = WhisperModel(sys.argv[1], device="cpu", compute_type="float32", cpu_threads=2)
out = []
for f in sys.argv[2:]:
    segments, _ = m.transcribe(f, beam_size=1, word_timestamps=True)
    out.append("".join(s.text for s in segments).strip())
sys.stdout.write(json.dumps(out))
"#;
    let out = std::process::Command::new("python3")
        .env("HF_HUB_OFFLINE", "1")
        .arg("-c")
        .arg(script)
        .arg(&model)
        .args(files)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "faster-whisper failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let texts: Vec<String> = serde_json::from_slice(&out.stdout).expect("a JSON list of texts");
    assert_eq!(texts.len(), files.len());
    texts
}

/// Text of faster-whisper on one file (see [`faster_whisper_texts`]).
pub fn faster_whisper_text(file: &Path) -> String {
    faster_whisper_texts(&[file]).remove(0)
}
