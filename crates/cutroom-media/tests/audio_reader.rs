//! `AudioReader` on generated tones: exact sample positions, resampling, seeking.

mod common;

use std::path::{Path, PathBuf};

use common::{ffmpeg, lavfi, Lcg};
use cutroom_media::{AudioOutput, AudioReader};

/// One second of 440 Hz sine at 48 kHz stereo followed by one second of silence.
fn sine_then_silence(dir: &Path, name: &str, codec: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=1",
        "-af",
        "apad=pad_dur=1",
        "-ac",
        "2",
    ];
    args.extend_from_slice(codec);
    args.push(out.to_str().unwrap());
    ffmpeg(&args);
    out
}

fn read_all(path: &Path, output: AudioOutput) -> (i64, Vec<f32>) {
    let mut reader = AudioReader::open(path, output).unwrap();
    let mut data = Vec::new();
    let mut next = None;
    let mut first = 0;
    while let Some(chunk) = reader.next_chunk().unwrap() {
        match next {
            None => first = chunk.start,
            Some(n) => assert_eq!(chunk.start, n, "chunks are contiguous"),
        }
        next = Some(chunk.end());
        data.extend_from_slice(&chunk.data);
    }
    (first, data)
}

/// Index of the last sample frame whose first channel is louder than `threshold`.
fn last_loud(data: &[f32], channels: usize, threshold: f32) -> usize {
    data.chunks(channels)
        .rposition(|f| f[0].abs() > threshold)
        .unwrap()
}

#[test]
fn wav_yields_every_sample_at_its_exact_position() {
    let dir = tempfile::tempdir().unwrap();
    let wav = sine_then_silence(dir.path(), "tone.wav", &[]);
    let (first, data) = read_all(
        &wav,
        AudioOutput {
            sample_rate: 48000,
            channels: 2,
        },
    );
    assert_eq!(first, 0);
    assert_eq!(data.len(), 2 * 96000);
    // The tone ends exactly at sample 48000.
    let end = last_loud(&data, 2, 1e-4);
    assert!((47990..48000).contains(&end), "tone ends at {end}");
}

#[test]
fn aac_sample_count_matches_duration_within_one_frame() {
    let dir = tempfile::tempdir().unwrap();
    let m4a = sine_then_silence(dir.path(), "tone.m4a", &["-c:a", "aac"]);
    let (first, data) = read_all(
        &m4a,
        AudioOutput {
            sample_rate: 48000,
            channels: 2,
        },
    );
    assert_eq!(first, 0);
    let frames = data.len() as i64 / 2;
    assert!((frames - 96000).abs() <= 1024, "{frames} sample frames");
}

#[test]
fn resampling_to_16k_mono_keeps_duration_and_timing() {
    let dir = tempfile::tempdir().unwrap();
    let wav = sine_then_silence(dir.path(), "tone.wav", &[]);
    let (first, data) = read_all(
        &wav,
        AudioOutput {
            sample_rate: 16000,
            channels: 1,
        },
    );
    assert_eq!(first, 0);
    assert!(
        (data.len() as i64 - 32000).abs() <= 16,
        "{} samples",
        data.len()
    );
    let end = last_loud(&data, 1, 1e-2);
    assert!((15980..16020).contains(&end), "tone ends at {end}");
    // A 440 Hz sine at full scale stays a sine after resampling.
    let peak = data[..15000].iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(peak > 0.1 && peak < 1.01, "peak {peak}");
}

#[test]
fn seeking_to_a_sample_gives_exactly_the_samples_from_there() {
    let dir = tempfile::tempdir().unwrap();
    let wav = sine_then_silence(dir.path(), "tone.wav", &[]);
    let out = AudioOutput {
        sample_rate: 48000,
        channels: 2,
    };
    let (_, all) = read_all(&wav, out);
    let mut reader = AudioReader::open(&wav, out).unwrap();
    let mut rng = Lcg(11);
    for _ in 0..20 {
        let n = rng.below(95000) as i64;
        reader.seek_to_sample(n).unwrap();
        let chunk = reader.next_chunk().unwrap().unwrap();
        assert_eq!(chunk.start, n);
        let k = chunk.data.len().min(400);
        assert_eq!(
            &chunk.data[..k],
            &all[n as usize * 2..n as usize * 2 + k],
            "seek to {n}"
        );
    }
}

#[test]
fn seeking_in_resampled_output_starts_at_the_requested_sample() {
    let dir = tempfile::tempdir().unwrap();
    let m4a = sine_then_silence(dir.path(), "tone.m4a", &["-c:a", "aac"]);
    let out = AudioOutput {
        sample_rate: 16000,
        channels: 1,
    };
    let mut reader = AudioReader::open(&m4a, out).unwrap();
    reader.seek_to_sample(15_900).unwrap();
    let mut got = Vec::new();
    let mut start = None;
    while let Some(c) = reader.next_chunk().unwrap() {
        start.get_or_insert(c.start);
        got.extend_from_slice(&c.data);
        if got.len() > 400 {
            break;
        }
    }
    assert_eq!(start, Some(15_900));
    // The tone ends 100 samples after the seek point.
    let end = last_loud(&got[..400], 1, 1e-2);
    assert!((80..120).contains(&end), "tone ends {end} samples in");
}

#[test]
fn audio_track_of_a_video_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("av.mp4");
    lavfi(
        &[
            "testsrc2=size=320x240:rate=25:duration=2",
            "sine=sample_rate=44100:duration=2",
        ],
        &[
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            out.to_str().unwrap(),
        ],
    );
    let (_, data) = read_all(
        &out,
        AudioOutput {
            sample_rate: 16000,
            channels: 1,
        },
    );
    assert!(
        (data.len() as i64 - 32000).abs() <= 400,
        "{} samples",
        data.len()
    );
}

#[test]
fn video_only_file_has_no_audio_stream() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("silent.mp4");
    lavfi(
        &["testsrc2=size=320x240:rate=25:duration=1"],
        &[
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            out.to_str().unwrap(),
        ],
    );
    let err = AudioReader::open(
        &out,
        AudioOutput {
            sample_rate: 16000,
            channels: 1,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("silent.mp4") && err.contains("no audio stream"),
        "{err}"
    );
}

#[test]
fn absurd_output_spec_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let wav = sine_then_silence(dir.path(), "tone.wav", &[]);
    let err = AudioReader::open(
        &wav,
        AudioOutput {
            sample_rate: 0,
            channels: 1,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("tone.wav"));
}
