//! Headless GUI tests with egui_kittest: the parameter UI built from a manifest, a plugin
//! job's progress and proposal, accept → undo → redo, and the Cancel button.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cutroom_app::export::ExportKind;
use cutroom_app::jobs::JobState;
use cutroom_app::plugins::PluginsPanel;
use cutroom_app::timeline::TimelinePanel;
use cutroom_app::waveform::Waveforms;
use cutroom_app::{Action, AppConfig, CutroomApp};
use cutroom_engine::Registry;
use cutroom_plugin::prelude::*;
use cutroom_plugin::testing::SyntheticSource;
use cutroom_timeline::Item;
use eframe::egui::accesskit::Role;
use eframe::egui::{self, Key, Modifiers};
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;

/// A plugin declaring one parameter of every kind, to exercise the generated UI.
struct ParamZoo;

impl Plugin for ParamZoo {
    fn manifest(&self) -> Manifest {
        Manifest::new(
            "param-zoo",
            "Parameter zoo",
            "0.1.0",
            "Every kind of parameter.",
        )
        .param(
            ParamSpec::float("gain", "Gain", -12.0, 12.0, 3.0)
                .with_unit("dB")
                .with_step(0.5),
        )
        .param(ParamSpec::int("passes", "Passes", 1, 8, 2))
        .param(ParamSpec::bool("enabled", "Enabled", true))
        .param(ParamSpec::choice(
            "mode",
            "Mode",
            &[("fast", "Fast"), ("careful", "Careful")],
            "fast",
        ))
        .param(ParamSpec::new(
            "reference",
            "Reference clip",
            ParamKind::ClipRef,
        ))
    }
    fn run(&self, _: &mut Context, _: &Params) -> Result<Proposal, PluginError> {
        Ok(Proposal::new("param-zoo"))
    }
}

/// 100 frames at 25 fps, bright (luma 240) on frames 10..20 and 40..50, dark elsewhere.
fn bright_runs(frame_delay: Duration) -> SyntheticSource {
    SyntheticSource::new(Rate::FPS_25, 100)
        .named("clip.mp4")
        .with_luma(|i| {
            if (10..20).contains(&i) || (40..50).contains(&i) {
                240
            } else {
                20
            }
        })
        .with_frame_delay(frame_delay)
}

fn app_with(source: SyntheticSource) -> CutroomApp {
    let mut app = CutroomApp::new(AppConfig {
        viewer_size: [320, 180],
        ..AppConfig::default()
    });
    app.add_media("synthetic:clip.mp4", Arc::new(source), None);
    app
}

/// Runs `ffmpeg -v error -y ARGS -c:v libx264 -pix_fmt yuv420p OUT`.
fn ffmpeg(args: &[&str], out: &std::path::Path) {
    let ok = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .arg(out)
        .status()
        .expect("ffmpeg runs");
    assert!(ok.success(), "ffmpeg {args:?}");
}

/// A new app with the media file `path` opened.
fn opened(path: &std::path::Path) -> CutroomApp {
    let mut app = CutroomApp::new(AppConfig::default());
    app.open_path(path);
    assert!(app.wait_for_media(Duration::from_secs(20)));
    app
}

fn harness(app: CutroomApp) -> Harness<'static, CutroomApp> {
    Harness::builder()
        .with_size(egui::vec2(1200.0, 760.0))
        .build_ui_state(|ui, app: &mut CutroomApp| app.show(ui), app)
}

/// Steps the UI until `done` holds, failing after `secs` seconds.
fn step_until(
    h: &mut Harness<'static, CutroomApp>,
    secs: u64,
    what: &str,
    done: impl Fn(&CutroomApp) -> bool,
) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}; jobs {:?}; status {:?}",
            h.state().jobs.rows,
            h.state().status()
        );
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.step();
}

/// Picks the example plugin in the plugins list (its name also heads the parameters).
fn choose_bright_frames(h: &mut Harness<'static, CutroomApp>) {
    h.get_all_by_label("Bright frames").next().unwrap().click();
    h.step();
    assert_eq!(
        h.state().plugins.selected.as_deref(),
        Some("example-brightness")
    );
}

