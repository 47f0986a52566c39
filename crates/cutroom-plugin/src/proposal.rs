//! Proposals: the reviewable edits a plugin returns.
//!
//! All times in a proposal are **media time** of the source the plugin analysed (the time
//! stamps of [`crate::Frame`]s and [`crate::AudioChunk`]s). The host maps them onto the clip
//! the editor applies the proposal to.
//!
//! A proposal is plain data with a stable JSON form ([`Proposal::to_json`] /
//! [`Proposal::from_json`]), shared by headless runs and the GUI. Deserializing validates it.

use std::collections::BTreeSet;

use cutroom_timeline::{
    ColorTransform, Marker, RationalTime, SubtitleCue, TimeRange, TransitionKind,
};
use serde::{Deserialize, Serialize};

/// A plugin's suggested edits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ProposalRepr")]
pub struct Proposal {
    /// Id of the plugin that made it.
    pub plugin_id: String,
    /// The suggestions, each individually selectable.
    pub items: Vec<ProposalItem>,
}

#[derive(Deserialize)]
struct ProposalRepr {
    plugin_id: String,
    #[serde(default)]
    items: Vec<ProposalItem>,
}

impl TryFrom<ProposalRepr> for Proposal {
    type Error = ProposalError;
    fn try_from(r: ProposalRepr) -> Result<Proposal, ProposalError> {
        let p = Proposal {
            plugin_id: r.plugin_id,
            items: r.items,
        };
        p.validate()?;
        Ok(p)
    }
}

/// One suggested edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposalItem {
    /// Identifier, unique within the proposal; the editor selects items by id.
    pub id: u32,
    /// What is proposed.
    pub kind: ProposalKind,
    /// How sure the plugin is, in `[0, 1]`.
    pub confidence: f32,
    /// Why, in a few words for the reviewer ("luma jump 0.82", "silence 1.4 s").
    pub reason: String,
}

/// The kinds of edit a plugin can propose (times in media time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProposalKind {
    /// A hard cut at an instant.
    Cut {
        /// Where to cut.
        at: RationalTime,
    },
    /// A gradual transition (dissolve or fade) spanning `range`.
    Transition {
        /// The span of the transition.
        range: TimeRange,
        /// What kind of transition.
        kind: TransitionKind,
    },
    /// A span to remove (silence, non-speech, flash frames).
    Removal {
        /// The span.
        range: TimeRange,
    },
    /// A marker to add.
    Marker(Marker),
    /// A color transform for the whole clip.
    Color(ColorTransform),
    /// A subtitle cue.
    Cue(SubtitleCue),
}

impl ProposalKind {
    /// A short name of the kind ("cut", "removal", …).
    pub fn name(&self) -> &'static str {
        match self {
            ProposalKind::Cut { .. } => "cut",
            ProposalKind::Transition { .. } => "transition",
            ProposalKind::Removal { .. } => "removal",
            ProposalKind::Marker(_) => "marker",
            ProposalKind::Color(_) => "color",
            ProposalKind::Cue(_) => "cue",
        }
    }
}

/// A proposal that breaks the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalError {
    /// Two items share an id.
    #[error("item id {0} is used twice")]
    DuplicateId(u32),
    /// A confidence outside `[0, 1]` or not a number.
    #[error("item {id}: confidence {confidence} is not in [0, 1]")]
    Confidence {
        /// Item id.
        id: u32,
        /// The value, as text.
        confidence: String,
    },
    /// A negative time, negative duration, or a malformed color table.
    #[error("item {id}: {reason}")]
    Invalid {
        /// Item id.
        id: u32,
        /// What is wrong.
        reason: String,
    },
}

impl ProposalItem {
    /// An item, checking the confidence and the kind.
    pub fn new(
        id: u32,
        kind: ProposalKind,
        confidence: f32,
        reason: impl Into<String>,
    ) -> Result<ProposalItem, ProposalError> {
        let item = ProposalItem {
            id,
            kind,
            confidence,
            reason: reason.into(),
        };
        item.validate()?;
        Ok(item)
    }

