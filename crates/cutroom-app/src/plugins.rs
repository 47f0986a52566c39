//! The plugins panel: lists the registry and, for the chosen plugin, builds the parameter
//! UI from its manifest (sliders with ranges and units, checkboxes, choice boxes, text,
//! times, clip pickers, file pickers), then runs it on the selected clip or the I/O range.

use std::collections::{BTreeMap, HashMap};

use cutroom_engine::Registry;
use cutroom_plugin::{Manifest, ParamKind, ParamSpec, ParamValue, Params};
use cutroom_timeline::RationalTime;
use eframe::egui;

use crate::app::Action;

/// Parameter values the user set, per plugin id then parameter id.
pub type SavedParams = HashMap<String, BTreeMap<String, ParamValue>>;

/// The plugins panel.
#[derive(Default)]
pub struct PluginsPanel {
    /// Id of the plugin whose parameters are shown.
    pub selected: Option<String>,
    /// Values entered so far (remembered between runs of the app).
    pub values: SavedParams,
    error: Option<String>,
}

impl PluginsPanel {
    /// The current value of `spec` for `plugin`, the default when never set.
    pub fn value(&self, plugin: &str, spec: &ParamSpec) -> ParamValue {
        self.values
            .get(plugin)
            .and_then(|m| m.get(&spec.id))
            .cloned()
            .filter(|v| fits(&spec.kind, v))
            .unwrap_or_else(|| ParamValue::default_for(&spec.kind))
    }

    /// The validated parameters for `manifest` from the values entered.
    pub fn params(&self, manifest: &Manifest) -> Result<Params, String> {
        let values = manifest
            .params
            .iter()
            .map(|s| (s.id.clone(), self.value(&manifest.id, s)))
            .collect::<Vec<_>>();
        Params::from_values(manifest, values).map_err(|e| e.to_string())
    }

    /// Sets a parameter (e.g. from a file dialog).
    pub fn set_value(&mut self, plugin: &str, param: &str, value: ParamValue) {
        self.values
            .entry(plugin.to_string())
            .or_default()
            .insert(param.to_string(), value);
    }

