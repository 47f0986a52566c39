//! `cutroom render PROJECT -o OUT.mp4`: a project or timeline file rendered through FFmpeg.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use anyhow::{bail, Context as _, Result};
use cutroom_media::{render_timeline, LutInterpolation, RenderOptions, SubtitleMode};
use cutroom_timeline::formats::{ReadOptions, SubtitleFormat};
use cutroom_timeline::Rate;

use super::convert::parse_rate;
use super::{load, Document};

/// How subtitle tracks reach the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Subs {
    /// Leave subtitle tracks out.
    None,
    /// A soft subtitle stream (mov_text in MP4).
    Soft,
    /// An .srt file beside the output.
    Srt,
    /// A .vtt file beside the output.
    Vtt,
    /// Drawn into the picture.
    Burn,
}

/// Arguments of `cutroom render`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A .cutroom project or an .otio/.edl/.fcpxml timeline.
    pub input: PathBuf,
    /// Output file (.mp4, .mov, .mkv); written only when complete.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Which timeline of a project (0-based).
    #[arg(long, default_value_t = 0)]
    pub timeline: usize,
    /// Video encoder (FFmpeg name).
    #[arg(long, default_value = "libx264")]
    pub codec: String,
    /// Constant rate factor (0–51 for x264; lower is better quality).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u8).range(0..=63))]
    pub crf: u8,
    /// Encoder preset (ultrafast … veryslow for x264).
    #[arg(long, default_value = "veryfast")]
    pub preset: String,
    /// Output size as WIDTHxHEIGHT (default: the first clip's size).
    #[arg(long, value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// Output frame rate (default: the timeline's).
    #[arg(long, value_parser = parse_rate)]
    pub fps: Option<Rate>,
    /// Subtitle tracks: none, soft, srt, vtt or burn.
    #[arg(long, value_enum, default_value_t = Subs::Soft)]
    pub subtitles: Subs,
    /// LUT interpolation for clips with a color transform: tetrahedral or trilinear.
    #[arg(long = "lut-interpolation", default_value = "tetrahedral")]
    pub lut_interpolation: LutInterpolation,
    /// Frame rate of an EDL input (CMX3600 does not record it).
    #[arg(long, default_value = "24", value_parser = parse_rate)]
    pub rate: Rate,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("size {s:?} is not WIDTHxHEIGHT"))?;
    let w: u32 = w.parse().map_err(|_| format!("bad width in {s:?}"))?;
    let h: u32 = h.parse().map_err(|_| format!("bad height in {s:?}"))?;
    if !(16..=8192).contains(&w) || !(16..=8192).contains(&h) || w % 2 == 1 || h % 2 == 1 {
        return Err(format!("size {s:?} must be even and between 16 and 8192"));
    }
    Ok((w, h))
}

/// Renders the timeline, printing progress on stderr when it is a terminal.
pub fn run(args: &Args) -> Result<()> {
    let doc = load(
        &args.input,
        &ReadOptions {
            edl_rate: args.rate,
        },
    )
    .with_context(|| format!("reading {}", args.input.display()))?;
    let timeline = match doc {
        Document::Project(p) => {
            let n = p.timelines.len();
            p.timelines
                .into_iter()
                .nth(args.timeline)
                .with_context(|| {
                    format!(
                        "the project has {n} timeline(s); --timeline {} does not exist",
                        args.timeline
                    )
                })?
        }
        Document::Timeline(t) => t,
        _ => bail!("{}: not a project or timeline", args.input.display()),
    };
    let (width, height) = args.size.unwrap_or((0, 0));
    let options = RenderOptions {
        video_codec: args.codec.clone(),
        crf: args.crf,
        preset: args.preset.clone(),
        width,
        height,
        frame_rate: args.fps,
        subtitles: match args.subtitles {
            Subs::None => SubtitleMode::None,
            Subs::Soft => SubtitleMode::Soft,
            Subs::Srt => SubtitleMode::Sidecar(SubtitleFormat::Srt),
            Subs::Vtt => SubtitleMode::Sidecar(SubtitleFormat::WebVtt),
            Subs::Burn => SubtitleMode::BurnIn,
        },
        media_base: args.input.parent().map(|p| p.to_path_buf()),
        lut_interpolation: args.lut_interpolation,
        ..RenderOptions::default()
    };
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let cancel = AtomicBool::new(false);
    let mut progress = |fraction: f32, message: &str| {
        if tty {
            eprint!("\r{:>3.0}% {message:<60}", fraction * 100.0);
        }
    };
    let summary = render_timeline(&timeline, &args.output, &options, &mut progress, &cancel);
    if tty {
        eprintln!();
    }
    let summary = summary?;
    eprintln!(
        "rendered {} frames at {} fps, {}x{}, to {}",
        summary.frames,
        summary.frame_rate,
        summary.size.0,
        summary.size.1,
        summary.output.display()
    );
    Ok(())
}
