//! Runs auto-cut's shot detection on a file and prints the boundaries as JSON on stdout:
//! `{"frames": N, "cuts": [frame, ...], "transitions": [[start, end], ...], "seconds": T}`
//! (cut = first frame of the new shot, transition end exclusive, T = wall time of the run).
//! Used by `bench/auto_cut.sh`.
//!
//! Usage: `auto_cut_shots CLIP [key=value ...]`

use std::time::Instant;

use auto_cut::AutoCut;
use cutroom_plugin::prelude::*;
use cutroom_plugin::testing::Harness;
use cutroom_source::FfmpegSource;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: auto_cut_shots CLIP [key=value ...]");
        std::process::exit(2);
    };
    let mut assignments: Vec<String> = vec!["dead_air=off".into()];
    assignments.extend(args);
    let plugin = AutoCut::default();
    let refs: Vec<&str> = assignments.iter().map(String::as_str).collect();
    let params = match Params::from_assignments(&plugin.manifest(), &refs) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("auto_cut_shots: {e}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let source = match FfmpegSource::open(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("auto_cut_shots: {e}");
            std::process::exit(1);
        }
    };
    let result = Harness::new(source).run(&plugin, &params);
    let seconds = started.elapsed().as_secs_f64();
    let proposal = match result.proposal {
        Ok(p) => p,
        Err(e) => {
            eprintln!("auto_cut_shots: {e}");
            std::process::exit(1);
        }
    };
    let mut cuts = Vec::new();
    let mut transitions = Vec::new();
    for item in &proposal.items {
        match &item.kind {
            ProposalKind::Cut { at } => cuts.push(at.value.to_string()),
            ProposalKind::Transition { range, .. } => transitions.push(format!(
                "[{}, {}]",
                range.start.value,
                range.start.value + range.duration.value
            )),
            _ => {}
        }
    }
    println!(
        "{{\"cuts\": [{}], \"transitions\": [{}], \"seconds\": {seconds:.3}}}",
        cuts.join(", "),
        transitions.join(", ")
    );
}