    /// Shows the panel. `clips` are `(key, name)` of media a clip parameter may pick;
    /// `can_run` is false when there is no clip to run on.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        registry: &Registry,
        clips: &[(String, String)],
        can_run: bool,
        has_range: bool,
        actions: &mut Vec<Action>,
    ) {
        ui.heading("Plugins");
        if self.selected.is_none() {
            self.selected = registry.manifests().next().map(|m| m.id.clone());
        }
        for m in registry.manifests() {
            let on = self.selected.as_deref() == Some(m.id.as_str());
            if ui
                .selectable_label(on, &m.name)
                .on_hover_text(&m.description)
                .clicked()
            {
                self.selected = Some(m.id.clone());
                self.error = None;
            }
        }
        let Some(manifest) = self
            .selected
            .as_deref()
            .and_then(|id| registry.manifest(id))
            .cloned()
        else {
            return;
        };
        ui.separator();
        ui.strong(&manifest.name);
        ui.small(&manifest.description);
        egui::Grid::new("params").num_columns(1).show(ui, |ui| {
            for spec in &manifest.params {
                let mut v = self.value(&manifest.id, spec);
                let mut browse = None;
                let changed = param_widget(ui, spec, &mut v, clips, &mut browse);
                if let Some(extensions) = browse {
                    actions.push(Action::BrowseParam {
                        plugin_id: manifest.id.clone(),
                        param_id: spec.id.clone(),
                        extensions,
                    });
                }
                if changed {
                    self.values
                        .entry(manifest.id.clone())
                        .or_default()
                        .insert(spec.id.clone(), v);
                    self.error = None;
                }
                ui.end_row();
            }
        });
        if ui.small_button("Reset to defaults").clicked() {
            self.values.remove(&manifest.id);
        }
        ui.horizontal(|ui| {
            let run = |ui: &mut egui::Ui, label: &str, enabled: bool, hint: &str| {
                ui.add_enabled(enabled, egui::Button::new(label))
                    .on_disabled_hover_text(hint)
                    .clicked()
            };
            let clicked_clip = run(ui, "Run on clip", can_run, "Open a clip first");
            let clicked_range = run(
                ui,
                "Run on I/O range",
                can_run && has_range,
                "Set in and out points with I and O",
            );
            if clicked_clip || clicked_range {
                match self.params(&manifest) {
                    Ok(params) => actions.push(Action::RunPlugin {
                        plugin_id: manifest.id.clone(),
                        params,
                        on_range: clicked_range,
                    }),
                    Err(e) => self.error = Some(e),
                }
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(egui::Color32::from_rgb(230, 90, 80), e);
        }
    }
}

/// True when `v` has the type `kind` expects (saved values may be stale).
fn fits(kind: &ParamKind, v: &ParamValue) -> bool {
    matches!(
        (kind, v),
        (ParamKind::Float { .. }, ParamValue::Float(_))
            | (ParamKind::Int { .. }, ParamValue::Int(_))
            | (ParamKind::Bool { .. }, ParamValue::Bool(_))
            | (ParamKind::Choice { .. }, ParamValue::Choice(_))
            | (ParamKind::Text { .. }, ParamValue::Text(_))
            | (ParamKind::Time { .. }, ParamValue::Time(_))
            | (ParamKind::ClipRef, ParamValue::ClipRef(_))
            | (ParamKind::FilePath { .. }, ParamValue::FilePath(_))
    )
}

fn unit_suffix(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

/// One parameter's widget; true when the value changed.
fn param_widget(
    ui: &mut egui::Ui,
    spec: &ParamSpec,
    v: &mut ParamValue,
    clips: &[(String, String)],
    browse: &mut Option<Vec<String>>,
) -> bool {
    let help = spec.help.as_str();
    let with_help = |r: egui::Response| {
        if help.is_empty() {
            r
        } else {
            r.on_hover_text(help)
        }
    };
    match (&spec.kind, v) {
        (
            ParamKind::Float {
                min,
                max,
                step,
                unit,
                ..
            },
            ParamValue::Float(x),
        ) => {
            let mut s = egui::Slider::new(x, *min..=*max)
                .text(&spec.label)
                .suffix(unit_suffix(unit));
            if *step > 0.0 {
                s = s.step_by(*step);
            }
            with_help(ui.add(s)).changed()
        }
        (
            ParamKind::Int {
                min,
                max,
                step,
                unit,
                ..
            },
            ParamValue::Int(x),
        ) => {
            let mut s = egui::Slider::new(x, *min..=*max)
                .text(&spec.label)
                .suffix(unit_suffix(unit));
            if *step > 1 {
                s = s.step_by(*step as f64);
            }
            with_help(ui.add(s)).changed()
        }
        (ParamKind::Bool { .. }, ParamValue::Bool(b)) => {
            with_help(ui.checkbox(b, &spec.label)).changed()
        }
        (ParamKind::Choice { options, .. }, ParamValue::Choice(c)) => {
            let shown = options
                .iter()
                .find(|(v, _)| v == c)
                .map(|(_, l)| l.clone())
                .unwrap_or_else(|| c.clone());
            let mut changed = false;
            let r = egui::ComboBox::from_label(&spec.label)
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    for (value, label) in options {
                        changed |= ui.selectable_value(c, value.clone(), label).changed();
                    }
                });
            with_help(r.response);
            changed
        }
        (ParamKind::Text { .. }, ParamValue::Text(t)) => {
            ui.horizontal(|ui| {
                let l = ui.label(&spec.label);
                with_help(ui.text_edit_singleline(t).labelled_by(l.id)).changed()
            })
            .inner
        }
        (ParamKind::Time { default }, ParamValue::Time(t)) => {
            let mut secs = t.to_seconds();
            let changed = ui
                .horizontal(|ui| {
                    let l = ui.label(&spec.label);
                    let r = ui.add(
                        egui::DragValue::new(&mut secs)
                            .range(0.0..=86_400.0)
                            .speed(0.05)
                            .suffix(" s"),
                    );
                    with_help(r.labelled_by(l.id)).changed()
                })
                .inner;
            if changed {
                if let Ok(nt) = RationalTime::from_seconds(secs, default.rate) {
                    *t = nt;
                }
            }
            changed
        }
        (ParamKind::ClipRef, ParamValue::ClipRef(c)) => {
            let shown = c
                .as_ref()
                .and_then(|k| clips.iter().find(|(key, _)| key == k))
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| "(none)".into());
            let mut changed = false;
            let r = egui::ComboBox::from_label(&spec.label)
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    changed |= ui.selectable_value(c, None, "(none)").changed();
                    for (key, name) in clips {
                        changed |= ui.selectable_value(c, Some(key.clone()), name).changed();
                    }
                });
            with_help(r.response);
            changed
        }
        (ParamKind::FilePath { extensions }, ParamValue::FilePath(p)) => {
            ui.horizontal(|ui| {
                let l = ui.label(&spec.label);
                let mut text = p.clone().unwrap_or_default();
                let changed =
                    with_help(ui.text_edit_singleline(&mut text).labelled_by(l.id)).changed();
                if ui.small_button("Browse…").clicked() {
                    *browse = Some(extensions.clone());
                }
                if changed {
                    *p = (!text.is_empty()).then_some(text);
                }
                changed
            })
            .inner
        }
        (_, v) => {
            ui.label(format!("{}: {v:?}", spec.label));
            false
        }
    }
}
