//! What a plugin is, what it reads and which parameters it takes.
//!
//! Parameter descriptors ([`ParamSpec`]) follow the OpenFX idea: each carries a stable id, a
//! label and help text for humans, and a typed [`ParamKind`] with range, step, unit and
//! default, so that a host can build a slider, checkbox, drop-down or file picker — or a
//! `--param key=value` command-line flag — without knowing the plugin.

use std::collections::BTreeSet;

use cutroom_timeline::RationalTime;
use serde::{Deserialize, Serialize};

/// Version of the plugin API this SDK implements. A host refuses plugins built against a
/// different version.
pub const SDK_API_VERSION: u32 = 1;

/// A plugin's self-description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Stable identifier, lowercase with dashes (`"auto-cut"`); used on the command line.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The plugin's own version (semver text).
    pub version: String,
    /// One or two sentences for the plugin list and `--help`.
    pub description: String,
    /// The SDK API version the plugin was built against; [`SDK_API_VERSION`].
    pub api_version: u32,
    /// What media the plugin reads.
    pub reads: Reads,
    /// Parameters, in display order.
    pub params: Vec<ParamSpec>,
}

impl Manifest {
    /// A manifest that reads nothing and has no parameters yet.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        version: impl Into<String>,
        description: impl Into<String>,
    ) -> Manifest {
        Manifest {
            id: id.into(),
            name: name.into(),
            version: version.into(),
            description: description.into(),
            api_version: SDK_API_VERSION,
            reads: Reads::default(),
            params: Vec::new(),
        }
    }

    /// Declares the video frames the plugin reads.
    pub fn reads_video(mut self, width: u32, height: u32, format: PixelFormat) -> Manifest {
        self.reads.video = Some(VideoRequest {
            width,
            height,
            format,
        });
        self
    }

    /// Declares the audio the plugin reads.
    pub fn reads_audio(mut self, sample_rate: u32, channels: u16) -> Manifest {
        self.reads.audio = Some(AudioRequest {
            sample_rate,
            channels,
        });
        self
    }

    /// Declares that the plugin also reads a reference clip (e.g. the shot to match).
    pub fn reads_reference_clip(mut self) -> Manifest {
        self.reads.reference_clip = true;
        self
    }

    /// Adds a parameter.
    pub fn param(mut self, spec: ParamSpec) -> Manifest {
        self.params.push(spec);
        self
    }

    /// The parameter with `id`, if declared.
    pub fn param_spec(&self, id: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.id == id)
    }

    /// Checks the manifest is usable by a host: identifier syntax, API version, unique
    /// parameter ids, sane ranges and defaults inside them, sane media requests.
    pub fn validate(&self) -> Result<(), ManifestError> {
        let bad = |reason: String| ManifestError {
            plugin: self.id.clone(),
            reason,
        };
        if !is_identifier(&self.id) {
            return Err(bad(format!(
                "plugin id {:?} must be lowercase letters, digits and dashes, starting with a letter",
                self.id
            )));
        }
        if self.api_version != SDK_API_VERSION {
            return Err(bad(format!(
                "built against plugin API {} but this host implements API {}",
                self.api_version, SDK_API_VERSION
            )));
        }
        if let Some(v) = &self.reads.video {
            if v.width == 0 || v.height == 0 || v.width > 8192 || v.height > 8192 {
                return Err(bad(format!(
                    "video request {}x{} must be between 1x1 and 8192x8192",
                    v.width, v.height
                )));
            }
        }
        if let Some(a) = &self.reads.audio {
            if !(1000..=384_000).contains(&a.sample_rate) || !(1..=32).contains(&a.channels) {
                return Err(bad(format!(
                    "audio request {} Hz, {} channels is out of range",
                    a.sample_rate, a.channels
                )));
            }
        }
        let mut seen = BTreeSet::new();
        for p in &self.params {
            if !is_param_identifier(&p.id) {
                return Err(bad(format!(
                    "parameter id {:?} must be lowercase letters, digits, '-' or '_', starting with a letter",
                    p.id
                )));
            }
            if !seen.insert(p.id.as_str()) {
                return Err(bad(format!("parameter {:?} is declared twice", p.id)));
            }
            p.kind
                .check()
                .map_err(|reason| bad(format!("parameter {:?}: {reason}", p.id)))?;
        }
        Ok(())
    }
}

fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && s.len() <= 64
}

fn is_param_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && s.len() <= 64
}

/// A manifest a host cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plugin {plugin:?}: invalid manifest: {reason}")]
pub struct ManifestError {
    /// The plugin id as declared.
    pub plugin: String,
    /// What is wrong.
    pub reason: String,
}

/// The media a plugin reads. The host decodes only what is declared here.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reads {
    /// Video frames, scaled and converted by the host to this size and format.
    #[serde(default)]
    pub video: Option<VideoRequest>,
    /// Audio, resampled and remixed by the host to this rate and channel count.
    #[serde(default)]
    pub audio: Option<AudioRequest>,
    /// Whether the plugin also reads a second, reference clip (same video/audio requests).
    #[serde(default)]
    pub reference_clip: bool,
}

