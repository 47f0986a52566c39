//! Real speech: the jfk.wav recording against its known transcript and faster-whisper.

mod common;

use common::{faster_whisper_text, model, read_wav, sample, wer};
use cutroom_whisper::Options;

const JFK: &str = "And so my fellow Americans, ask not what your country can do for you, \
                   ask what you can do for your country.";

#[test]
fn jfk_is_transcribed_with_at_most_five_percent_word_errors() {
    let w = model();
    let (audio, rate) = read_wav(&sample("jfk.wav"));
    assert_eq!(rate, 16_000);
    let t = w
        .transcribe(&audio, &Options::default(), &mut |_| true)
        .unwrap();
    let text = t.text();
    eprintln!("{text}");
    for s in &t.segments {
        eprintln!("[{:.2} -> {:.2}] {}", s.start, s.end, s.text);
        for wd in &s.words {
            eprintln!(
                "   {:.2}-{:.2} {:?} {:.2}",
                wd.start, wd.end, wd.text, wd.probability
            );
        }
    }
    let e = wer(JFK, &text);
    assert!(e <= 0.05, "WER {e:.3}: {text:?}");
}

#[test]
fn jfk_text_equals_faster_whisper_on_the_same_model() {
    let w = model();
    let path = sample("jfk.wav");
    let (audio, _) = read_wav(&path);
    let ours = w
        .transcribe(&audio, &Options::default(), &mut |_| true)
        .unwrap()
        .text();
    assert_eq!(ours, faster_whisper_text(&path));
}

#[test]
fn synthetic_speech_text_equals_faster_whisper_on_the_same_model() {
    let w = model();
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw.wav");
    let path = dir.path().join("speech.wav");
    let text = "Subtitles should appear when the speaker begins. \
                They should leave the screen soon after the words end.";
    assert!(std::process::Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "160", "-w"])
        .arg(&raw)
        .arg(text)
        .status()
        .expect("espeak-ng is needed: run `make test`")
        .success());
    assert!(std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&raw)
        .args(["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le"])
        .arg(&path)
        .status()
        .unwrap()
        .success());
    let (audio, _) = read_wav(&path);
    let ours = w
        .transcribe(&audio, &Options::default(), &mut |_| true)
        .unwrap()
        .text();
    assert_eq!(ours, faster_whisper_text(&path));
}

/// Writes the installed CTranslate2 model as a Hugging Face safetensors directory, with
/// `edit` applied to its tensors first.
fn write_hf_model(
    dir: &std::path::Path,
    edit: impl FnOnce(&mut std::collections::HashMap<String, candle_core::Tensor>),
) {
    let ct2_dir = cutroom_whisper::models_dir().join(cutroom_whisper::DEFAULT_MODEL);
    let _ = model();
    let mut tensors = cutroom_whisper::ct2_as_hf_tensors(&ct2_dir).unwrap();
    edit(&mut tensors);
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();
    std::fs::copy(ct2_dir.join("tokenizer.json"), dir.join("tokenizer.json")).unwrap();
    let config = serde_json::json!({
        "num_mel_bins": 80, "d_model": 384, "encoder_attention_heads": 6,
        "encoder_layers": 4, "decoder_layers": 4, "vocab_size": 51864,
        "max_target_positions": 448, "max_source_positions": 1500
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let ct2_config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ct2_dir.join("config.json")).unwrap())
            .unwrap();
    let generation = serde_json::json!({
        "alignment_heads": ct2_config["alignment_heads"],
        "suppress_tokens": ct2_config["suppress_ids"],
        "begin_suppress_tokens": ct2_config["suppress_ids_begin"],
    });
    std::fs::write(dir.join("generation_config.json"), generation.to_string()).unwrap();
}

#[test]
fn a_safetensors_directory_with_hugging_face_names_gives_the_same_text() {
    let dir = tempfile::tempdir().unwrap();
    write_hf_model(dir.path(), |_| {});
    let hf = cutroom_whisper::Whisper::load(dir.path()).unwrap();
    let (audio, _) = read_wav(&sample("jfk.wav"));
    let a = hf
        .transcribe(&audio, &Options::default(), &mut |_| true)
        .unwrap();
    let b = model()
        .transcribe(&audio, &Options::default(), &mut |_| true)
        .unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_missing_model_names_the_setup_command() {
    let err =
        cutroom_whisper::Whisper::load(std::path::Path::new("/nonexistent/model")).unwrap_err();
    assert!(err.to_string().contains("make setup"), "{err}");
}

#[test]
fn a_model_with_a_layer_of_the_wrong_size_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    write_hf_model(dir.path(), |t| {
        let name = "model.decoder.layers.1.fc1.weight";
        let narrow = t[name].narrow(1, 0, 300).unwrap().contiguous().unwrap();
        t.insert(name.to_string(), narrow);
    });
    let Err(e) = cutroom_whisper::Whisper::load(dir.path()) else {
        panic!("a malformed model is refused");
    };
    let e = e.to_string();
    assert!(e.contains("decoder block 1 MLP first layer"), "{e}");
}
