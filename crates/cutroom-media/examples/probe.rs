//! Prints `probe` output for each file given, as JSON.
//!
//! `cargo run -p cutroom-media --example probe -- FILE...`

fn main() {
    let mut failed = false;
    for path in std::env::args().skip(1) {
        match cutroom_media::probe(&path) {
            Ok(info) => match serde_json::to_string_pretty(&info) {
                Ok(json) => println!("{json}"),
                Err(e) => {
                    eprintln!("{path}: {e}");
                    failed = true;
                }
            },
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}
