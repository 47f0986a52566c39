//! WebVTT reader; accepted input must survive write/read.
#![no_main]

use cutroom_timeline::formats::webvtt;
use cutroom_timeline_fuzz::{round_trip, text, Check};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = text(data) else { return };
    if let Ok(cues) = webvtt::parse(input) {
        round_trip(
            "webvtt",
            &cues,
            Check::Stable,
            |c| Some(webvtt::write(c)),
            webvtt::parse,
            |a, b| a == b,
        );
    }
});
