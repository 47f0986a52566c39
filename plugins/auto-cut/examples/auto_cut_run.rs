//! Runs auto-cut on a file and prints what it proposes as JSON on stdout:
//! `{"cuts": [frame, ...], "transitions": [[start, end], ...], "removals": [[start, end], ...],
//! "seconds": T, "peak_rss_kib": M}` — cut = first frame of the new shot, transition end
//! exclusive (video frames); removals in 16 kHz samples, end exclusive; T = wall time of the
//! run (open + analysis, not process start); M = the process's peak resident memory (Linux
//! `VmHWM`, 0 elsewhere). Parameters not given keep the plugin's defaults. Used by
//! `bench/auto_cut.sh` and `bench/dead_air.sh`.
//!
//! Usage: `auto_cut_run CLIP [key=value ...]`

use std::time::Instant;

use auto_cut::AutoCut;
use cutroom_plugin::prelude::*;
use cutroom_plugin::testing::Harness;
use cutroom_source::FfmpegSource;

fn fail(code: i32, what: impl std::fmt::Display) -> ! {
    eprintln!("auto_cut_run: {what}");
    std::process::exit(code);
}

/// Peak resident set size of this process in KiB (`VmHWM` in /proc/self/status).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        fail(2, "usage: auto_cut_run CLIP [key=value ...]");
    };
    let assignments: Vec<String> = args.collect();
    let plugin = AutoCut::default();
    let params =
        Params::from_assignments(&plugin.manifest(), &assignments).unwrap_or_else(|e| fail(2, e));
    let started = Instant::now();
    let source = FfmpegSource::open(&path).unwrap_or_else(|e| fail(1, e));
    let result = Harness::new(source).run(&plugin, &params);
    let seconds = started.elapsed().as_secs_f64();
    let proposal = result.proposal.unwrap_or_else(|e| fail(1, e));
    let mut cuts = Vec::new();
    let mut transitions = Vec::new();
    let mut removals = Vec::new();
    for item in &proposal.items {
        let span = |r: &TimeRange| format!("[{}, {}]", r.start.value, r.end_exclusive().value);
        match &item.kind {
            ProposalKind::Cut { at } => cuts.push(at.value.to_string()),
            ProposalKind::Transition { range, .. } => transitions.push(span(range)),
            ProposalKind::Removal { range } => removals.push(span(range)),
            _ => {}
        }
    }
    println!(
        "{{\"cuts\": [{}], \"transitions\": [{}], \"removals\": [{}], \"seconds\": {seconds:.3}, \
         \"peak_rss_kib\": {}}}",
        cuts.join(", "),
        transitions.join(", "),
        removals.join(", "),
        peak_rss_kib()
    );
}
