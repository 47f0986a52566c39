//! `.cutroom` project reader; accepted input must survive save/load.
#![no_main]

use cutroom_timeline::project_file;
use cutroom_timeline_fuzz::{round_trip, text, Check};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = text(data) else { return };
    if let Ok(project) = project_file::from_str(input) {
        round_trip(
            "project",
            &project,
            Check::Stable,
            |p| Some(project_file::to_string(p)),
            project_file::from_str,
            |a, b| a == b,
        );
    }
});
