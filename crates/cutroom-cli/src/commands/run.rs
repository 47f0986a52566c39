//! `cutroom run PLUGIN FILE [--param k=v]… [--out proposal.json] [--export FILE]…` and
//! `cutroom plugins`: the plugins, headless, through the same engine the desktop app uses.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use cutroom_engine::export::export_proposal;
use cutroom_engine::scheduler::JobRequest;
use cutroom_engine::{JobEvent, JobScheduler, Registry};
use cutroom_plugin::params::parse_time;
use cutroom_plugin::{MediaMeta, MediaSource, ParamKind, Params, Proposal};
use cutroom_source::FfmpegSource;
use cutroom_timeline::formats::WriteOptions;
use cutroom_timeline::{Rate, RationalTime, TimeError, TimeRange};

/// Arguments of `cutroom run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Plugin id (see `cutroom plugins`).
    pub plugin: String,
    /// The media file to analyse.
    pub file: PathBuf,
    /// A parameter as key=value; repeat for several (see `cutroom plugins --json`).
    #[arg(short = 'p', long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// A reference clip or still image (color-match; `-p reference_in=… -p reference_out=…`
    /// pick a part of a reference clip).
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// Process the clip from this time on: seconds (12.5), timecode (HH:MM:SS:FF at the
    /// clip's frame rate), milliseconds (1500ms) or frames at a rate (300@25).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Process the clip up to this time (exclusive); the same forms as --from.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Write the proposal as JSON to this file ("-" for stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Export the proposal: .otio/.edl/.fcpxml (the clip with the edits applied),
    /// .srt/.vtt (cues), .cube (color transform), .json; repeat for several.
    #[arg(long)]
    pub export: Vec<PathBuf>,
    /// Write drop-frame timecode in EDL exports (29.97/59.94 media).
    #[arg(long)]
    pub drop_frame: bool,
    /// Worker threads for the job pool (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Arguments of `cutroom plugins`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Print the manifests as JSON (ids, parameters with ranges, defaults and help).
    #[arg(long)]
    pub json: bool,
}

/// Lists the registered plugins.
pub fn list(args: &ListArgs) -> Result<()> {
    let registry = Registry::with_builtins();
    let manifests: Vec<_> = registry.manifests().collect();
    if args.json {
        return super::emit(&(serde_json::to_string_pretty(&manifests)? + "\n"));
    }
    let mut text = String::new();
    for m in manifests {
        text += &format!("{} {} — {}\n", m.id, m.version, m.description);
        for p in &m.params {
            let kind = match &p.kind {
                ParamKind::Float {
                    min, max, default, ..
                } => format!("float {min}..{max}, default {default}"),
                ParamKind::Int {
                    min, max, default, ..
                } => format!("int {min}..{max}, default {default}"),
                ParamKind::Bool { default } => format!("bool, default {default}"),
                ParamKind::Choice { options, default } => format!(
                    "one of {}, default {default}",
                    options
                        .iter()
                        .map(|o| o.0.as_str())
                        .collect::<Vec<_>>()
                        .join("|")
                ),
                other => format!("{other:?}"),
            };
            text += &format!("    -p {}=…  {} ({kind})\n", p.id, p.label);
        }
    }
    super::emit(&text)
}

/// The part of the clip `from` and `to` (times from the clip's start, as `--from` reads them)
/// select, within the clip.
fn clip_range(meta: &MediaMeta, from: Option<&str>, to: Option<&str>) -> Result<TimeRange> {
    let rate = meta.frame_rate.unwrap_or(Rate::FPS_25);
    let time = |flag: &str, text: &str| {
        parse_time(text, rate).with_context(|| {
            format!("{flag} {text:?} is not a time (12.5, 12.5s, 1500ms, HH:MM:SS:FF or 300@25)")
        })
    };
    let from = match from {
        Some(t) => time("--from", t)?,
        None => RationalTime::new(0, rate),
    };
    let to = to.map(|t| time("--to", t)).transpose()?;
    let whole = meta.range;
    whole.part(from, to).map_err(|e| match e {
        TimeError::StartsPastEnd => anyhow::anyhow!(
            "--from {:.3} s is past the end of {} ({:.3} s)",
            from.to_seconds(),
            meta.name,
            whole.duration.to_seconds()
        ),
        TimeError::EndsBeforeStart => anyhow::anyhow!("--to must come after --from"),
        other => other.into(),
    })
}

/// Runs the plugin to completion on a worker, printing progress on stderr when it is a
/// terminal, then writes the proposal and the exports.
pub fn run(args: &Args) -> Result<()> {
    let registry = Arc::new(Registry::with_builtins());
    let manifest = registry
        .manifest(&args.plugin)
        .with_context(|| {
            format!(
                "unknown plugin {:?} (available: {})",
                args.plugin,
                registry
                    .manifests()
                    .map(|m| m.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?
        .clone();
    let params = Params::from_assignments(&manifest, &args.params)
        .with_context(|| format!("parameters for {}", manifest.id))?;
    let source = Arc::new(FfmpegSource::open(&args.file)?);
    let mut meta = source.meta();
    let mut request = JobRequest::new(manifest.id.clone(), source.clone(), params);
    if args.from.is_some() || args.to.is_some() {
        meta.range = clip_range(&meta, args.from.as_deref(), args.to.as_deref())?;
        request = request.with_range(meta.range);
    }
    if let Some(reference) = &args.reference {
        request = request.with_reference(Arc::new(FfmpegSource::open(reference)?));
    } else if manifest.reads.reference_clip {
        bail!("{} needs a reference: pass --reference FILE", manifest.id);
    }
    let scheduler = match args.threads {
        Some(n) => JobScheduler::with_threads(registry.clone(), n.max(1)),
        None => JobScheduler::new(registry.clone()),
    };
    let events = scheduler.events();
    let job = scheduler.submit_request(request)?;
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let proposal: Proposal = loop {
        let event = events.recv().context("the job pool stopped unexpectedly")?;
        if event.job() != job {
            continue;
        }
        match event {
            JobEvent::Progress {
                fraction, message, ..
            } if tty => {
                eprint!("\r{:>3.0}% {message:<60}", fraction * 100.0);
            }
            JobEvent::Finished { proposal, .. } => break proposal,
            JobEvent::Failed { message, .. } => {
                if tty {
                    eprintln!();
                }
                bail!("{}: {message}", args.file.display());
            }
            JobEvent::Cancelled { .. } => bail!("the job was cancelled"),
            _ => {}
        }
    };
    if tty {
        eprintln!("\r100% done{:<60}", "");
    }
    let opts = WriteOptions {
        drop_frame: args.drop_frame,
    };
    for out in &args.export {
        export_proposal(&proposal, &meta, &args.file, out, &opts)?;
    }
    let json = proposal.to_json() + "\n";
    match args.out.as_deref() {
        Some(p) if p.as_os_str() == "-" => super::emit(&json)?,
        Some(p) => cutroom_timeline::io::write_atomic(p, json.as_bytes())?,
        None if args.export.is_empty() => super::emit(&json)?,
        None => {}
    }
    Ok(())
}
