//! SubRip reader; accepted input must read back unchanged after a write.
#![no_main]

use cutroom_timeline::formats::srt;
use cutroom_timeline_fuzz::{round_trip, text, Check};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = text(data) else { return };
    if let Ok(cues) = srt::parse(input) {
        round_trip(
            "srt",
            &cues,
            Check::Exact,
            |c| Some(srt::write(c)),
            srt::parse,
            |a, b| a == b,
        );
    }
});
