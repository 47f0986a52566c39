//! `.cube` LUT reader; accepted input must read back exactly after a write (table, domain,
//! title and method bit for bit; params up to JSON float reading).
#![no_main]

use cutroom_timeline::formats::cube;
use cutroom_timeline::ColorTransform;
use cutroom_timeline_fuzz::{json_close, round_trip, text, Check};
use libfuzzer_sys::fuzz_target;

fn same(a: &ColorTransform, b: &ColorTransform) -> bool {
    let bits = |t: &ColorTransform| -> Vec<u32> {
        t.table
            .iter()
            .chain([&t.domain_min, &t.domain_max])
            .flatten()
            .map(|v| v.to_bits())
            .collect()
    };
    a.title == b.title
        && a.size == b.size
        && a.method == b.method
        && bits(a) == bits(b)
        && a.params.len() == b.params.len()
        && a.params
            .iter()
            .zip(&b.params)
            .all(|((ka, va), (kb, vb))| ka == kb && json_close(va, vb))
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = text(data) else { return };
    if let Ok(lut) = cube::parse(input) {
        // Whatever the reader accepts, the writer must be able to write.
        assert!(
            cube::write(&lut).is_ok(),
            "cube: read LUT cannot be written"
        );
        round_trip(
            "cube",
            &lut,
            Check::Exact,
            |l| cube::write(l).ok(),
            cube::parse,
            same,
        );
    }
});
