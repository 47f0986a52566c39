//! A scripted run for the smoke test:
//! `CUTROOM_SMOKE=run:PLUGIN[:accept][:hold=SECONDS][:ref=PATH]` makes the app run `PLUGIN`
//! with default parameters on the opened clip as soon as there is one (with `ref=PATH`, the
//! media at `PATH` is added to the bin and chosen for the plugin's clip-reference
//! parameter, as colour match needs), print its progress to stderr, optionally accept the proposal, keep the window
//! up for `hold` seconds (default 2, for a screenshot) and close. A failed or cancelled job
//! makes [`crate::run_app`] return an error.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cutroom_engine::JobId;
use cutroom_plugin::{ParamKind, ParamValue, Params};
use eframe::egui;

use crate::app::CutroomApp;
use crate::jobs::JobState;

/// Longest a smoke run may take before it fails.
pub const SMOKE_TIMEOUT: Duration = Duration::from_secs(300);

/// What the smoke run does.
#[derive(Debug, Clone, PartialEq)]
pub struct SmokePlan {
    /// Plugin to run.
    pub plugin: String,
    /// Accept the proposal when the job finishes.
    pub accept: bool,
    /// How long to keep the window open afterwards.
    pub hold: Duration,
    /// Media for the plugin's clip-reference parameter.
    pub reference: Option<std::path::PathBuf>,
}

impl SmokePlan {
    /// Parses `run:PLUGIN[:accept][:hold=SECONDS]`.
    pub fn parse(text: &str) -> Result<SmokePlan, String> {
        let mut parts = text.split(':');
        if parts.next() != Some("run") {
            return Err(format!(
                "CUTROOM_SMOKE={text:?}: expected run:PLUGIN[:accept][:hold=SECONDS]"
            ));
        }
        let plugin = parts
            .next()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| format!("CUTROOM_SMOKE={text:?}: no plugin id"))?
            .to_string();
        let mut plan = SmokePlan {
            plugin,
            accept: false,
            hold: Duration::from_secs(2),
            reference: None,
        };
        for p in parts {
            if p == "accept" {
                plan.accept = true;
            } else if let Some(r) = p.strip_prefix("ref=") {
                plan.reference = Some(r.into());
            } else if let Some(s) = p.strip_prefix("hold=") {
                let secs: f64 = s
                    .parse()
                    .map_err(|_| format!("CUTROOM_SMOKE: hold={s:?} is not a number of seconds"))?;
                plan.hold = Duration::from_secs_f64(secs.clamp(0.0, 600.0));
            } else {
                return Err(format!("CUTROOM_SMOKE: unknown option {p:?}"));
            }
        }
        Ok(plan)
    }
}

enum Stage {
    WaitingForClip,
    Running(JobId, f32),
    Holding(Instant),
    Done,
}

/// The smoke run in progress.
pub struct Smoke {
    plan: SmokePlan,
    stage: Stage,
    started: Instant,
    /// Where a failure is reported to [`crate::run_app`].
    pub failure: Arc<Mutex<Option<String>>>,
}

impl Smoke {
    /// Starts following `plan`.
    pub fn new(plan: SmokePlan) -> Smoke {
        Smoke {
            plan,
            stage: Stage::WaitingForClip,
            started: Instant::now(),
            failure: Arc::default(),
        }
    }

    fn fail(&mut self, why: String, ctx: &egui::Context) {
        eprintln!("smoke: FAILED: {why}");
        if let Ok(mut f) = self.failure.lock() {
            *f = Some(why);
        }
        self.stage = Stage::Done;
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }

    /// Advances the script; called once per frame.
    pub fn step(&mut self, app: &mut CutroomApp, ctx: &egui::Context) {
        ctx.request_repaint_after(Duration::from_millis(50));
        if !matches!(self.stage, Stage::Done | Stage::Holding(_))
            && self.started.elapsed() > SMOKE_TIMEOUT
        {
            return self.fail("timed out".into(), ctx);
        }
        match self.stage {
            Stage::WaitingForClip => {
                if app.selected_clip().is_none() {
                    if let Some((msg, true)) = app.status() {
                        let msg = msg.to_string();
                        return self.fail(msg, ctx);
                    }
                    return;
                }
                let Some(manifest) = app.registry().manifest(&self.plan.plugin).cloned() else {
                    return self.fail(format!("no plugin {:?}", self.plan.plugin), ctx);
                };
                let mut values = Vec::new();
                if let Some(path) = self.plan.reference.clone() {
                    let source = match cutroom_source::FfmpegSource::open(&path) {
                        Ok(s) => s,
                        Err(e) => return self.fail(e.to_string(), ctx),
                    };
                    let key = path.display().to_string();
                    app.add_media(&key, Arc::new(source), Some(&path));
                    if let Some(spec) = manifest
                        .params
                        .iter()
                        .find(|s| matches!(s.kind, ParamKind::ClipRef))
                    {
                        values.push((spec.id.clone(), ParamValue::ClipRef(Some(key))));
                    }
                }
                let params = match Params::from_values(&manifest, values) {
                    Ok(p) => p,
                    Err(e) => return self.fail(e.to_string(), ctx),
                };
                match app.run_plugin(&self.plan.plugin, params, false) {
                    Ok(job) => {
                        eprintln!("smoke: started {} as {job}", self.plan.plugin);
                        self.stage = Stage::Running(job, -1.0);
                    }
                    Err(e) => self.fail(e, ctx),
                }
            }
            Stage::Running(job, last) => match app.job_state(job) {
                Some(JobState::Finished(n)) => {
                    eprintln!("smoke: finished with {n} proposed item(s)");
                    if self.plan.accept && app.review.pending.is_some() {
                        app.accept();
                        eprintln!("smoke: accepted: {}", app.status().map_or("", |s| s.0));
                    }
                    eprintln!("smoke: holding for {:.1} s", self.plan.hold.as_secs_f64());
                    self.stage = Stage::Holding(Instant::now());
                }
                Some(JobState::Failed(m)) => self.fail(m, ctx),
                Some(JobState::Cancelled) => self.fail("the job was cancelled".into(), ctx),
                Some(_) => {
                    let f = app.jobs.row(job).map_or(0.0, |r| r.fraction);
                    if f - last >= 0.25 {
                        eprintln!("smoke: progress {:.0}%", f * 100.0);
                        self.stage = Stage::Running(job, f);
                    }
                }
                None => self.fail(format!("{job} disappeared"), ctx),
            },
            Stage::Holding(since) => {
                if since.elapsed() >= self.plan.hold {
                    eprintln!("smoke: closing");
                    self.stage = Stage::Done;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
            Stage::Done => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_smoke_plan_reads_plugin_accept_and_hold() {
        let p = SmokePlan::parse("run:example-brightness:accept:hold=0.5").unwrap();
        assert_eq!(p.plugin, "example-brightness");
        assert!(p.accept);
        assert_eq!(p.hold, Duration::from_millis(500));
        let r = SmokePlan::parse("run:color-match:ref=/tmp/look.mp4").unwrap();
        assert_eq!(r.reference, Some("/tmp/look.mp4".into()));
        assert!(SmokePlan::parse("walk:x").is_err());
        assert!(SmokePlan::parse("run:x:bogus").is_err());
    }
}