    /// Checks the confidence is in `[0, 1]` and the times and table are well formed.
    pub fn validate(&self) -> Result<(), ProposalError> {
        let id = self.id;
        if !(0.0..=1.0).contains(&self.confidence) {
            return Err(ProposalError::Confidence {
                id,
                confidence: self.confidence.to_string(),
            });
        }
        let invalid = |reason: &str| ProposalError::Invalid {
            id,
            reason: reason.to_string(),
        };
        let range_ok = |r: &TimeRange| !r.start.is_negative() && !r.duration.is_negative();
        match &self.kind {
            ProposalKind::Cut { at } if at.is_negative() => {
                return Err(invalid("cut at a negative time"))
            }
            ProposalKind::Transition { range, .. } | ProposalKind::Removal { range }
                if !range_ok(range) || range.duration.value == 0 =>
            {
                return Err(invalid(
                    "range must start at or after 0 and last more than 0",
                ))
            }
            ProposalKind::Marker(m) if !range_ok(&m.range) => {
                return Err(invalid("marker range is negative"))
            }
            ProposalKind::Marker(m) if m.confidence.is_some_and(|c| !(0.0..=1.0).contains(&c)) => {
                return Err(invalid("marker confidence is not in [0, 1]"))
            }
            ProposalKind::Cue(c) if !range_ok(&c.range) || c.range.duration.value == 0 => {
                return Err(invalid(
                    "cue range must start at or after 0 and last more than 0",
                ))
            }
            ProposalKind::Color(t) => {
                if !(2..=ColorTransform::MAX_SIZE).contains(&t.size) {
                    return Err(invalid("color table size must be 2..=256"));
                }
                if t.table.len() != t.size * t.size * t.size {
                    return Err(invalid("color table must hold size³ entries"));
                }
                if t.table.iter().flatten().any(|v| !v.is_finite()) {
                    return Err(invalid("color table holds a non-finite value"));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl Proposal {
    /// An empty proposal from `plugin_id`.
    pub fn new(plugin_id: impl Into<String>) -> Proposal {
        Proposal {
            plugin_id: plugin_id.into(),
            items: Vec::new(),
        }
    }

    /// Appends an item with the next free id and returns that id.
    pub fn push(
        &mut self,
        kind: ProposalKind,
        confidence: f32,
        reason: impl Into<String>,
    ) -> Result<u32, ProposalError> {
        let id = self.items.iter().map(|i| i.id + 1).max().unwrap_or(0);
        self.items
            .push(ProposalItem::new(id, kind, confidence, reason)?);
        Ok(id)
    }

    /// The item with `id`.
    pub fn item(&self, id: u32) -> Option<&ProposalItem> {
        self.items.iter().find(|i| i.id == id)
    }

    /// Checks every item and that ids are unique.
    pub fn validate(&self) -> Result<(), ProposalError> {
        let mut seen = BTreeSet::new();
        for item in &self.items {
            if !seen.insert(item.id) {
                return Err(ProposalError::DuplicateId(item.id));
            }
            item.validate()?;
        }
        Ok(())
    }

    /// Pretty JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a proposal always serializes")
    }

    /// Parses and validates JSON text.
    pub fn from_json(text: &str) -> Result<Proposal, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutroom_timeline::{MarkerColor, Rate};

    fn sample() -> Proposal {
        let r = Rate::FPS_23_976;
        let mut p = Proposal::new("demo");
        p.push(
            ProposalKind::Cut {
                at: RationalTime::new(48, r),
            },
            0.9,
            "luma jump",
        )
        .unwrap();
        p.push(
            ProposalKind::Transition {
                range: TimeRange::from_frames(100, 12, r),
                kind: TransitionKind::Dissolve,
            },
            0.6,
            "gradual change",
        )
        .unwrap();
        p.push(
            ProposalKind::Removal {
                range: TimeRange::from_frames(16_000, 8_000, Rate::HZ_16000),
            },
            0.75,
            "silence 0.5 s",
        )
        .unwrap();
        p.push(
            ProposalKind::Marker(Marker {
                name: "bright".into(),
                range: TimeRange::from_frames(3, 4, r),
                color: MarkerColor::Yellow,
                note: String::new(),
                confidence: Some(0.5),
            }),
            0.5,
            "bright run",
        )
        .unwrap();
        p.push(
            ProposalKind::Color(ColorTransform::identity(3)),
            1.0,
            "match",
        )
        .unwrap();
        p.push(
            ProposalKind::Cue(SubtitleCue::new(
                TimeRange::from_frames(1000, 1500, Rate::MILLIS),
                "Hello\nthere",
            )),
            0.8,
            "speech",
        )
        .unwrap();
        p
    }

    #[test]
    fn every_kind_survives_a_json_round_trip() {
        let p = sample();
        let back = Proposal::from_json(&p.to_json()).unwrap();
        assert_eq!(back, p);
        assert_eq!(
            back.items.iter().map(|i| i.id).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn a_confidence_outside_zero_to_one_is_refused() {
        let err = ProposalItem::new(
            0,
            ProposalKind::Cut {
                at: RationalTime::new(1, Rate::FPS_24),
            },
            1.5,
            "",
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "item 0: confidence 1.5 is not in [0, 1]");
        let mut p = sample();
        p.items[0].confidence = f32::NAN;
        assert!(matches!(
            p.validate(),
            Err(ProposalError::Confidence { .. })
        ));
    }

    #[test]
    fn json_with_a_bad_confidence_or_duplicate_ids_does_not_load() {
        let mut text = sample().to_json();
        text = text.replacen("\"confidence\": 0.9", "\"confidence\": 2.0", 1);
        let err = Proposal::from_json(&text).unwrap_err();
        assert!(
            err.to_string().contains("confidence 2 is not in [0, 1]"),
            "{err}"
        );

        let mut p = sample();
        p.items[1].id = 0;
        let err = Proposal::from_json(&p.to_json()).unwrap_err();
        assert!(err.to_string().contains("item id 0 is used twice"), "{err}");
    }

    #[test]
    fn empty_removals_and_negative_cuts_are_refused() {
        let empty = ProposalKind::Removal {
            range: TimeRange::from_frames(5, 0, Rate::FPS_25),
        };
        assert!(ProposalItem::new(0, empty, 0.5, "").is_err());
        let negative = ProposalKind::Cut {
            at: RationalTime::new(-1, Rate::FPS_25),
        };
        assert!(ProposalItem::new(0, negative, 0.5, "").is_err());
    }

    #[test]
    fn a_color_table_of_the_wrong_length_is_refused() {
        let mut t = ColorTransform::identity(3);
        t.table.pop();
        assert!(ProposalItem::new(0, ProposalKind::Color(t), 0.5, "").is_err());
    }
}
