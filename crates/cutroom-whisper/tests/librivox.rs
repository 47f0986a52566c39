//! More real speech: the LibriVox utterances (read English, 16 kHz mono) with their
//! transcripts, installed by scripts/models/librivox-samples.sh from the pocketsphinx 5.1.1
//! source distribution. Without them (or the model) the test fails; it never skips.

mod common;

use std::path::PathBuf;

use common::{faster_whisper_texts, model, read_wav, word_edits};
use cutroom_whisper::{models_dir, Options};

/// The installed utterances and their transcripts, in name order.
fn utterances() -> Vec<(PathBuf, String)> {
    let dir = models_dir().join("librivox");
    let listing = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "the LibriVox test recordings are missing ({}: {e}): run `make test` \
             (scripts/setup.sh --test runs scripts/models/librivox-samples.sh)",
            dir.display()
        )
    });
    let mut wavs: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    wavs.sort();
    assert_eq!(
        wavs.len(),
        5,
        "expected the 5 LibriVox utterances in {}: run `make test`",
        dir.display()
    );
    wavs.into_iter()
        .map(|w| {
            let text = std::fs::read_to_string(w.with_extension("txt"))
                .unwrap_or_else(|e| panic!("transcript of {}: {e}", w.display()));
            (w, text)
        })
        .collect()
}

#[test]
fn librivox_word_error_rate_is_at_most_faster_whispers_on_the_same_model() {
    let w = model();
    let utts = utterances();
    let paths: Vec<&std::path::Path> = utts.iter().map(|(p, _)| p.as_path()).collect();
    let theirs = faster_whisper_texts(&paths);
    let (mut ours_edits, mut their_edits, mut words) = (0, 0, 0);
    for ((path, reference), their_text) in utts.iter().zip(&theirs) {
        let (audio, rate) = read_wav(path);
        assert_eq!(rate, 16_000, "{}", path.display());
        let ours = w
            .transcribe(&audio, &Options::default(), &mut |_| true)
            .unwrap()
            .text();
        let (e_ours, n) = word_edits(reference, &ours);
        let (e_theirs, _) = word_edits(reference, their_text);
        eprintln!(
            "{}\n  reference:      {}\n  ours ({e_ours} edits): {ours}\n  faster-whisper ({e_theirs} edits): {their_text}",
            path.file_name().unwrap().to_string_lossy(),
            reference.trim()
        );
        ours_edits += e_ours;
        their_edits += e_theirs;
        words += n;
    }
    let ours_wer = ours_edits as f64 / words as f64;
    let their_wer = their_edits as f64 / words as f64;
    eprintln!(
        "corpus WER over {words} words: ours {:.1}% ({ours_edits} edits), faster-whisper {:.1}% ({their_edits} edits)",
        100.0 * ours_wer,
        100.0 * their_wer
    );
    assert!(
        ours_edits <= their_edits,
        "our WER {:.1}% is above faster-whisper's {:.1}%",
        100.0 * ours_wer,
        100.0 * their_wer
    );
}
