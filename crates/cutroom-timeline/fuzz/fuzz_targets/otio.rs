//! OpenTimelineIO reader; accepted input must read back unchanged after a write.
#![no_main]

use cutroom_timeline::formats::otio;
use cutroom_timeline_fuzz::{round_trip, text, Check};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = text(data) else { return };
    if let Ok(timeline) = otio::parse(input) {
        round_trip(
            "otio",
            &timeline,
            Check::Exact,
            |t| otio::write(t).ok(),
            otio::parse,
            |a, b| a == b,
        );
    }
});
