//! Opens the Cutroom window: `cargo run -p cutroom-app --example cutroom_gui -- [FILE]`.
//! (The `cutroom` binary does the same with `cutroom gui [FILE]`.)

fn main() -> anyhow::Result<()> {
    cutroom_app::run_app(std::env::args_os().nth(1).map(Into::into))
}
