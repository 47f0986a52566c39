//! CMX3600 EDL reader at several frame rates; accepted input must survive write/read,
//! non-drop and (at 29.97/59.94) drop-frame.
#![no_main]

use cutroom_timeline::formats::edl;
use cutroom_timeline::Rate;
use cutroom_timeline_fuzz::{round_trip, text, Check};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = text(data) else { return };
    for rate in [Rate::FPS_24, Rate::FPS_25, Rate::FPS_29_97] {
        let Ok(timeline) = edl::parse(input, rate) else {
            continue;
        };
        for drop_frame in [false, rate.supports_drop_frame()] {
            round_trip(
                "edl",
                &timeline,
                Check::Stable,
                |t| edl::write(t, drop_frame).ok(),
                |s| edl::parse(s, rate),
                |a, b| a == b,
            );
        }
    }
});
