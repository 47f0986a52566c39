//! `cutroom convert IN OUT`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use cutroom_timeline::formats::{self, ReadOptions, SubtitleFormat, TimelineFormat, WriteOptions};
use cutroom_timeline::{project_file, Project, Rate};

use super::{is_project, load, Document};

/// Arguments of `cutroom convert`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input file.
    pub input: PathBuf,
    /// Output file; its extension picks the format. Written atomically.
    pub output: PathBuf,
    /// Frame rate of an EDL input, which CMX3600 does not record (e.g. 24, 25, 29.97,
    /// 30000/1001).
    #[arg(long, default_value = "24", value_parser = parse_rate)]
    pub rate: Rate,
    /// Write drop-frame timecode in an EDL output (29.97/59.94 only).
    #[arg(long)]
    pub drop_frame: bool,
    /// Which timeline of a project to convert (0-based).
    #[arg(long, default_value_t = 0)]
    pub timeline: usize,
}

/// Parses a rate given as `30000/1001`, `29.97` or `25`.
pub fn parse_rate(s: &str) -> Result<Rate, String> {
    let r = if let Some((n, d)) = s.split_once('/') {
        let n: i64 = n.trim().parse().map_err(|_| format!("bad rate {s:?}"))?;
        let d: i64 = d.trim().parse().map_err(|_| format!("bad rate {s:?}"))?;
        Rate::new(n, d)
    } else {
        let f: f64 = s.trim().parse().map_err(|_| format!("bad rate {s:?}"))?;
        Rate::from_f64(f)
    };
    r.map_err(|e| e.to_string())
}

/// Runs the conversion.
pub fn run(args: &Args) -> Result<()> {
    if args.input == args.output {
        bail!("input and output are the same file; refusing to overwrite the source");
    }
    let opts = ReadOptions {
        edl_rate: args.rate,
    };
    let doc =
        load(&args.input, &opts).with_context(|| format!("reading {}", args.input.display()))?;
    let wopts = WriteOptions {
        drop_frame: args.drop_frame,
    };
    let out = &args.output;
    let written = match doc {
        Document::Project(p) => {
            let count = p.timelines.len();
            let tl = p
                .timelines
                .into_iter()
                .nth(args.timeline)
                .with_context(|| {
                    format!(
                        "the project has {count} timeline(s); --timeline {} does not exist",
                        args.timeline
                    )
                })?;
            write_timeline_or_project(tl, out, &wopts)
        }
        Document::Timeline(tl) => write_timeline_or_project(tl, out, &wopts),
        Document::Subtitles(cues) => {
            if SubtitleFormat::from_path(out).is_none() {
                bail!(
                    "{}: subtitles convert only to {}",
                    out.display(),
                    SubtitleFormat::EXTENSIONS
                );
            }
            formats::write_subtitles(&cues, out).map_err(Into::into)
        }
        Document::Lut(lut) => formats::write_lut(&lut, out).map_err(Into::into),
    };
    written.with_context(|| format!("writing {}", out.display()))
}

fn write_timeline_or_project(
    tl: cutroom_timeline::Timeline,
    out: &std::path::Path,
    opts: &WriteOptions,
) -> Result<()> {
    if is_project(out) {
        let mut project = Project::new(tl.name.clone(), tl.rate);
        project.timelines = vec![tl];
        return Ok(project_file::save(&project, out)?);
    }
    if TimelineFormat::from_path(out).is_none() {
        bail!(
            "{}: timelines convert only to .cutroom, {}",
            out.display(),
            TimelineFormat::EXTENSIONS
        );
    }
    Ok(formats::write_timeline(&tl, out, opts)?)
}