fn first_job_state(app: &CutroomApp) -> Option<JobState> {
    app.jobs.rows.first().map(|r| r.state.clone())
}

fn clip_markers(app: &CutroomApp) -> usize {
    let tl = &app.project().unwrap().timelines[0];
    tl.tracks[0]
        .items
        .iter()
        .map(|i| match i {
            Item::Clip(c) => c.markers.len(),
            _ => 0,
        })
        .sum()
}

#[test]
fn the_parameter_ui_is_generated_from_the_manifest() {
    let mut registry = Registry::new();
    registry.register(Box::new(ParamZoo)).unwrap();
    let clips = vec![("synthetic:ref.mp4".to_string(), "ref.mp4".to_string())];
    let state = (PluginsPanel::default(), Vec::<Action>::new());
    let mut h = Harness::builder()
        .with_size(egui::vec2(380.0, 330.0))
        .build_ui_state(
            move |ui, (panel, actions): &mut (PluginsPanel, Vec<Action>)| {
                panel.ui(ui, &registry, &clips, true, false, actions);
            },
            state,
        );
    h.run();
    // One widget per parameter, labelled as the manifest says, with defaults and units.
    let gain = h.get_by_role_and_label(Role::Slider, "Gain");
    let passes = h.get_by_role_and_label(Role::Slider, "Passes");
    assert_eq!(gain.accesskit_node().numeric_value(), Some(3.0));
    assert_eq!(passes.accesskit_node().numeric_value(), Some(2.0));
    assert!(
        h.query_by(|n| n.value().is_some_and(|v| v.contains("dB")))
            .is_some()
            || h.query_by_label_contains("dB").is_some(),
        "the unit is shown"
    );
    h.get_by_label("Enabled");
    h.get_by_label("Mode");
    h.get_by_label("Reference clip");
    assert!(h.query_by_label("Run on I/O range").is_some());

    // Changing a value is remembered and goes into the validated parameters.
    h.get_by_label("Enabled").click();
    h.run();
    let manifest = ParamZoo.manifest();
    let params = h.state().0.params(&manifest).unwrap();
    assert!(!params.get_bool("enabled").unwrap());
    assert_eq!(params.get_f64("gain").unwrap(), 3.0);

    h.get_by_label("Run on clip").click();
    h.run();
    match h.state().1.as_slice() {
        [Action::RunPlugin {
            plugin_id,
            params,
            on_range: false,
        }] => {
            assert_eq!(plugin_id, "param-zoo");
            assert!(!params.get_bool("enabled").unwrap());
        }
        other => panic!("expected one RunPlugin action, got {other:?}"),
    }
    h.remove_cursor();
    h.run();
    h.snapshot("parameter_ui");
}

#[test]
fn a_plugin_started_without_the_list_is_the_one_the_list_highlights() {
    let mut app = app_with(bright_runs(Duration::ZERO));
    let ids: Vec<String> = app.registry().manifests().map(|m| m.id.clone()).collect();
    let other = ids.iter().find(|i| *i != "example-brightness").unwrap();
    app.plugins.selected = Some(other.clone());
    let manifest = app
        .registry()
        .manifest("example-brightness")
        .unwrap()
        .clone();
    app.run_plugin(
        "example-brightness",
        cutroom_plugin::Params::defaults(&manifest),
        false,
    )
    .unwrap();
    assert_eq!(app.plugins.selected.as_deref(), Some("example-brightness"));
}

