//! The `cutroom` command line.
//!
//! Thin by design: argument parsing and output formatting live here, the work lives in the
//! library crates. Every failure exits non-zero with a one-line reason on stderr.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Cutroom: an AI-assisted editing-suite plugin host. With no subcommand it opens the desktop
/// app; the subcommands run headless for batch work.
#[derive(Debug, Parser)]
#[command(name = "cutroom", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open the desktop app (the default when no subcommand is given), optionally with a
    /// media file, timeline or project.
    Gui {
        /// A media file, .otio/.edl/.fcpxml timeline or .cutroom project to open.
        file: Option<std::path::PathBuf>,
    },
    /// Convert between timeline formats (.otio, .edl, .fcpxml, .cutroom) or between subtitle
    /// formats (.srt, .vtt); the extensions pick the formats.
    Convert(commands::convert::Args),
    /// Describe a timeline, project, subtitle or LUT file.
    Info(commands::info::Args),
    /// Describe a media file: container, duration, streams, frame rate, timecode.
    Probe(commands::probe::Args),
    /// Run a plugin on a media file headless and write or export its proposal.
    Run(commands::run::Args),
    /// List the plugins and their parameters.
    Plugins(commands::run::ListArgs),
    /// Render a project or timeline to a video file (H.264 + AAC in MP4 by default).
    Render(commands::render::Args),
    /// Subtitle tools: `check` reports every readability rule an SRT/WebVTT file breaks.
    Subtitles(commands::subtitles::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Convert(args)) => commands::convert::run(&args),
        Some(Command::Info(args)) => commands::info::run(&args),
        Some(Command::Probe(args)) => commands::probe::run(&args),
        Some(Command::Run(args)) => commands::run::run(&args),
        Some(Command::Plugins(args)) => commands::run::list(&args),
        Some(Command::Render(args)) => commands::render::run(&args),
        Some(Command::Subtitles(args)) => commands::subtitles::run(&args),
        Some(Command::Gui { file }) => cutroom_app::run_app(file),
        None => cutroom_app::run_app(None),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cutroom: error: {}", commands::one_line(&e));
            ExitCode::FAILURE
        }
    }
}
