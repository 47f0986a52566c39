//! Bad input gives an error naming the file and the cause; never a panic, never a hang.

mod common;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use common::{barcode_clip, h264};
use cutroom_media::{
    probe, AudioOutput, AudioReader, MediaError, PixelFormat, VideoOutput, VideoReader,
};

fn gray() -> VideoOutput {
    VideoOutput::source_size(PixelFormat::Gray8)
}

/// Every entry point fails on `path` with an error whose message names the file and contains
/// `cause`.
fn assert_all_fail(path: &Path, cause: &str) {
    let name = path.file_name().unwrap().to_str().unwrap();
    let errors = [
        probe(path).map(|_| ()).unwrap_err(),
        VideoReader::open(path, gray()).map(|_| ()).unwrap_err(),
        AudioReader::open(
            path,
            AudioOutput {
                sample_rate: 16000,
                channels: 1,
            },
        )
        .map(|_| ())
        .unwrap_err(),
    ];
    for e in errors {
        let msg = e.to_string();
        assert!(msg.contains(name), "message does not name the file: {msg}");
        assert!(msg.contains(cause), "message lacks {cause:?}: {msg}");
        assert_eq!(e.path(), path);
    }
}

/// Decodes every frame on another thread; returns the number of frames decoded and the error
/// that ended decoding, if any. Panics if decoding takes longer than a minute (a hang).
fn decode_all_with_deadline(path: &Path) -> (usize, Option<MediaError>) {
    let (tx, rx) = mpsc::channel();
    let p = path.to_path_buf();
    std::thread::spawn(move || {
        let mut n = 0;
        let mut error = None;
        match VideoReader::open(&p, gray()) {
            Ok(reader) => {
                for frame in reader {
                    match frame {
                        Ok(_) => n += 1,
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
            }
            Err(e) => error = Some(e),
        }
        let _ = tx.send((n, error));
    });
    rx.recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("decoding {} hung", path.display()))
}

#[test]
fn missing_file_gives_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    assert_all_fail(&dir.path().join("nowhere.mp4"), "not found");
}

#[test]
fn zero_byte_file_gives_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.mp4");
    std::fs::write(&p, b"").unwrap();
    assert_all_fail(&p, "empty");
}

#[test]
fn random_bytes_named_mp4_give_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("noise.mp4");
    let mut rng = common::Lcg(99);
    let bytes: Vec<u8> = (0..100_000).map(|_| rng.below(256) as u8).collect();
    std::fs::write(&p, bytes).unwrap();
    assert_all_fail(&p, "cannot open as media");
}

#[test]
fn text_file_gives_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.txt");
    std::fs::write(&p, "This is not a video.\nJust some words.\n".repeat(50)).unwrap();
    assert_all_fail(&p, "cannot open as media");
}

#[test]
fn directory_gives_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("folder.mp4");
    std::fs::create_dir(&p).unwrap();
    assert_all_fail(&p, "not a regular file");
}

/// Tests usually run as root, and root reads files whatever their mode. When the process can
/// really not read the file the error must say so; as root the file must simply open normally.
#[test]
fn unreadable_file_gives_a_permission_error_or_opens_as_root() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(
        dir.path(),
        "locked.mp4",
        "25",
        (320, 240),
        5,
        "",
        &h264("5"),
    );
    std::fs::set_permissions(&clip, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable_anyway = std::fs::File::open(&clip).is_ok();
    let result = probe(&clip);
    std::fs::set_permissions(&clip, std::fs::Permissions::from_mode(0o644)).unwrap();
    if readable_anyway {
        assert!(
            result.is_ok(),
            "root can read it, so probe must succeed: {result:?}"
        );
    } else {
        let msg = result.unwrap_err().to_string();
        assert!(
            msg.contains("locked.mp4") && msg.contains("ermission"),
            "{msg}"
        );
    }
}