#[test]
fn a_plugin_job_shows_progress_then_its_proposal_on_the_timeline() {
    let mut h = harness(app_with(bright_runs(Duration::from_millis(15))));
    h.step();
    choose_bright_frames(&mut h);
    h.get_by_label("Run on clip").click();
    step_until(&mut h, 20, "progress", |a| {
        a.jobs
            .rows
            .first()
            .is_some_and(|r| r.fraction > 0.0 && r.state == JobState::Running)
    });
    assert!(
        h.query_by_label_contains("% — measuring brightness")
            .is_some(),
        "the jobs panel shows the progress message"
    );
    assert!(h.query_by_label("Cancel").is_some());
    step_until(&mut h, 30, "the job to finish", |a| {
        matches!(first_job_state(a), Some(JobState::Finished(_)))
    });
    assert_eq!(first_job_state(h.state()), Some(JobState::Finished(2)));
    h.get_by_label("Proposal from Bright frames: 2 items, 2 selected");
    h.get_by_label_contains("Finished: 2 proposed items");

    // The overlay places the two bright runs at their frames on the timeline.
    let overlay = h.state().review.overlay();
    let spans: Vec<(i64, i64)> = overlay.iter().map(|o| (o.start, o.end)).collect();
    assert_eq!(spans, vec![(10, 20), (40, 50)]);
    assert_eq!(
        h.state().viewer.position,
        10,
        "review starts with the playhead on the first proposed item"
    );

    // The timeline panel alone, for a deterministic snapshot of the overlay.
    let project = h.state().project().unwrap().clone();
    let selected = h.state().selected_clip();
    let mut t = Harness::builder()
        .with_size(egui::vec2(640.0, 130.0))
        .build_ui_state(
            move |ui, panel: &mut TimelinePanel| {
                let mut actions = Vec::new();
                let title = "Proposal from Bright frames: 2 items, 2 selected";
                panel.ui(
                    ui,
                    project.timelines.first(),
                    30,
                    (None, None),
                    &overlay,
                    Some(title),
                    selected,
                    &Waveforms::default(),
                    &mut actions,
                );
            },
            TimelinePanel::default(),
        );
    t.run();
    t.snapshot("timeline_with_proposal");
}

#[test]
fn accept_then_undo_then_redo_restores_each_state() {
    let mut h = harness(app_with(bright_runs(Duration::ZERO)));
    h.step();
    choose_bright_frames(&mut h);
    h.get_by_label("Run on clip").click();
    step_until(&mut h, 30, "the proposal", |a| a.review.pending.is_some());
    assert_eq!(clip_markers(h.state()), 0);

    h.get_by_label("Accept").click();
    h.step();
    h.step();
    assert_eq!(clip_markers(h.state()), 2, "accepting adds both markers");
    assert!(h.state().review.pending.is_none());
    h.get_by_label_contains("Apply example-brightness: 2 items");

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.step();
    h.step();
    assert_eq!(
        clip_markers(h.state()),
        0,
        "Ctrl+Z undoes the whole proposal"
    );

    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.step();
    h.step();
    assert_eq!(clip_markers(h.state()), 2, "Ctrl+Shift+Z redoes it");

    // The toolbar buttons do the same.
    h.get_by_label("Undo").click();
    h.step();
    h.step();
    assert_eq!(clip_markers(h.state()), 0);
    h.get_by_label("Redo").click();
    h.step();
    h.step();
    assert_eq!(clip_markers(h.state()), 2);
}

#[test]
fn the_cancel_button_stops_a_running_job() {
    let slow = SyntheticSource::new(Rate::FPS_25, 5_000)
        .named("long.mp4")
        .with_luma(|_| 20)
        .with_frame_delay(Duration::from_millis(5));
    let mut h = harness(app_with(slow));
    h.step();
    choose_bright_frames(&mut h);
    h.get_by_label("Run on clip").click();
    step_until(&mut h, 20, "the job to run", |a| {
        first_job_state(a) == Some(JobState::Running)
    });
    h.get_by_label("Cancel").click();
    step_until(&mut h, 10, "the job to end", |a| {
        !first_job_state(a).is_some_and(|s| s.is_active())
    });
    assert_eq!(first_job_state(h.state()), Some(JobState::Cancelled));
    h.get_by_label("Cancelled");
    assert!(
        h.query_by_label("Cancel").is_none(),
        "no Cancel button once it is over"
    );
    assert!(
        h.state().review.pending.is_none(),
        "a cancelled job proposes nothing"
    );
}

