//! `cutroom subtitles check FILE [--json] [limits]`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use cutroom_timeline::formats::{self, SubtitleFormat};
use cutroom_timeline::Rate;
use serde_json::json;
use subtitles::{check_cues, Rules, Severity};

use super::convert::parse_rate;

/// Arguments of `cutroom subtitles`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SubtitlesCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SubtitlesCommand {
    /// Report every readability rule an SRT or WebVTT file breaks (Netflix English limits by
    /// default). Exits 1 when a hard limit is broken; line-break advice is a warning only.
    Check(CheckArgs),
}

/// Arguments of `cutroom subtitles check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// A .srt or .vtt file.
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Most characters on one line.
    #[arg(long, default_value_t = 42)]
    pub max_chars: usize,
    /// Most lines in one cue.
    #[arg(long, default_value_t = 2)]
    pub max_lines: usize,
    /// Highest reading speed in characters per second.
    #[arg(long, default_value_t = 20.0)]
    pub max_cps: f64,
    /// Shortest time a cue is shown, in seconds [default: 5/6 s].
    #[arg(long)]
    pub min_duration: Option<f64>,
    /// Longest time a cue is shown, in seconds.
    #[arg(long, default_value_t = 7.0)]
    pub max_duration: f64,
    /// Least number of frames between two cues.
    #[arg(long, default_value_t = 2)]
    pub min_gap_frames: u32,
    /// Frame rate the gap is counted in (e.g. 25, 29.97 or 30000/1001).
    #[arg(long, default_value = "24", value_parser = parse_rate)]
    pub fps: Rate,
}

/// Runs the subcommand.
pub fn run(args: &Args) -> Result<()> {
    match &args.command {
        SubtitlesCommand::Check(a) => check(a),
    }
}

impl CheckArgs {
    /// The rules these options describe.
    fn rules(&self) -> Result<Rules> {
        let d = Rules::netflix_english();
        let rules = Rules {
            max_chars_per_line: self.max_chars,
            max_lines: self.max_lines,
            max_cps: self.max_cps,
            min_duration: self.min_duration.unwrap_or(d.min_duration),
            max_duration: self.max_duration,
            min_gap_frames: self.min_gap_frames,
            frame_rate: self.fps,
            ..d
        };
        if let Err(e) = rules.validate() {
            bail!("invalid limits: {e}");
        }
        Ok(rules)
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Checks the file and prints every violation; fails when a hard limit is broken.
fn check(args: &CheckArgs) -> Result<()> {
    let rules = args.rules()?;
    let path = &args.file;
    if SubtitleFormat::from_path(path).is_none() {
        bail!(
            "{}: not a subtitle file (expected {})",
            path.display(),
            SubtitleFormat::EXTENSIONS
        );
    }
    let cues =
        formats::read_subtitles(path).with_context(|| format!("reading {}", path.display()))?;
    let violations = check_cues(&cues, &rules);
    let errors = violations
        .iter()
        .filter(|v| v.severity() == Severity::Error)
        .count();
    let warnings = violations.len() - errors;

    if args.json {
        let list: Vec<_> = violations
            .iter()
            .map(|v| {
                json!({
                    "cue": v.cue + 1,
                    "start": v.time(),
                    "start_seconds": v.at_ms as f64 / 1000.0,
                    "rule": v.kind.rule(),
                    "severity": severity_name(v.severity()),
                    "detail": v.kind.to_string(),
                })
            })
            .collect();
        let report = json!({
            "file": path.display().to_string(),
            "cues": cues.len(),
            "errors": errors,
            "warnings": warnings,
            "violations": list,
        });
        super::emit(&(serde_json::to_string_pretty(&report)? + "\n"))?;
    } else {
        let mut o = String::new();
        for v in &violations {
            writeln!(
                o,
                "cue {} at {}  {:<7}  {:<20}  {}",
                v.cue + 1,
                v.time(),
                severity_name(v.severity()),
                v.kind.rule(),
                v.kind
            )
            .expect("writing to a String cannot fail");
        }
        writeln!(
            o,
            "{}: {}, {}, {}",
            path.display(),
            plural(cues.len(), "cue"),
            plural(errors, "error"),
            plural(warnings, "warning")
        )
        .expect("writing to a String cannot fail");
        super::emit(&o)?;
    }
    if errors > 0 {
        bail!(
            "{}: {} against the hard limits",
            path.display(),
            plural(errors, "error")
        );
    }
    Ok(())
}
