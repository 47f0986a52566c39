//! Decode speed probe used by `bench/decode.sh`.
//!
//! `decode_bench decode FILE` decodes every frame without converting it;
//! `decode_bench gray320 FILE` decodes and scales every frame to 320x180 gray.
//! Prints `frames=N seconds=S fps=F` on stdout.

use std::time::Instant;

use cutroom_media::{PixelFormat, VideoOutput, VideoReader};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(path)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: decode_bench decode|gray320 FILE");
        std::process::exit(2);
    };
    let output = VideoOutput {
        width: 320,
        height: 180,
        format: PixelFormat::Gray8,
    };
    let start = Instant::now();
    let mut reader = match VideoReader::open(path, output) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let mut frames = 0u64;
    let mut checksum = 0u64;
    loop {
        let step = match mode.as_str() {
            "decode" => reader.skip_frame().map(|f| f.map(|_| ())),
            "gray320" => reader.next_frame().map(|f| {
                f.map(|f| checksum = checksum.wrapping_add(f.data[f.data.len() / 2] as u64))
            }),
            other => {
                eprintln!("unknown mode {other}");
                std::process::exit(2);
            }
        };
        match step {
            Ok(Some(())) => frames += 1,
            Ok(None) => break,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "frames={frames} seconds={secs:.3} fps={:.1} checksum={checksum}",
        frames as f64 / secs
    );
}
