//! The plugin on real and synthetic speech, through the SDK harness and the FFmpeg source.
//!
//! These tests need the Whisper and Silero models and the jfk.wav recording that
//! `make test` installs (scripts/setup.sh --test); without them they fail with that command.

use std::path::{Path, PathBuf};
use std::process::Command;

use cutroom_plugin::prelude::*;
use cutroom_plugin::testing::Harness;
use cutroom_source::FfmpegSource;
use subtitles::{check_cues, rules::errors, Rules, Subtitles};

fn models() -> PathBuf {
    cutroom_whisper::models_dir()
}

fn need(path: &Path) {
    assert!(
        path.exists(),
        "{} is missing: run `make test` (scripts/setup.sh --test installs the models and test recordings)",
        path.display()
    );
}

fn cues_of(path: &Path, params: &[(&str, &str)]) -> Vec<SubtitleCue> {
    need(
        &models()
            .join(cutroom_whisper::DEFAULT_MODEL)
            .join("model.bin"),
    );
    let source = FfmpegSource::open(path).unwrap();
    let params = Params::from_pairs(&Subtitles.manifest(), params).unwrap();
    let result = Harness::new(source).run(&Subtitles, &params);
    let proposal = result.proposal.unwrap();
    proposal
        .items
        .into_iter()
        .map(|i| match i.kind {
            ProposalKind::Cue(c) => c,
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

fn secs(t: RationalTime) -> f64 {
    t.to_seconds()
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .map(String::from)
        .collect()
}

#[test]
fn jfk_becomes_readable_cues_that_start_with_the_speech() {
    let jfk = models().join("samples/jfk.wav");
    need(&jfk);
    let cues = cues_of(&jfk, &[]);
    for c in &cues {
        eprintln!(
            "{:.3}-{:.3} {:?}",
            secs(c.range.start),
            secs(c.range.end_exclusive()),
            c.text
        );
    }
    let text: Vec<String> = cues.iter().flat_map(|c| words(&c.text)).collect();
    let expected = words(
        "And so my fellow Americans ask not what your country can do for you \
         ask what you can do for your country",
    );
    assert_eq!(text, expected);
    let v = check_cues(&cues, &Rules::default());
    assert!(errors(&v).is_empty(), "{v:?}");
    // The speech starts at about 0.3 s; the first cue starts with it, not at 0.
    let first = secs(cues[0].range.start);
    assert!((0.1..=0.6).contains(&first), "first cue at {first}");
    for c in &cues {
        assert_eq!(c.range.start, c.words[0].range.start);
    }
}

fn write_wav(path: &Path, samples: &[f32]) {
    let mut b = Vec::new();
    let data = samples.len() as u32 * 2;
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&16_000u32.to_le_bytes());
    b.extend_from_slice(&32_000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data.to_le_bytes());
    for s in samples {
        b.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes());
    }
    std::fs::write(path, b).unwrap();
}

/// 16 kHz mono samples of `text` spoken by espeak-ng.
fn espeak(dir: &Path, name: &str, text: &str) -> Vec<f32> {
    let raw = dir.join(format!("{name}-22k.wav"));
    let out = dir.join(format!("{name}.wav"));
    let ok = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(&raw)
        .arg(text)
        .status()
        .expect("espeak-ng is needed: run `make test` (scripts/setup.sh --test installs it)");
    assert!(ok.success());
    let ok = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&raw)
        .args(["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(ok.success());
    read_pcm16(&out)
}

/// Speaks `text` with espeak-ng, appends it to `audio` and returns the (onset, end) of its
/// speech in seconds.
fn append_sentence(audio: &mut Vec<f32>, dir: &Path, name: &str, text: &str) -> (f64, f64) {
    let clip = espeak(dir, name, text);
    let loud = |x: &f32| x.abs() > 0.02;
    let on = clip.iter().position(loud).unwrap();
    let off = clip.iter().rposition(loud).unwrap();
    let base = audio.len();
    audio.extend_from_slice(&clip);
    (
        (base + on) as f64 / 16_000.0,
        (base + off) as f64 / 16_000.0,
    )
}

/// Prints the cues and the sentences' spans (shown when a test fails).
fn show(cues: &[SubtitleCue], spans: &[(f64, f64)]) {
    for c in cues {
        eprintln!(
            "{:.3}-{:.3} {:?}",
            secs(c.range.start),
            secs(c.range.end_exclusive()),
            c.text
        );
    }
    eprintln!("speech: {spans:?}");
}

/// Each sentence's first cue starts within 200 ms of its speech onset.
fn assert_each_sentence_is_cued_at_its_onset(cues: &[SubtitleCue], spans: &[(f64, f64)]) {
    for &(on, off) in spans {
        let first = cues
            .iter()
            .map(|c| secs(c.range.start))
            .filter(|&s| s >= on - 0.5 && s <= off)
            .fold(f64::INFINITY, f64::min);
        assert!(
            (first - on).abs() <= 0.2,
            "the first cue of the sentence at {on:.2} starts at {first:.2}"
        );
    }
}

#[test]
fn synthetic_sentences_with_silences_between_give_no_cue_in_the_silences() {
    let dir = tempfile::tempdir().unwrap();
    let silence = |s: f64| vec![0f32; (s * 16_000.0) as usize];
    let mut audio = silence(2.0);
    // (speech onset, speech end) of each sentence in seconds.
    let mut spans = Vec::new();
    for (k, s) in SENTENCES.iter().enumerate() {
        spans.push(append_sentence(&mut audio, dir.path(), &format!("s{k}"), s));
        audio.extend(silence(if k + 1 < SENTENCES.len() { 4.0 } else { 1.0 }));
    }
    let path = dir.path().join("speech.wav");
    write_wav(&path, &audio);

    let cues = cues_of(&path, &[]);
    show(&cues, &spans);
    assert!(errors(&check_cues(&cues, &Rules::default())).is_empty());
    // Silences: before the first sentence and between sentences.
    let mut silences = vec![(0.0, spans[0].0)];
    for w in spans.windows(2) {
        silences.push((w[0].1, w[1].0));
    }
    for c in &cues {
        let (s, e) = (secs(c.range.start), secs(c.range.end_exclusive()));
        for &(a, b) in &silences {
            // No cue starts well inside a silence, and none spans a whole one.
            assert!(
                !(s > a + 0.3 && s < b - 0.2),
                "cue {:?} starts at {s:.2} in the silence {a:.2}..{b:.2}",
                c.text
            );
            assert!(
                !(s <= a && e >= b),
                "cue {:?} spans the silence {a:.2}..{b:.2}",
                c.text
            );
            // Lingering into a silence only as long as reading requires (at most 1 s here).
            if s < a && e > a {
                assert!(
                    e - a <= 1.5,
                    "cue {:?} lingers {:.2} s into silence",
                    c.text,
                    e - a
                );
            }
        }
    }
    assert_each_sentence_is_cued_at_its_onset(&cues, &spans);
}

#[test]
fn pure_silence_and_noise_give_no_cues() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noise.wav");
    let mut x = 12345u32;
    let audio: Vec<f32> = (0..16_000 * 8)
        .map(|i| {
            if i < 16_000 * 4 {
                0.0
            } else {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x as f32 / u32::MAX as f32 - 0.5) * 0.01
            }
        })
        .collect();
    write_wav(&path, &audio);
    assert!(cues_of(&path, &[]).is_empty());
}