/// Analysis frames at a fixed small size and pixel format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VideoRequest {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel layout of [`crate::Frame::data`].
    pub format: PixelFormat,
}

impl VideoRequest {
    /// Bytes in one frame of this request (tightly packed rows).
    pub fn frame_bytes(&self) -> usize {
        self.width as usize * self.height as usize * self.format.bytes_per_pixel()
    }
}

/// Pixel layouts a plugin can ask for. Rows are tightly packed, top row first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PixelFormat {
    /// One byte of luma (BT.709, full range) per pixel.
    Gray8,
    /// Three bytes per pixel: R, G, B.
    Rgb24,
    /// Four bytes per pixel: R, G, B, A.
    Rgba,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Gray8 => 1,
            PixelFormat::Rgb24 => 3,
            PixelFormat::Rgba => 4,
        }
    }
}

/// Audio at a fixed sample rate and channel count, as interleaved `f32` in `[-1, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AudioRequest {
    /// Samples per second per channel (16 000 for speech models).
    pub sample_rate: u32,
    /// Channel count (1 = mono mix-down).
    pub channels: u16,
}

/// One parameter: id, human text and typed kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamSpec {
    /// Stable key, used as `key=value` on the command line.
    pub id: String,
    /// Short label for the UI.
    pub label: String,
    /// Longer help text (tooltip, `--help`).
    #[serde(default)]
    pub help: String,
    /// Type, range and default.
    pub kind: ParamKind,
}

impl ParamSpec {
    /// A parameter with an explicit kind.
    pub fn new(id: impl Into<String>, label: impl Into<String>, kind: ParamKind) -> ParamSpec {
        ParamSpec {
            id: id.into(),
            label: label.into(),
            help: String::new(),
            kind,
        }
    }

    /// A float slider over `min..=max` with a step of 1/100 of the range and no unit.
    pub fn float(
        id: impl Into<String>,
        label: impl Into<String>,
        min: f64,
        max: f64,
        default: f64,
    ) -> ParamSpec {
        ParamSpec::new(
            id,
            label,
            ParamKind::Float {
                min,
                max,
                step: (max - min) / 100.0,
                unit: String::new(),
                default,
            },
        )
    }

    /// An integer over `min..=max` with a step of 1 and no unit.
    pub fn int(
        id: impl Into<String>,
        label: impl Into<String>,
        min: i64,
        max: i64,
        default: i64,
    ) -> ParamSpec {
        ParamSpec::new(
            id,
            label,
            ParamKind::Int {
                min,
                max,
                step: 1,
                unit: String::new(),
                default,
            },
        )
    }

    /// A checkbox.
    pub fn bool(id: impl Into<String>, label: impl Into<String>, default: bool) -> ParamSpec {
        ParamSpec::new(id, label, ParamKind::Bool { default })
    }

    /// A drop-down of `(value, label)` options.
    pub fn choice(
        id: impl Into<String>,
        label: impl Into<String>,
        options: &[(&str, &str)],
        default: &str,
    ) -> ParamSpec {
        ParamSpec::new(
            id,
            label,
            ParamKind::Choice {
                options: options
                    .iter()
                    .map(|(v, l)| (v.to_string(), l.to_string()))
                    .collect(),
                default: default.to_string(),
            },
        )
    }

    /// Sets the help text.
    pub fn with_help(mut self, help: impl Into<String>) -> ParamSpec {
        self.help = help.into();
        self
    }

    /// Sets the unit of a float or integer parameter (ignored for other kinds).
    pub fn with_unit(mut self, new_unit: impl Into<String>) -> ParamSpec {
        match &mut self.kind {
            ParamKind::Float { unit, .. } | ParamKind::Int { unit, .. } => *unit = new_unit.into(),
            _ => {}
        }
        self
    }

    /// Sets the UI step of a float parameter (ignored for other kinds).
    pub fn with_step(mut self, new_step: f64) -> ParamSpec {
        if let ParamKind::Float { step, .. } = &mut self.kind {
            *step = new_step;
        }
        self
    }
}

/// The type of a parameter, with its range and default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParamKind {
    /// A real number in `min..=max`.
    Float {
        /// Smallest accepted value.
        min: f64,
        /// Largest accepted value.
        max: f64,
        /// Increment for sliders and spin boxes (display only).
        step: f64,
        /// Unit shown after the value ("dB", "s", "%"); may be empty.
        #[serde(default)]
        unit: String,
        /// Value when not given.
        default: f64,
    },
    /// An integer in `min..=max`.
    Int {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
        /// Increment for spin boxes (display only).
        step: i64,
        /// Unit shown after the value; may be empty.
        #[serde(default)]
        unit: String,
        /// Value when not given.
        default: i64,
    },
    /// On or off.
    Bool {
        /// Value when not given.
        default: bool,
    },
    /// One of a fixed set of values.
    Choice {
        /// `(value, label)` pairs; the value is what the command line and [`crate::Params`] use.
        options: Vec<(String, String)>,
        /// Value when not given; one of the option values.
        default: String,
    },
    /// Free text.
    Text {
        /// Value when not given.
        default: String,
    },
    /// A time or duration. On the command line: seconds (`2.5`, `2.5s`), milliseconds
    /// (`500ms`), timecode at the default's rate (`00:00:01:12`) or `value@rate`
    /// (`36@24`, `100@30000/1001`).
    Time {
        /// Value when not given.
        default: RationalTime,
    },
    /// Another clip of the project (e.g. the reference shot); empty when not given.
    ClipRef,
    /// A file path; empty when not given.
    FilePath {
        /// Accepted extensions without the dot, lowercase (`["cube"]`); empty accepts any.
        #[serde(default)]
        extensions: Vec<String>,
    },
}

