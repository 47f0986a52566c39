//! Validated parameter values.
//!
//! [`Params`] is built from a [`Manifest`] and user input — `key=value` strings from the
//! command line ([`Params::from_pairs`], [`Params::from_assignments`]) or typed values from a
//! UI ([`Params::from_values`]) — and always holds a value of the declared type and range for
//! every declared parameter (defaults filled in). Plugins read it with typed getters.

use std::collections::BTreeMap;
use std::path::Path;

use cutroom_timeline::{Rate, RationalTime, Timecode};
use serde::{Deserialize, Serialize};

use crate::manifest::{Manifest, ParamKind, ParamSpec};

/// One parameter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamValue {
    /// For [`ParamKind::Float`].
    Float(f64),
    /// For [`ParamKind::Int`].
    Int(i64),
    /// For [`ParamKind::Bool`].
    Bool(bool),
    /// For [`ParamKind::Choice`]: the option value.
    Choice(String),
    /// For [`ParamKind::Text`].
    Text(String),
    /// For [`ParamKind::Time`].
    Time(RationalTime),
    /// For [`ParamKind::ClipRef`]: the clip's name or media path, if given.
    ClipRef(Option<String>),
    /// For [`ParamKind::FilePath`], if given.
    FilePath(Option<String>),
}

impl ParamValue {
    /// The default value of a parameter kind.
    pub fn default_for(kind: &ParamKind) -> ParamValue {
        match kind {
            ParamKind::Float { default, .. } => ParamValue::Float(*default),
            ParamKind::Int { default, .. } => ParamValue::Int(*default),
            ParamKind::Bool { default } => ParamValue::Bool(*default),
            ParamKind::Choice { default, .. } => ParamValue::Choice(default.clone()),
            ParamKind::Text { default } => ParamValue::Text(default.clone()),
            ParamKind::Time { default } => ParamValue::Time(*default),
            ParamKind::ClipRef => ParamValue::ClipRef(None),
            ParamKind::FilePath { .. } => ParamValue::FilePath(None),
        }
    }
}

/// Why user input is not a valid set of parameters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A key the plugin does not declare.
    #[error("unknown parameter {key:?} for plugin {plugin:?}; it takes: {known}")]
    UnknownKey {
        /// The plugin id.
        plugin: String,
        /// The key given.
        key: String,
        /// Declared keys, comma separated (or "no parameters").
        known: String,
    },
    /// The same key given twice.
    #[error("parameter {key:?} is given more than once")]
    Duplicate {
        /// The key.
        key: String,
    },
    /// A `key=value` assignment without `=`.
    #[error("expected key=value, got {text:?}")]
    Malformed {
        /// The text given.
        text: String,
    },
    /// A value that does not parse as, or is not, the declared type.
    #[error("parameter {key:?} expects {expected}, got {value:?}")]
    WrongType {
        /// The key.
        key: String,
        /// What was expected ("a number", "true or false", …).
        expected: String,
        /// The value given.
        value: String,
    },
    /// A number outside the declared range.
    #[error("parameter {key:?} must be between {min} and {max}, got {value}")]
    OutOfRange {
        /// The key.
        key: String,
        /// The value given.
        value: String,
        /// Smallest accepted value.
        min: String,
        /// Largest accepted value.
        max: String,
    },
    /// A choice value that is not one of the options.
    #[error("parameter {key:?} must be one of {options}, got {value:?}")]
    InvalidChoice {
        /// The key.
        key: String,
        /// The value given.
        value: String,
        /// Accepted values, comma separated.
        options: String,
    },
    /// A file path with an extension the parameter does not accept.
    #[error("parameter {key:?} expects a file ending in {extensions}, got {value:?}")]
    BadExtension {
        /// The key.
        key: String,
        /// The path given.
        value: String,
        /// Accepted extensions, comma separated.
        extensions: String,
    },
    /// A getter asked for a key that is not declared (a bug in the plugin).
    #[error("the plugin read parameter {key:?}, which its manifest does not declare")]
    NotDeclared {
        /// The key.
        key: String,
    },
}

/// Validated parameter values for one plugin run: every declared parameter has a value of
/// its type within its range.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Params {
    values: BTreeMap<String, ParamValue>,
}

impl Params {
    /// Every parameter at its default.
    pub fn defaults(manifest: &Manifest) -> Params {
        Params {
            values: manifest
                .params
                .iter()
                .map(|p| (p.id.clone(), ParamValue::default_for(&p.kind)))
                .collect(),
        }
    }