/// A music-like bed: a drone and a melody of harmonic-rich notes with attack and decay,
/// at about the level of the speech.
fn music_bed(seconds: f64) -> Vec<f32> {
    let notes = [261.63, 329.63, 392.0, 523.25, 392.0, 329.63, 293.66, 349.23];
    let n = (seconds * 16_000.0) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / 16_000.0;
            let k = (t / 0.25) as usize;
            let f = notes[k % notes.len()];
            let since = t - k as f64 * 0.25;
            let env = (since * 200.0).min(1.0) * (-since * 6.0).exp();
            let note: f64 = (1..=4)
                .map(|h| (2.0 * std::f64::consts::PI * f * h as f64 * t).sin() / h as f64)
                .sum();
            let drone = (2.0 * std::f64::consts::PI * 110.0 * t).sin()
                + 0.5 * (2.0 * std::f64::consts::PI * 165.0 * t).sin();
            (0.18 * env * note + 0.06 * drone) as f32
        })
        .collect()
}

/// The samples of a 16-bit PCM WAV file, as written by ffmpeg `-c:a pcm_s16le`.
fn read_pcm16(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    let at = bytes.windows(4).position(|w| w == b"data").unwrap() + 8;
    bytes[at..]
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32 / 32768.0)
        .collect()
}

/// Three espeak-ng sentences the timing tests separate with silences or beds.
const SENTENCES: [&str; 3] = [
    "The weather today is cold and windy, with rain in the evening.",
    "Please remember to close the windows before you leave the house.",
    "We will meet again next week to talk about the new project.",
];