impl ParamKind {
    /// A time parameter defaulting to `ms` milliseconds.
    pub fn millis(ms: i64) -> ParamKind {
        ParamKind::Time {
            default: RationalTime::new(ms, cutroom_timeline::Rate::MILLIS),
        }
    }

    /// A short name of the type for messages ("float", "choice").
    pub fn type_name(&self) -> &'static str {
        match self {
            ParamKind::Float { .. } => "float",
            ParamKind::Int { .. } => "integer",
            ParamKind::Bool { .. } => "boolean",
            ParamKind::Choice { .. } => "choice",
            ParamKind::Text { .. } => "text",
            ParamKind::Time { .. } => "time",
            ParamKind::ClipRef => "clip reference",
            ParamKind::FilePath { .. } => "file path",
        }
    }

    fn check(&self) -> Result<(), String> {
        match self {
            ParamKind::Float {
                min,
                max,
                step,
                default,
                ..
            } => {
                if !(min.is_finite() && max.is_finite() && min <= max) {
                    return Err(format!("range {min}..{max} is not a finite, ordered range"));
                }
                if !(step.is_finite() && *step >= 0.0) {
                    return Err(format!("step {step} must be finite and not negative"));
                }
                if !(min..=max).contains(&default) {
                    return Err(format!("default {default} is outside {min}..{max}"));
                }
            }
            ParamKind::Int {
                min,
                max,
                step,
                default,
                ..
            } => {
                if min > max {
                    return Err(format!("range {min}..{max} is not ordered"));
                }
                if *step < 0 {
                    return Err(format!("step {step} must not be negative"));
                }
                if !(min..=max).contains(&default) {
                    return Err(format!("default {default} is outside {min}..{max}"));
                }
            }
            ParamKind::Choice { options, default } => {
                if options.is_empty() {
                    return Err("a choice needs at least one option".into());
                }
                if !options.iter().any(|(v, _)| v == default) {
                    return Err(format!("default {default:?} is not one of the options"));
                }
                let mut seen = BTreeSet::new();
                for (v, _) in options {
                    if !seen.insert(v) {
                        return Err(format!("option {v:?} appears twice"));
                    }
                }
            }
            ParamKind::Time { default } => {
                if default.is_negative() {
                    return Err("default time is negative".into());
                }
            }
            ParamKind::Bool { .. }
            | ParamKind::Text { .. }
            | ParamKind::ClipRef
            | ParamKind::FilePath { .. } => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest::new("demo", "Demo", "1.0.0", "A demo.")
            .reads_video(64, 36, PixelFormat::Gray8)
            .param(ParamSpec::float(
                "threshold",
                "Threshold",
                0.0,
                255.0,
                200.0,
            ))
    }

    #[test]
    fn a_well_formed_manifest_validates() {
        assert_eq!(manifest().validate(), Ok(()));
    }

    #[test]
    fn a_default_outside_its_range_is_refused() {
        let m = manifest().param(ParamSpec::int("n", "N", 0, 10, 11));
        let err = m.validate().unwrap_err();
        assert!(err.reason.contains("default 11 is outside 0..10"), "{err}");
    }

    #[test]
    fn duplicate_parameter_ids_are_refused() {
        let m = manifest().param(ParamSpec::bool("threshold", "Again", true));
        assert!(m.validate().unwrap_err().reason.contains("declared twice"));
    }

    #[test]
    fn another_api_version_is_refused() {
        let mut m = manifest();
        m.api_version = SDK_API_VERSION + 1;
        assert!(m.validate().unwrap_err().reason.contains("plugin API"));
    }

    #[test]
    fn plugin_ids_are_lowercase_with_dashes() {
        let mut m = manifest();
        m.id = "Auto Cut".into();
        assert!(m.validate().is_err());
    }

    #[test]
    fn manifest_survives_a_json_round_trip() {
        let m = manifest()
            .reads_audio(16_000, 1)
            .param(ParamSpec::choice(
                "mode",
                "Mode",
                &[("fast", "Fast"), ("best", "Best")],
                "fast",
            ))
            .param(ParamSpec::new(
                "lut",
                "LUT",
                ParamKind::FilePath {
                    extensions: vec!["cube".into()],
                },
            ));
        let text = serde_json::to_string(&m).unwrap();
        let back: Manifest = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
    }
}