#[test]
fn a_missing_file_is_reported_in_the_status_line() {
    let mut h = harness(CutroomApp::new(AppConfig::default()));
    h.state_mut()
        .open_path(std::path::Path::new("/nonexistent/clip.mp4"));
    assert_eq!(h.state().status(), Some(("Opening clip.mp4…", false)));
    assert!(h.state_mut().wait_for_media(Duration::from_secs(20)));
    h.step();
    let (msg, error) = h.state().status().unwrap();
    assert!(error);
    assert!(msg.contains("/nonexistent/clip.mp4"), "{msg}");
}

#[test]
fn a_real_clip_is_analysed_accepted_exported_and_rendered() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x90:rate=25:duration=2",
            "-vf",
            "drawbox=color=white:t=fill:enable='between(t,0.5,0.99)'",
        ],
        &clip,
    );
    let app = opened(&clip);
    assert_eq!(app.status().map(|s| s.1), Some(false), "{:?}", app.status());
    let mut h = harness(app);
    h.step();
    choose_bright_frames(&mut h);
    h.get_by_label("Run on clip").click();
    step_until(&mut h, 60, "the proposal", |a| a.review.pending.is_some());
    h.get_by_label("Accept").click();
    h.step();
    assert_eq!(
        clip_markers(h.state()),
        1,
        "the white half second is marked"
    );

    let otio = dir.path().join("out.otio");
    h.state_mut().export_to(ExportKind::Otio, &otio).unwrap();
    let text = std::fs::read_to_string(&otio).unwrap();
    assert!(text.contains("bright"), "the marker is exported");

    let mp4 = dir.path().join("out.mp4");
    let job = h.state_mut().start_render(&mp4).unwrap();
    step_until(&mut h, 120, "the render", |a| {
        !a.job_state(job).is_some_and(|s| s.is_active())
    });
    assert!(
        matches!(h.state().job_state(job), Some(JobState::Rendered(_))),
        "{:?}",
        h.state().job_state(job)
    );
    assert!(std::fs::metadata(&mp4).unwrap().len() > 1000);
    h.get_by_label_contains("Finished: 50 frames");
}

#[test]
fn the_colour_preview_follows_the_strength_slider_without_building_on_the_ui_thread() {
    use cutroom_app::review::{ClipMap, Pending};
    use cutroom_timeline::ColorTransform;
    let mut app = app_with(bright_runs(Duration::ZERO));
    // The largest table colour match bakes: tens of milliseconds to prepare.
    let mut lut = ColorTransform::identity(129);
    lut.table.iter_mut().for_each(|v| v[0] = 1.0);
    let mut proposal = Proposal::new("color-match");
    proposal
        .push(ProposalKind::Color(lut), 0.9, "match")
        .unwrap();
    app.review.set(Pending {
        job: cutroom_engine::JobId(42),
        plugin_name: "Color match".into(),
        proposal,
        target: app.selected_clip().unwrap(),
        map: ClipMap {
            track_start: 0,
            source_start: RationalTime::new(0, Rate::FPS_25),
            rate: Rate::FPS_25,
        },
        selected: Default::default(),
    });
    let mut h = harness(app);
    step_until(&mut h, 30, "the preview LUT", |a| a.viewer.has_preview());
    // A drag: a new strength on every frame; the UI keeps stepping while LUTs build.
    let mut slowest = Duration::ZERO;
    for i in 0..10 {
        h.state_mut().review.strength = 1.0 - i as f32 / 20.0;
        let t = Instant::now();
        h.step();
        slowest = slowest.max(t.elapsed());
    }
    let t = Instant::now();
    let lut = h.state().review.preview_lut().unwrap();
    let _ = cutroom_color::PreparedLut::new(&cutroom_app::review::with_strength(&lut, 0.5));
    let build = t.elapsed();
    assert!(
        slowest < build / 4,
        "a drag step ({slowest:?}) costs about as much as building the LUT ({build:?})"
    );
    assert!(h.state().viewer.has_preview());
    // Turning the wipe off clears the preview at once, and a LUT built for the earlier
    // strengths does not bring it back.
    h.state_mut().review.wipe = false;
    h.step();
    assert!(!h.state().viewer.has_preview());
    for _ in 0..20 {
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!h.state().viewer.has_preview());
}

