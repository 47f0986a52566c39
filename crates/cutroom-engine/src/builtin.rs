//! The plugins built into Cutroom. To add one, create a crate under `plugins/`, add it as a
//! dependency of this crate, and list it in [`plugins`].

use cutroom_plugin::Plugin;

/// One instance of every built-in plugin, in display order.
pub fn plugins() -> Vec<Box<dyn Plugin>> {
    vec![
        Box::new(example_brightness::BrightFrames),
        Box::new(color_match::ColorMatch),
        Box::new(auto_cut::AutoCut::default()),
        Box::new(subtitles::Subtitles),
    ]
}