/// Pink noise from FFmpeg's `anoisesrc`, 16 kHz mono.
fn pink_noise(dir: &Path, seconds: f64) -> Vec<f32> {
    let out = dir.join("pink.wav");
    let ok = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!(
            "anoisesrc=color=pink:amplitude=0.5:sample_rate=16000:seed=7:duration={seconds}"
        ))
        .args(["-ac", "1", "-c:a", "pcm_s16le"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(ok.success());
    read_pcm16(&out)
}

#[test]
fn music_and_noise_beds_between_sentences_give_no_cue_over_the_beds() {
    let dir = tempfile::tempdir().unwrap();
    let silence = |s: f64| vec![0f32; (s * 16_000.0) as usize];
    let beds = [music_bed(4.0), pink_noise(dir.path(), 4.0)];
    let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
    // Music before the first sentence and after the last, music and noise between them.
    let mut audio = music_bed(6.0);
    let mut bed_spans = vec![(0.0, 6.0)];
    audio.extend(silence(0.7));
    let mut spans = Vec::new();
    for (k, s) in SENTENCES.iter().enumerate() {
        let base = audio.len();
        spans.push(append_sentence(&mut audio, dir.path(), &format!("b{k}"), s));
        let speech_rms = rms(&audio[base..]);
        audio.extend(silence(0.7));
        if let Some(bed) = beds.get(k) {
            // The beds are as loud as the speech: an energy gate would take them for speech.
            assert!(rms(bed) > 0.5 * speech_rms, "bed {k} is too quiet");
            let start = audio.len() as f64 / 16_000.0;
            audio.extend_from_slice(bed);
            bed_spans.push((start, audio.len() as f64 / 16_000.0));
            audio.extend(silence(0.7));
        }
    }
    let start = audio.len() as f64 / 16_000.0;
    audio.extend(music_bed(6.0));
    bed_spans.push((start, audio.len() as f64 / 16_000.0));
    audio.extend(silence(1.0));
    let path = dir.path().join("beds.wav");
    write_wav(&path, &audio);

    // The detector finds the sentences and nothing in the beds.
    let probs = subtitles::load_vad(&models())
        .unwrap()
        .probabilities(&audio)
        .unwrap();
    let total = audio.len() as f64 / 16_000.0;
    let regions = subtitles::speech_regions(
        &probs,
        0.5,
        subtitles::MIN_SPEECH,
        subtitles::MIN_SILENCE,
        0.0,
        total,
    );
    eprintln!("speech regions: {regions:?}");
    assert_eq!(regions.len(), SENTENCES.len(), "{regions:?}");
    for (&(s, e), &(on, off)) in regions.iter().zip(&spans) {
        assert!(
            (s - on).abs() <= 0.2 && (e - off).abs() <= 0.5,
            "region {s:.2}..{e:.2} for the sentence {on:.2}..{off:.2}"
        );
    }

    let cues = cues_of(&path, &[]);
    show(&cues, &spans);
    eprintln!("beds: {bed_spans:?}");
    assert!(!cues.is_empty(), "the sentences give cues");
    assert!(errors(&check_cues(&cues, &Rules::default())).is_empty());
    for c in &cues {
        let (s, e) = (secs(c.range.start), secs(c.range.end_exclusive()));
        for &(a, b) in &bed_spans {
            assert!(
                !(s > a - 0.2 && s < b),
                "cue {:?} starts at {s:.2} in the bed {a:.2}..{b:.2}",
                c.text
            );
            // A cue of the sentence before may stay on screen into the bed only as long
            // as reading requires (the sentence ends 0.7 s before the bed).
            assert!(
                e.min(b) - s.max(a) <= 0.8,
                "cue {:?} ({s:.2}..{e:.2}) shows over the bed {a:.2}..{b:.2}",
                c.text
            );
            for w in &c.words {
                let (ws, we) = (secs(w.range.start), secs(w.range.end_exclusive()));
                assert!(
                    we <= a + 0.3 || ws >= b - 0.3,
                    "word {:?} ({ws:.2}..{we:.2}) lies in the bed {a:.2}..{b:.2}",
                    w.text
                );
            }
        }
    }
    // Each sentence still gets a cue that starts at its speech onset.
    assert_each_sentence_is_cued_at_its_onset(&cues, &spans);
}

#[test]
fn a_missing_vad_model_names_the_setup_command() {
    let err = subtitles::load_vad(Path::new("/nonexistent/models")).unwrap_err();
    assert!(err.to_string().contains("make setup"), "{err}");
}

fn word(text: &str, start: f64, end: f64, probability: f32) -> cutroom_whisper::Word {
    cutroom_whisper::Word {
        text: text.into(),
        start,
        end,
        probability,
    }
}

#[test]
fn a_word_piece_without_a_leading_space_joins_the_word_before_it() {
    let words = [
        word(" an", 1.0, 1.2, 0.9),
        word(" ill", 1.2, 1.4, 0.8),
        word("-disposed", 1.4, 1.9, 0.6),
        word(" man.", 2.0, 2.3, 0.95),
    ];
    let joined = subtitles::join_word_pieces(&words);
    assert_eq!(
        joined,
        vec![
            word(" an", 1.0, 1.2, 0.9),
            word(" ill-disposed", 1.2, 1.9, 0.6),
            word(" man.", 2.0, 2.3, 0.95),
        ]
    );
}

#[test]
fn hyphenated_words_in_real_speech_stay_whole_in_the_cues() {
    let path = models()
        .join("librivox")
        .join("sense_and_sensibility_01_austen_64kb-0890.wav");
    need(&path);
    let cues = cues_of(&path, &[]);
    let text: Vec<&str> = cues.iter().map(|c| c.text.as_str()).collect();
    let text = text.join(" ");
    assert!(
        text.contains("cold-hearted") && text.contains("ill-disposed"),
        "{text:?}"
    );
    assert!(!text.contains(" -"), "{text:?}");
}