/// "LUT as .cube" writes the colour match under review as it would be applied (at the
/// strength slider's value), before it is accepted, and the selected clip's once it is.
#[test]
fn the_colour_match_under_review_exports_as_a_cube_at_the_chosen_strength() {
    use cutroom_app::review::{with_strength, ClipMap, Pending};
    use cutroom_timeline::ColorTransform;
    let dir = tempfile::tempdir().unwrap();
    let cube = dir.path().join("match.cube");
    let mut h = harness(app_with(bright_runs(Duration::ZERO)));
    h.step();
    let button = "LUT as .cube…";
    assert!(
        h.get_by_label(button).accesskit_node().is_disabled(),
        "nothing to export yet"
    );
    let err = h
        .state_mut()
        .export_to(ExportKind::Cube, &cube)
        .unwrap_err();
    assert!(err.contains("run a colour match first"), "{err}");
    assert!(!cube.exists());

    let mut lut = ColorTransform::identity(5);
    lut.table.iter_mut().for_each(|v| v[0] = 1.0);
    let mut proposal = Proposal::new("color-match");
    proposal
        .push(ProposalKind::Color(lut.clone()), 0.9, "match")
        .unwrap();
    let target = h.state().selected_clip().unwrap();
    h.state_mut().review.set(Pending {
        job: cutroom_engine::JobId(7),
        plugin_name: "Color match".into(),
        proposal,
        target,
        map: ClipMap {
            track_start: 0,
            source_start: RationalTime::new(0, Rate::FPS_25),
            rate: Rate::FPS_25,
        },
        selected: Default::default(),
    });
    h.state_mut().review.strength = 0.5;
    h.step();
    assert!(!h.get_by_label(button).accesskit_node().is_disabled());
    h.state_mut().export_to(ExportKind::Cube, &cube).unwrap();
    let half = with_strength(&lut, 0.5);
    let close = |a: &ColorTransform, b: &ColorTransform| {
        a.size == b.size
            && a.table
                .iter()
                .zip(&b.table)
                .all(|(x, y)| x.iter().zip(y).all(|(p, q)| (p - q).abs() < 1e-5))
    };
    let written = cutroom_timeline::formats::read_lut(&cube).unwrap();
    assert!(close(&written, &half), "the half-strength table");
    assert!(!close(&written, &lut));

    // Accepted at that strength, the clip's transform is what is exported.
    h.get_by_label("Accept").click();
    h.step();
    assert!(h.state().review.pending.is_none());
    std::fs::remove_file(&cube).unwrap();
    h.state_mut().export_to(ExportKind::Cube, &cube).unwrap();
    let written = cutroom_timeline::formats::read_lut(&cube).unwrap();
    assert!(close(&written, &half));
}