#[test]
fn truncated_mp4_gives_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(dir.path(), "cut.mp4", "25", (320, 240), 50, "", &h264("10"));
    let bytes = std::fs::read(&clip).unwrap();
    std::fs::write(&clip, &bytes[..bytes.len() / 2]).unwrap();
    // The index (moov) is at the end of a plain ffmpeg MP4: without it nothing opens.
    assert_all_fail(&clip, "cannot open as media");
}

#[test]
fn truncated_faststart_mp4_ends_with_an_error_after_the_frames_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = h264("10");
    args.extend(["-movflags", "+faststart"]);
    let clip = barcode_clip(dir.path(), "early.mp4", "25", (320, 240), 100, "", &args);
    let bytes = std::fs::read(&clip).unwrap();
    std::fs::write(&clip, &bytes[..bytes.len() / 2]).unwrap();
    let mut reader = VideoReader::open(&clip, gray()).unwrap();
    let mut good = 0;
    let err = loop {
        match reader.next() {
            Some(Ok(_)) => good += 1,
            Some(Err(e)) => break e,
            None => panic!("a truncated stream must not end cleanly ({good} frames)"),
        }
    };
    assert!(good > 10 && good < 100, "{good} frames before the error");
    let msg = err.to_string();
    assert!(msg.contains("early.mp4"), "{msg}");
    assert!(reader.next().is_none(), "the iterator ends after the error");
}

/// A 10 s tone made with `codec` (ffmpeg output options) into `dir/name` (the extension
/// picks the container), cut to its first `keep` bytes when given.
fn tone(
    dir: &Path,
    name: &str,
    codec: &[&str],
    keep: Option<fn(usize) -> usize>,
) -> std::path::PathBuf {
    let clip = dir.join(name);
    let mut args = codec.to_vec();
    args.push(clip.to_str().unwrap());
    common::lavfi(&["sine=frequency=440:sample_rate=48000:duration=10"], &args);
    if let Some(keep) = keep {
        let bytes = std::fs::read(&clip).unwrap();
        std::fs::write(&clip, &bytes[..keep(bytes.len())]).unwrap();
    }
    clip
}