    /// Parses `(key, value)` text pairs (command-line style), fills defaults for the rest.
    ///
    /// Errors name the key and say what was expected: unknown keys (listing the known
    /// ones), duplicate keys, values of the wrong type, numbers out of range, choices that
    /// are not options, paths with the wrong extension.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        manifest: &Manifest,
        pairs: &[(K, V)],
    ) -> Result<Params, ParamError> {
        let mut params = Params::defaults(manifest);
        let mut given = BTreeMap::new();
        for (key, text) in pairs {
            let key = key.as_ref().trim();
            let spec = find_spec(manifest, key)?;
            if given.insert(key.to_string(), ()).is_some() {
                return Err(ParamError::Duplicate { key: key.into() });
            }
            let value = parse_value(spec, text.as_ref())?;
            check_value(spec, &value)?;
            params.values.insert(key.to_string(), value);
        }
        Ok(params)
    }

    /// Parses `key=value` assignments (as given to `--param`), fills defaults for the rest.
    pub fn from_assignments<S: AsRef<str>>(
        manifest: &Manifest,
        assignments: &[S],
    ) -> Result<Params, ParamError> {
        let mut pairs = Vec::with_capacity(assignments.len());
        for a in assignments {
            let a = a.as_ref();
            let (k, v) = a
                .split_once('=')
                .ok_or_else(|| ParamError::Malformed { text: a.into() })?;
            pairs.push((k, v));
        }
        Params::from_pairs(manifest, &pairs)
    }

    /// Checks typed values (from a UI or a saved job), fills defaults for the rest.
    pub fn from_values<I>(manifest: &Manifest, values: I) -> Result<Params, ParamError>
    where
        I: IntoIterator<Item = (String, ParamValue)>,
    {
        let mut params = Params::defaults(manifest);
        let mut given = BTreeMap::new();
        for (key, value) in values {
            let spec = find_spec(manifest, &key)?;
            if given.insert(key.clone(), ()).is_some() {
                return Err(ParamError::Duplicate { key });
            }
            check_value(spec, &value)?;
            params.values.insert(key, value);
        }
        Ok(params)
    }

    /// Re-checks these values against `manifest` (e.g. after deserializing): every key
    /// declared, every value valid; missing keys are filled with defaults.
    pub fn validated(self, manifest: &Manifest) -> Result<Params, ParamError> {
        Params::from_values(manifest, self.values)
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&ParamValue> {
        self.values.get(key)
    }

    /// All values, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ParamValue)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }

    fn typed<'a, T>(
        &'a self,
        key: &str,
        expected: &str,
        pick: impl FnOnce(&'a ParamValue) -> Option<T>,
    ) -> Result<T, ParamError> {
        let value = self
            .values
            .get(key)
            .ok_or_else(|| ParamError::NotDeclared { key: key.into() })?;
        pick(value).ok_or_else(|| ParamError::WrongType {
            key: key.into(),
            expected: expected.into(),
            value: format!("{value:?}"),
        })
    }

    /// A float (or integer) parameter as `f64`.
    pub fn get_f64(&self, key: &str) -> Result<f64, ParamError> {
        self.typed(key, "a number", |v| match v {
            ParamValue::Float(f) => Some(*f),
            ParamValue::Int(i) => Some(*i as f64),
            _ => None,
        })
    }

    /// An integer parameter.
    pub fn get_i64(&self, key: &str) -> Result<i64, ParamError> {
        self.typed(key, "an integer", |v| match v {
            ParamValue::Int(i) => Some(*i),
            _ => None,
        })
    }

    /// A boolean parameter.
    pub fn get_bool(&self, key: &str) -> Result<bool, ParamError> {
        self.typed(key, "true or false", |v| match v {
            ParamValue::Bool(b) => Some(*b),
            _ => None,
        })
    }

    /// A choice parameter's option value.
    pub fn get_choice(&self, key: &str) -> Result<&str, ParamError> {
        self.typed(key, "a choice", |v| match v {
            ParamValue::Choice(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// A text parameter.
    pub fn get_text(&self, key: &str) -> Result<&str, ParamError> {
        self.typed(key, "text", |v| match v {
            ParamValue::Text(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// A time parameter.
    pub fn get_time(&self, key: &str) -> Result<RationalTime, ParamError> {
        self.typed(key, "a time", |v| match v {
            ParamValue::Time(t) => Some(*t),
            _ => None,
        })
    }

    /// A clip reference, if given.
    pub fn get_clip_ref(&self, key: &str) -> Result<Option<&str>, ParamError> {
        self.typed(key, "a clip reference", |v| match v {
            ParamValue::ClipRef(s) => Some(s.as_deref()),
            _ => None,
        })
    }

    /// A file path, if given.
    pub fn get_path(&self, key: &str) -> Result<Option<&Path>, ParamError> {
        self.typed(key, "a file path", |v| match v {
            ParamValue::FilePath(s) => Some(s.as_deref().map(Path::new)),
            _ => None,
        })
    }
}

fn find_spec<'m>(manifest: &'m Manifest, key: &str) -> Result<&'m ParamSpec, ParamError> {
    manifest
        .param_spec(key)
        .ok_or_else(|| ParamError::UnknownKey {
            plugin: manifest.id.clone(),
            key: key.into(),
            known: if manifest.params.is_empty() {
                "no parameters".into()
            } else {
                manifest
                    .params
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        })
}

fn wrong(spec: &ParamSpec, expected: &str, text: &str) -> ParamError {
    ParamError::WrongType {
        key: spec.id.clone(),
        expected: expected.into(),
        value: text.into(),
    }
}

fn parse_value(spec: &ParamSpec, text: &str) -> Result<ParamValue, ParamError> {
    let t = text.trim();
    Ok(match &spec.kind {
        ParamKind::Float { .. } => match t.parse::<f64>() {
            Ok(f) if f.is_finite() => ParamValue::Float(f),
            _ => return Err(wrong(spec, "a number", text)),
        },
        ParamKind::Int { .. } => {
            ParamValue::Int(t.parse().map_err(|_| wrong(spec, "an integer", text))?)
        }
        ParamKind::Bool { .. } => ParamValue::Bool(match t.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => true,
            "false" | "no" | "off" | "0" => false,
            _ => return Err(wrong(spec, "true or false", text)),
        }),
        ParamKind::Choice { .. } => ParamValue::Choice(t.to_string()),
        ParamKind::Text { .. } => ParamValue::Text(text.to_string()),
        ParamKind::Time { default } => {
            ParamValue::Time(parse_time(t, default.rate).ok_or_else(|| {
                wrong(
                    spec,
                    "a time (seconds like 2.5, 500ms, timecode HH:MM:SS:FF, or value@rate)",
                    text,
                )
            })?)
        }
        ParamKind::ClipRef => ParamValue::ClipRef((!t.is_empty()).then(|| t.to_string())),
        ParamKind::FilePath { .. } => ParamValue::FilePath((!t.is_empty()).then(|| t.to_string())),
    })
}

/// Parses a time as [`ParamKind::Time`] parameters accept it: timecode (`HH:MM:SS:FF`,
/// counted at `timecode_rate`), seconds (`12.5`, `12.5s`), milliseconds (`1500ms`) or an exact
/// count at a rate (`300@25`, `1001@30000/1001`). `None` when `t` is none of these.
pub fn parse_time(t: &str, timecode_rate: Rate) -> Option<RationalTime> {
    if let Some((value, rate)) = t.split_once('@') {
        let value: i64 = value.trim().parse().ok()?;
        let rate = match rate.trim().split_once('/') {
            Some((n, d)) => Rate::new(n.trim().parse().ok()?, d.trim().parse().ok()?).ok()?,
            None => Rate::new(rate.trim().parse().ok()?, 1).ok()?,
        };
        return Some(RationalTime::new(value, rate));
    }
    if t.contains(':') || t.contains(';') {
        let tc = Timecode::parse(t, timecode_rate).ok()?;
        return Some(RationalTime::new(
            tc.to_frames(timecode_rate),
            timecode_rate,
        ));
    }
    if let Some(ms) = t.strip_suffix("ms") {
        return Some(RationalTime::new(ms.trim().parse().ok()?, Rate::MILLIS));
    }
    let secs: f64 = t.strip_suffix('s').unwrap_or(t).trim().parse().ok()?;
    RationalTime::from_seconds(secs, Rate::MILLIS).ok()
}

fn check_value(spec: &ParamSpec, value: &ParamValue) -> Result<(), ParamError> {
    let key = || spec.id.clone();
    let mismatch = || ParamError::WrongType {
        key: key(),
        expected: format!("a {} value", spec.kind.type_name()),
        value: format!("{value:?}"),
    };
    match (&spec.kind, value) {
        (ParamKind::Float { min, max, .. }, ParamValue::Float(f)) => {
            if !f.is_finite() {
                return Err(ParamError::WrongType {
                    key: key(),
                    expected: "a finite number".into(),
                    value: f.to_string(),
                });
            }
            if f < min || f > max {
                return Err(ParamError::OutOfRange {
                    key: key(),
                    value: f.to_string(),
                    min: min.to_string(),
                    max: max.to_string(),
                });
            }
        }
        (ParamKind::Int { min, max, .. }, ParamValue::Int(i)) => {
            if i < min || i > max {
                return Err(ParamError::OutOfRange {
                    key: key(),
                    value: i.to_string(),
                    min: min.to_string(),
                    max: max.to_string(),
                });
            }
        }
        (ParamKind::Bool { .. }, ParamValue::Bool(_)) => {}
        (ParamKind::Choice { options, .. }, ParamValue::Choice(c)) => {
            if !options.iter().any(|(v, _)| v == c) {
                return Err(ParamError::InvalidChoice {
                    key: key(),
                    value: c.clone(),
                    options: options
                        .iter()
                        .map(|(v, _)| v.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        (ParamKind::Text { .. }, ParamValue::Text(_)) => {}
        (ParamKind::Time { .. }, ParamValue::Time(t)) => {
            if t.is_negative() {
                return Err(ParamError::OutOfRange {
                    key: key(),
                    value: t.to_string(),
                    min: "0".into(),
                    max: "any positive time".into(),
                });
            }
        }
        (ParamKind::ClipRef, ParamValue::ClipRef(_)) => {}
        (ParamKind::FilePath { extensions }, ParamValue::FilePath(p)) => {
            if let (Some(p), false) = (p, extensions.is_empty()) {
                let ext = Path::new(p)
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(|e| e.to_ascii_lowercase());
                if !ext.is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(&e))) {
                    return Err(ParamError::BadExtension {
                        key: key(),
                        value: p.clone(),
                        extensions: extensions
                            .iter()
                            .map(|e| format!(".{e}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
            }
        }
        _ => return Err(mismatch()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ParamSpec;

    fn manifest() -> Manifest {
        Manifest::new("demo", "Demo", "1.0.0", "A demo.")
            .param(ParamSpec::float(
                "threshold",
                "Threshold",
                0.0,
                255.0,
                200.0,
            ))
            .param(ParamSpec::int("min_frames", "Minimum run", 1, 1000, 3))
            .param(ParamSpec::bool("invert", "Invert", false))
            .param(ParamSpec::choice(
                "mode",
                "Mode",
                &[("fast", "Fast"), ("best", "Best")],
                "fast",
            ))
            .param(ParamSpec::new(
                "pad",
                "Padding",
                ParamKind::Time {
                    default: RationalTime::new(0, Rate::FPS_25),
                },
            ))
            .param(ParamSpec::new(
                "lut",
                "LUT",
                ParamKind::FilePath {
                    extensions: vec!["cube".into()],
                },
            ))
            .param(ParamSpec::new("reference", "Reference", ParamKind::ClipRef))
    }

    #[test]
    fn defaults_fill_every_parameter_not_given() {
        let p = Params::from_pairs(&manifest(), &[("threshold", "180")]).unwrap();
        assert_eq!(p.get_f64("threshold").unwrap(), 180.0);
        assert_eq!(p.get_i64("min_frames").unwrap(), 3);
        assert!(!p.get_bool("invert").unwrap());
        assert_eq!(p.get_choice("mode").unwrap(), "fast");
        assert_eq!(p.get_path("lut").unwrap(), None);
        assert_eq!(p.get_clip_ref("reference").unwrap(), None);
    }

    #[test]
    fn assignments_parse_every_type() {
        let p = Params::from_assignments(
            &manifest(),
            &[
                "threshold=12.5",
                "min_frames=7",
                "invert=yes",
                "mode=best",
                "pad=00:00:01:05",
                "lut=looks/Warm.CUBE",
                "reference=shot 12",
            ],
        )
        .unwrap();
        assert_eq!(p.get_f64("threshold").unwrap(), 12.5);
        assert_eq!(p.get_i64("min_frames").unwrap(), 7);
        assert!(p.get_bool("invert").unwrap());
        assert_eq!(p.get_choice("mode").unwrap(), "best");
        assert_eq!(
            p.get_time("pad").unwrap(),
            RationalTime::new(30, Rate::FPS_25)
        );
        assert_eq!(
            p.get_path("lut").unwrap(),
            Some(Path::new("looks/Warm.CUBE"))
        );
        assert_eq!(p.get_clip_ref("reference").unwrap(), Some("shot 12"));
    }

    #[test]
    fn times_accept_seconds_milliseconds_and_value_at_rate() {
        let m = manifest();
        let t = |s: &str| {
            Params::from_pairs(&m, &[("pad", s)])
                .unwrap()
                .get_time("pad")
                .unwrap()
        };
        assert_eq!(t("2.5"), RationalTime::new(2500, Rate::MILLIS));
        assert_eq!(t("2.5s"), RationalTime::new(2500, Rate::MILLIS));
        assert_eq!(t("40ms"), RationalTime::new(1, Rate::FPS_25));
        assert_eq!(t("100@30000/1001"), RationalTime::new(100, Rate::FPS_29_97));
        assert_eq!(t("48@24"), RationalTime::new(2, Rate::whole(1).unwrap()));
    }

    #[test]
    fn an_unknown_key_is_refused_naming_the_known_ones() {
        let err = Params::from_pairs(&manifest(), &[("treshold", "1")]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("unknown parameter \"treshold\""), "{text}");
        assert!(text.contains("threshold, min_frames"), "{text}");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused() {
        let err = Params::from_pairs(&manifest(), &[("threshold", "bright")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "parameter \"threshold\" expects a number, got \"bright\""
        );
        let err = Params::from_pairs(&manifest(), &[("min_frames", "2.5")]).unwrap_err();
        assert!(matches!(err, ParamError::WrongType { .. }));
        let err = Params::from_pairs(&manifest(), &[("invert", "maybe")]).unwrap_err();
        assert!(matches!(err, ParamError::WrongType { .. }));
        let err = Params::from_pairs(&manifest(), &[("threshold", "NaN")]).unwrap_err();
        assert!(matches!(err, ParamError::WrongType { .. }));
    }

    #[test]
    fn an_out_of_range_value_is_refused() {
        let err = Params::from_pairs(&manifest(), &[("threshold", "300")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "parameter \"threshold\" must be between 0 and 255, got 300"
        );
        let err = Params::from_pairs(&manifest(), &[("min_frames", "0")]).unwrap_err();
        assert!(matches!(err, ParamError::OutOfRange { .. }));
    }

    #[test]
    fn a_choice_outside_the_options_is_refused() {
        let err = Params::from_pairs(&manifest(), &[("mode", "slow")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "parameter \"mode\" must be one of fast, best, got \"slow\""
        );
    }

    #[test]
    fn a_path_with_the_wrong_extension_is_refused() {
        let err = Params::from_pairs(&manifest(), &[("lut", "a.png")]).unwrap_err();
        assert!(matches!(err, ParamError::BadExtension { .. }), "{err}");
    }

    #[test]
    fn duplicate_and_malformed_assignments_are_refused() {
        let err = Params::from_assignments(&manifest(), &["mode=fast", "mode=best"]).unwrap_err();
        assert!(matches!(err, ParamError::Duplicate { .. }));
        let err = Params::from_assignments(&manifest(), &["mode"]).unwrap_err();
        assert_eq!(err.to_string(), "expected key=value, got \"mode\"");
    }

    #[test]
    fn typed_values_are_checked_like_text() {
        let err = Params::from_values(
            &manifest(),
            [("threshold".to_string(), ParamValue::Bool(true))],
        )
        .unwrap_err();
        assert!(matches!(err, ParamError::WrongType { .. }));
        let err = Params::from_values(
            &manifest(),
            [("threshold".to_string(), ParamValue::Float(-1.0))],
        )
        .unwrap_err();
        assert!(matches!(err, ParamError::OutOfRange { .. }));
    }

    #[test]
    fn params_survive_a_json_round_trip_and_revalidate() {
        let p = Params::from_assignments(&manifest(), &["mode=best", "pad=1.5"]).unwrap();
        let text = serde_json::to_string(&p).unwrap();
        let back: Params = serde_json::from_str(&text).unwrap();
        assert_eq!(back.clone().validated(&manifest()).unwrap(), p);
    }

    #[test]
    fn reading_an_undeclared_key_is_reported() {
        let p = Params::defaults(&manifest());
        assert!(matches!(
            p.get_f64("nope"),
            Err(ParamError::NotDeclared { .. })
        ));
    }
}
