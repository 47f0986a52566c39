//! Times model loading and transcription of 16-bit mono 16 kHz WAV files; prints one line
//! per file: `name seconds_audio load_s best_transcribe_s text`.
//!
//! `cargo run --release -p cutroom-whisper --example transcribe_bench -- MODEL_DIR RUNS FILE...`

use std::time::Instant;

fn read(path: &str) -> Vec<f32> {
    let bytes = std::fs::read(path).expect("readable WAV");
    let at = bytes
        .windows(4)
        .position(|w| w == b"data")
        .expect("data chunk")
        + 8;
    bytes[at..]
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32 / 32768.0)
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    assert!(
        args.len() >= 4,
        "usage: transcribe_bench MODEL_DIR RUNS FILE..."
    );
    let t0 = Instant::now();
    let w = cutroom_whisper::Whisper::load(std::path::Path::new(&args[1])).expect("model loads");
    let load = t0.elapsed().as_secs_f64();
    let runs: usize = args[2].parse().expect("RUNS is a number");
    for file in &args[3..] {
        let audio = read(file);
        let mut best = f64::INFINITY;
        let mut text = String::new();
        for _ in 0..runs.max(1) {
            let t = Instant::now();
            let tr = w
                .transcribe(&audio, &cutroom_whisper::Options::default(), &mut |_| true)
                .expect("transcribes");
            best = best.min(t.elapsed().as_secs_f64());
            text = tr.text();
        }
        println!(
            "{file}\t{:.1}\t{load:.3}\t{best:.3}\t{text}",
            audio.len() as f64 / 16_000.0
        );
    }
}