#[test]
fn truncated_audio_ends_with_an_error_after_the_samples_it_has() {
    let dir = tempfile::tempdir().unwrap();
    // PCM in a QuickTime file with its index first: the index declares the length, and a
    // cut at a whole sample leaves the data that is still there decodable, so the only fault
    // is the missing second half.
    let codec = ["-c:a", "pcm_s16le", "-movflags", "+faststart"];
    let clip = tone(dir.path(), "short.mov", &codec, Some(|n| n / 4 * 2));
    let (samples, err) = read_all_audio(&clip);
    // About half of the 10 s arrives before the error.
    assert!(
        (3 * 16000..7 * 16000).contains(&samples),
        "{samples} samples before the error"
    );
    let err = err.expect("a truncated stream must not end cleanly");
    assert!(matches!(err, MediaError::EndedEarly { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("short.mov") && msg.contains("audio data stops at"),
        "{msg}"
    );
}

/// Reads all of `path` at 16 kHz mono: the sample frames read and the error that ended it.
fn read_all_audio(path: &Path) -> (usize, Option<MediaError>) {
    let output = AudioOutput {
        sample_rate: 16000,
        channels: 1,
    };
    let mut reader = AudioReader::open(path, output).unwrap();
    let mut samples = 0;
    while let Some(chunk) = reader.next() {
        match chunk {
            Ok(chunk) => samples += chunk.frames(),
            Err(e) => {
                assert!(reader.next().is_none(), "the iterator ends after the error");
                return (samples, Some(e));
            }
        }
    }
    (samples, None)
}

const PCM16: [&str; 2] = ["-c:a", "pcm_s16le"];

#[test]
fn a_cut_off_wav_file_ends_with_an_error_after_the_samples_it_has() {
    let dir = tempfile::tempdir().unwrap();
    // Cut at a whole sample, so every sample still there decodes.
    let clip = tone(dir.path(), "cut.wav", &PCM16, Some(|n| n / 4 * 2));
    let (samples, err) = read_all_audio(&clip);
    assert!(
        (4 * 16000..6 * 16000).contains(&samples),
        "{samples} samples before the error"
    );
    let err = err.expect("a cut-off WAV must not end cleanly");
    let msg = err.to_string();
    assert!(matches!(err, MediaError::EndedEarly { .. }), "{err:?}");
    assert!(
        msg.contains("cut.wav") && msg.contains("declares 10.000 s"),
        "{msg}"
    );
}

#[test]
fn a_whole_wav_file_and_a_streamed_one_read_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let whole = tone(dir.path(), "whole.wav", &PCM16, None);
    assert_eq!(read_all_audio(&whole).0, 10 * 16000);
    assert!(read_all_audio(&whole).1.is_none());
    // A program that streams WAV leaves a placeholder as the data size (all ones; espeak-ng
    // writes 0x7ffff000): nothing is declared, so nothing is missing.
    for placeholder in [u32::MAX, 0x7fff_f000] {
        let mut bytes = std::fs::read(&whole).unwrap();
        let data = bytes.windows(4).position(|w| w == b"data").unwrap();
        bytes[data + 4..data + 8].copy_from_slice(&placeholder.to_le_bytes());
        let streamed = dir.path().join("streamed.wav");
        std::fs::write(&streamed, &bytes[..bytes.len() / 4 * 2]).unwrap();
        let (samples, err) = read_all_audio(&streamed);
        assert!(err.is_none(), "{placeholder:#x}: {err:?}");
        assert!((4 * 16000..6 * 16000).contains(&samples), "{samples}");
    }
}

#[test]
fn corrupted_middle_ends_without_hanging_or_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(
        dir.path(),
        "damaged.mp4",
        "25",
        (320, 240),
        100,
        "",
        &h264("25"),
    );
    let mut bytes = std::fs::read(&clip).unwrap();
    let (a, b) = (bytes.len() * 2 / 5, bytes.len() * 3 / 5);
    let mut rng = common::Lcg(3);
    for byte in &mut bytes[a..b] {
        *byte = rng.below(256) as u8;
    }
    std::fs::write(&clip, bytes).unwrap();
    let (frames, err) = decode_all_with_deadline(&clip);
    // The frames before the damage decode, then the iterator ends with the error.
    assert!(frames > 0 && frames < 100, "{frames} frames");
    let msg = err.expect("the damage is reported").to_string();
    assert!(
        msg.contains("damaged.mp4") && msg.contains("corrupt"),
        "{msg}"
    );
}

#[test]
fn compressed_and_extensible_wav_files_are_judged_by_their_own_format() {
    let dir = tempfile::tempdir().unwrap();
    // Compressed audio in WAV: the header's block size is not a sample frame, so its data
    // size says nothing about the length; whole files read to their end.
    for (name, codec) in [("adpcm.wav", "adpcm_ima_wav"), ("mp3.wav", "libmp3lame")] {
        let clip = tone(dir.path(), name, &["-c:a", codec], None);
        let (samples, err) = read_all_audio(&clip);
        assert!(err.is_none(), "{name}: {err:?}");
        assert!(
            (samples as i64 - 160_000).abs() < 3_000,
            "{name}: {samples}"
        );
    }
    // Three channels of 24-bit PCM need the extensible header; cut off, it is still caught.
    let codec = ["-ac", "3", "-c:a", "pcm_s24le"];
    let whole = tone(dir.path(), "ext.wav", &codec, None);
    let (samples, err) = read_all_audio(&whole);
    assert!(samples == 160_000 && err.is_none(), "{samples} {err:?}");
    let mut bytes = std::fs::read(&whole).unwrap();
    let data = bytes.windows(4).position(|w| w == b"data").unwrap() + 8;
    bytes.truncate(data + (bytes.len() - data) / 2 / 9 * 9);
    let cut = dir.path().join("ext-cut.wav");
    std::fs::write(&cut, bytes).unwrap();
    let (samples, err) = read_all_audio(&cut);
    assert!((4 * 16000..6 * 16000).contains(&samples), "{samples}");
    assert!(
        matches!(err, Some(MediaError::EndedEarly { .. })),
        "{err:?}"
    );
}
