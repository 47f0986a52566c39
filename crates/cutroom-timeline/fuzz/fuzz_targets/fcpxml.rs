//! FCPXML reader; accepted input must survive write/read.
#![no_main]

use cutroom_timeline::formats::fcpxml;
use cutroom_timeline_fuzz::{round_trip, text, Check};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = text(data) else { return };
    if let Ok(timeline) = fcpxml::parse(input) {
        round_trip(
            "fcpxml",
            &timeline,
            Check::Stable,
            |t| fcpxml::write(t).ok(),
            fcpxml::parse,
            |a, b| a == b,
        );
    }
});