/// Opening media only asks for it: the file is probed on another thread, and arrives in
/// the bin and on the timeline frames later, files in the order they were opened.
#[test]
fn media_is_probed_off_the_ui_thread_and_arrives_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let clip = |name: &str, size: &str| {
        let path = dir.path().join(name);
        let source = format!("testsrc2=size={size}:rate=25:duration=1");
        ffmpeg(&["-f", "lavfi", "-i", &source], &path);
        path
    };
    let a = clip("a.mp4", "160x90");
    let b = clip("b.mp4", "320x180");

    let mut h = harness(CutroomApp::new(AppConfig::default()));
    h.state_mut().open_path(&a);
    h.state_mut().open_path(&b);
    // Nothing was probed yet: the calls only asked.
    let app = h.state();
    assert_eq!(app.status(), Some(("Opening b.mp4…", false)));
    assert_eq!(app.media_opening(), 2);
    assert!(app.media_bin.entries.is_empty());
    assert!(app.project().is_none());
    h.step();
    // The frame drew what was still being opened (both, unless the probes were done by then).
    if h.state().media_opening() == 2 {
        h.get_by_label("Opening b.mp4…");
        h.get_by_label("a.mp4: opening…");
        h.get_by_label("b.mp4: opening…");
    }

    assert!(h.state_mut().wait_for_media(Duration::from_secs(20)));
    h.step();
    let app = h.state();
    assert_eq!(app.media_opening(), 0);
    let (msg, error) = app.status().unwrap();
    assert!(!error && msg == format!("Opened {}", b.display()), "{msg}");
    h.get_by_label(msg);
    let bin: Vec<(&str, &str)> = app
        .media_bin
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.info.as_str()))
        .collect();
    assert_eq!(
        bin,
        [
            ("a.mp4", "160×90 · 25 fps · 1.00 s"),
            ("b.mp4", "320×180 · 25 fps · 1.00 s")
        ]
    );
    // The first started the project, the second was appended to it.
    let tl = &app.project().expect("a project").timelines[0];
    let names: Vec<&str> = tl.tracks[0]
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Clip(c) => Some(c.name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["a.mp4", "b.mp4"]);
}

/// A clip's sound is drawn in the timeline: its waveform is computed from the file's audio
/// off the UI thread, is silent where the audio is, and is loud where the tone is.
#[test]
fn a_clips_waveform_shows_where_its_sound_is() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("tone.mkv");
    // Three seconds; a -6 dB tone in the middle one, silence around it.
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x90:rate=25:duration=3",
            "-f",
            "lavfi",
            "-i",
            "aevalsrc='if(between(t,1,2),0.5*sin(2*PI*440*t),0)':s=48000:d=3",
            "-c:a",
            "pcm_s16le",
        ],
        &clip,
    );
    let mut app = opened(&clip);
    let key = clip.display().to_string();
    let peaks = app
        .waveforms
        .wait_for(&key, Duration::from_secs(20))
        .expect("the waveform is computed")
        .clone();
    assert!(
        (299..=301).contains(&peaks.values.len()),
        "{}",
        peaks.values.len()
    );
    assert!(peaks.max_over(0.05, 0.95) < 0.01, "silent first second");
    assert!(peaks.max_over(2.05, 2.95) < 0.01, "silent last second");
    let tone = &peaks.values[105..195];
    assert!(tone.iter().all(|p| (0.45..0.52).contains(p)), "{:?}", tone);

    // The timeline panel alone draws it (the snapshot shows the loud middle second).
    let project = app.project().unwrap().clone();
    let waveforms = std::mem::take(&mut app.waveforms);
    let mut t = Harness::builder()
        .with_size(egui::vec2(400.0, 90.0))
        .build_ui_state(
            move |ui, panel: &mut TimelinePanel| {
                let mut actions = Vec::new();
                panel.ui(
                    ui,
                    project.timelines.first(),
                    0,
                    (None, None),
                    &[],
                    None,
                    None,
                    &waveforms,
                    &mut actions,
                );
            },
            TimelinePanel::default(),
        );
    t.run();
    t.snapshot("timeline_with_waveform");
}

/// Without a usable sound device the picture still plays, and the transport says why it
/// is silent.
#[test]
fn playback_without_a_sound_device_says_there_is_no_sound() {
    let mut app = app_with(bright_runs(Duration::ZERO));
    app.viewer.sound_device = Some("no-such-device".into());
    let mut h = harness(app);
    h.step();
    assert!(h.query_by_label("No sound").is_none());
    h.key_press(Key::Space);
    step_until(&mut h, 20, "the sound error", |a| {
        a.viewer.sound_error.is_some()
    });
    h.step();
    assert!(h.state().viewer.is_playing(), "the picture plays on");
    let error = h.state().viewer.sound_error.clone().unwrap();
    assert!(error.contains("no-such-device"), "{error}");
    h.get_by_label("No sound");
}
