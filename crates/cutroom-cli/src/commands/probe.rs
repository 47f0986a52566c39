//! `cutroom probe FILE [--json]`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use cutroom_media::probe::{MediaInfo, StreamKind};

/// Arguments of `cutroom probe`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A media file (any container and codec FFmpeg reads).
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Probes the file and prints what it contains.
pub fn run(args: &Args) -> Result<()> {
    let info = cutroom_media::probe(&args.file)?;
    if args.json {
        super::emit(&(serde_json::to_string_pretty(&info)? + "\n"))?;
    } else {
        let mut text = String::new();
        print_text(&mut text, &info);
        super::emit(&text)?;
    }
    Ok(())
}

fn print_text(o: &mut String, info: &MediaInfo) {
    let duration = info
        .duration
        .map(|d| format!("{:.3} s", d.to_seconds()))
        .unwrap_or_else(|| "unknown duration".into());
    writeln!(
        o,
        "{}: {} ({}), {}",
        info.path, info.format_long_name, info.format, duration
    )
    .expect("writing to a String cannot fail");
    if let Some(tc) = &info.timecode {
        writeln!(o, "  timecode {tc}").expect("writing to a String cannot fail");
    }
    for s in &info.streams {
        let what = match &s.kind {
            StreamKind::Video(v) => format!(
                "video {}x{} {} at {} fps{}{}",
                v.width,
                v.height,
                v.pixel_format.as_deref().unwrap_or("?"),
                v.frame_rate
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "?".into()),
                if v.variable_frame_rate {
                    " (variable)"
                } else {
                    ""
                },
                if v.rotation != 0 {
                    format!(", rotated {}°", v.rotation)
                } else {
                    String::new()
                },
            ),
            StreamKind::Audio(a) => format!(
                "audio {} Hz, {} channel(s){}",
                a.sample_rate,
                a.channels,
                a.layout
                    .as_deref()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default()
            ),
            StreamKind::Subtitle(_) => "subtitles".to_string(),
            StreamKind::Other { medium } => medium.clone(),
        };
        let lang = s
            .language
            .as_deref()
            .map(|l| format!(" [{l}]"))
            .unwrap_or_default();
        writeln!(o, "  #{} {}: {}{}", s.index, s.codec, what, lang)
            .expect("writing to a String cannot fail");
    }
}
