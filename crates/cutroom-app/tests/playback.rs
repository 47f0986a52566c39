//! The viewer's decode thread on real media: a dissolve plays as a cross-fade of the two
//! clips with the renderer's weights, not as a cut; video tracks are composited as the
//! renderer does; relative media paths in a timeline file are found next to the file, also
//! after recovering an autosave; a timeline's media is probed off the calling thread, for
//! the open timeline only, and missing media is reported.
//!
//! One test here changes the process's current directory; the others use absolute paths
//! only, so they do not depend on it.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cutroom_app::jobs::JobState;
use cutroom_app::playback::{Player, PlayerCommand, Program};
use cutroom_app::{AppConfig, CutroomApp};
use cutroom_timeline::{
    Clip, Gap, Item, MediaReference, Rate, RationalTime, TimeRange, Timeline, Track, TrackKind,
    Transition,
};

fn frames(n: i64) -> RationalTime {
    RationalTime::new(n, Rate::FPS_25)
}

/// Two seconds of one flat colour at 25 fps.
fn flat_clip(path: &Path, colour: &str) {
    let ok = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("color=c={colour}:size=64x36:rate=25:duration=2"))
        .args(["-c:v", "libx264", "-pix_fmt", "yuv444p", "-qp", "0"])
        .arg(path)
        .status()
        .expect("ffmpeg runs");
    assert!(ok.success());
}

/// `dir/red.mp4` and `dir/blue.mp4`, two seconds of each colour.
fn red_and_blue(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (red, blue) = (dir.join("red.mp4"), dir.join("blue.mp4"));
    flat_clip(&red, "0xE01010");
    flat_clip(&blue, "0x1010E0");
    (red, blue)
}

fn clip(path: &Path, from: i64, len: i64) -> Item {
    clip_named(&path.display().to_string(), from, len)
}

/// A clip of the media at `url` (as written in a timeline file).
fn clip_named(url: &str, from: i64, len: i64) -> Item {
    Item::Clip(Clip::new(
        "clip",
        MediaReference::external(url, Some(TimeRange::new(frames(0), frames(50)))),
        TimeRange::new(frames(from), frames(len)),
    ))
}

/// The centre pixel of timeline frame `frame` as the viewer would show it.
fn centre_pixel(player: &Player, generation: u64, frame: i64) -> [u8; 3] {
    player.send(PlayerCommand::Show { generation, frame });
    let start = Instant::now();
    loop {
        if let Some(f) = player.try_recv() {
            if f.generation == generation {
                assert_eq!(f.frame, frame);
                let [w, h] = f.image.size;
                let p = f.image.pixels[(h / 2) * w + w / 2];
                return [p.r(), p.g(), p.b()];
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no frame {frame}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn close(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 3)
}

/// The bin's first entry is `red.mp4` from `dir`, found and probed (64×36).
fn assert_bin_holds_red_clip(app: &CutroomApp, dir: &std::path::Path) {
    let entry = &app.media_bin.entries[0];
    assert_eq!(entry.key, "red.mp4");
    assert_eq!(entry.path.as_deref(), Some(dir.join("red.mp4").as_path()));
    assert!(entry.info.contains("64×36"), "{}", entry.info);
}

#[test]
fn a_dissolve_plays_as_a_cross_fade_with_the_renderers_weights() {
    let dir = tempfile::tempdir().unwrap();
    let (red, blue) = red_and_blue(dir.path());
    // Red for 40 frames, a 10-frame dissolve centred on the cut, blue for 40 frames.
    let mut tl = Timeline::new("dissolve", Rate::FPS_25);
    let mut v = Track::new("V1", TrackKind::Video);
    v.items = vec![
        clip(&red, 0, 40),
        Item::Transition(Transition::dissolve(frames(5), frames(5))),
        clip(&blue, 10, 40),
    ];
    tl.tracks.push(v);
    let player = Player::spawn([64, 36], None);
    player.send(PlayerCommand::SetProgram(Arc::new(Program::from_timeline(
        &tl, None,
    ))));

    let r = centre_pixel(&player, 1, 20);
    let b = centre_pixel(&player, 2, 60);
    assert!(r[0] > 200 && r[2] < 40, "red before the dissolve: {r:?}");
    assert!(b[2] > 200 && b[0] < 40, "blue after it: {b:?}");
    let mut last_red = 256;
    for (g, frame) in (35..45).enumerate() {
        let w = cutroom_media::render::dissolve_weight((frame - 35) as f64, 10.0, 1.0);
        let mut want = [r[0], r[1], r[2], 255];
        cutroom_media::render::blend(&mut want, Some(&[b[0], b[1], b[2], 255]), w);
        let got = centre_pixel(&player, 3 + g as u64, frame);
        assert!(
            close(got, [want[0], want[1], want[2]]),
            "frame {frame}: got {got:?}, the renderer's mix is {want:?}"
        );
        assert!(u32::from(got[0]) < last_red, "red fades out steadily");
        last_red = u32::from(got[0]);
    }
    // The cut frame itself is a mix, not either clip.
    let cut = centre_pixel(&player, 100, 40);
    assert!(cut[0] > 80 && cut[2] > 80, "frame 40 mixes both: {cut:?}");
}

fn is_red(p: [u8; 3]) -> bool {
    p[0] > 200 && p[2] < 40
}

fn is_blue(p: [u8; 3]) -> bool {
    p[2] > 200 && p[0] < 40
}

#[test]
fn a_clip_on_v2_shows_over_v1_where_it_is_and_v1_shows_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let (red, blue) = red_and_blue(dir.path());
    // V1: red for 50 frames. V2: a 10-frame gap, then 20 frames of blue.
    let mut tl = Timeline::new("two tracks", Rate::FPS_25);
    let mut v1 = Track::new("V1", TrackKind::Video);
    v1.items = vec![clip(&red, 0, 50)];
    let mut v2 = Track::new("V2", TrackKind::Video);
    v2.items = vec![
        Item::Gap(Gap {
            duration: frames(10),
        }),
        clip(&blue, 0, 20),
    ];
    tl.tracks.push(v1);
    tl.tracks.push(v2);
    let player = Player::spawn([64, 36], None);
    player.send(PlayerCommand::SetProgram(Arc::new(Program::from_timeline(
        &tl, None,
    ))));
    // Played in order, as the viewer does, then once more after seeking back.
    for (g, frame) in [0, 9, 10, 20, 29, 30, 40, 49, 15, 5, 35]
        .into_iter()
        .enumerate()
    {
        let p = centre_pixel(&player, g as u64 + 1, frame);
        if (10..30).contains(&frame) {
            assert!(is_blue(p), "frame {frame} shows V2's blue: {p:?}");
        } else {
            assert!(is_red(p), "frame {frame} shows V1's red: {p:?}");
        }
    }
}

/// `dir/red.mp4` and `dir/cut.otio`, a timeline that names it by its bare file name.
fn relative_timeline(dir: &Path) -> std::path::PathBuf {
    flat_clip(&dir.join("red.mp4"), "0xE01010");
    let mut tl = Timeline::new("relative", Rate::FPS_25);
    let mut v = Track::new("V1", TrackKind::Video);
    v.items = vec![clip_named("red.mp4", 0, 50)];
    tl.tracks.push(v);
    let otio = dir.join("cut.otio");
    cutroom_timeline::formats::write_timeline(&tl, &otio, &Default::default()).unwrap();
    otio
}

#[test]
fn relative_media_paths_in_an_opened_timeline_are_found_next_to_the_file() {
    let project = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let otio = relative_timeline(project.path());
    let text = std::fs::read_to_string(&otio).unwrap();
    assert!(
        text.contains("\"red.mp4\""),
        "the file names its clip relatively"
    );

    // Nothing named red.mp4 where the process runs.
    std::env::set_current_dir(elsewhere.path()).unwrap();
    let mut app = CutroomApp::new(AppConfig {
        viewer_size: [64, 36],
        ..AppConfig::default()
    });
    app.open_path(&otio);
    assert!(app.wait_for_media(Duration::from_secs(20)));
    assert_eq!(app.status().map(|s| s.1), Some(false), "{:?}", app.status());
    assert_eq!(app.media_base(), Some(project.path()));

    // The viewer decodes the clip: a missing file would show a 16×9 black picture.
    let mut h = egui_kittest::Harness::builder()
        .with_size(eframe::egui::vec2(1000.0, 700.0))
        .build_ui_state(|ui, app: &mut CutroomApp| app.show(ui), app);
    let start = Instant::now();
    while h.state().viewer.shown_frame().is_none() {
        assert!(start.elapsed() < Duration::from_secs(20), "no frame shown");
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(h.state().viewer.picture_size(), Some([64, 36]));
    let mut app = h.into_state();
    let player = Player::spawn([64, 36], None);
    player.send(PlayerCommand::SetProgram(Arc::new(
        app.viewer.program().clone(),
    )));
    assert!(is_red(centre_pixel(&player, 1, 25)), "frame 25 decodes");

    // The bin found and probed it (its thumbnail is decoded from this path).
    assert_bin_holds_red_clip(&app, project.path());

    // A plugin runs on the clip.
    let manifest = app
        .registry()
        .manifest("example-brightness")
        .unwrap()
        .clone();
    let params = cutroom_plugin::Params::defaults(&manifest);
    let job = app.run_plugin("example-brightness", params, false).unwrap();
    // The render finds it too.
    let mp4 = elsewhere.path().join("out.mp4");
    let render = app.start_render(&mp4).unwrap();
    let start = Instant::now();
    let done = |s: Option<JobState>| s.is_some_and(|s| !s.is_active());
    while !(done(app.job_state(job)) && done(app.job_state(render))) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "jobs did not end"
        );
        std::thread::sleep(Duration::from_millis(20));
        app.poll_jobs();
    }
    assert!(
        matches!(app.job_state(job), Some(JobState::Finished(_))),
        "{:?}",
        app.job_state(job)
    );
    assert!(
        matches!(app.job_state(render), Some(JobState::Rendered(_))),
        "{:?}",
        app.job_state(render)
    );
    assert!(std::fs::metadata(&mp4).unwrap().len() > 1000);

    // Exported elsewhere, the timeline names the clip so that it is still found.
    let copy = elsewhere.path().join("copy.otio");
    app.export_to(cutroom_app::export::ExportKind::Otio, &copy)
        .unwrap();
    let text = std::fs::read_to_string(&copy).unwrap();
    let full = project.path().join("red.mp4").display().to_string();
    assert!(text.contains(&full), "{text}");
}

#[test]
fn a_recovered_autosave_finds_relative_media_next_to_the_file_it_came_from() {
    let project = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let otio = relative_timeline(project.path());
    let config = || AppConfig {
        viewer_size: [64, 36],
        data_dir: Some(data.path().to_path_buf()),
        ..AppConfig::default()
    };

    // A session opens the file and is edited (the autosave holds the relative path)...
    let mut app = CutroomApp::new(config());
    app.open_path(&otio);
    assert!(app.wait_for_media(Duration::from_secs(20)));
    let autosave = data.path().join(cutroom_app::RECOVERY_FILE);
    cutroom_timeline::project_file::save(app.project().unwrap(), &autosave).unwrap();
    // ... and ends without shutting down.
    drop(app);

    let mut app = CutroomApp::new(config());
    assert_eq!(app.recovery_prompt(), Some(autosave.as_path()));
    app.recover();
    assert!(app.wait_for_media(Duration::from_secs(20)));
    assert_eq!(app.status().map(|s| s.1), Some(false), "{:?}", app.status());
    assert_eq!(app.media_base(), Some(project.path()));
    assert_bin_holds_red_clip(&app, project.path());

    // A clean shutdown removes both recovery files.
    app.shut_down();
    assert!(!autosave.exists());
    assert!(!data.path().join(cutroom_app::RECOVERY_BASE_FILE).exists());
}

/// A project's media is probed on another thread: what arrives for a project that was
/// replaced meanwhile is dropped, and media that cannot be opened is reported.
#[test]
fn project_media_arrives_for_the_open_project_only_and_missing_media_is_reported() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let replaced = relative_timeline(first.path());
    flat_clip(&second.path().join("blue.mp4"), "0x1010E0");
    let mut tl = Timeline::new("offline", Rate::FPS_25);
    let mut v = Track::new("V1", TrackKind::Video);
    v.items = vec![clip_named("blue.mp4", 0, 50), clip_named("gone.mp4", 0, 50)];
    tl.tracks.push(v);
    let opened = second.path().join("offline.otio");
    cutroom_timeline::formats::write_timeline(&tl, &opened, &Default::default()).unwrap();

    let mut app = CutroomApp::new(AppConfig {
        viewer_size: [64, 36],
        ..AppConfig::default()
    });
    app.open_path(&replaced);
    app.open_path(&opened);
    assert!(
        app.media_bin.entries.is_empty(),
        "opening a timeline probes none of its media on the calling thread"
    );
    assert_eq!(app.media_opening(), 3);
    let manifest = app.registry().manifest("example-brightness").unwrap();
    let params = cutroom_plugin::Params::defaults(manifest);
    let err = app
        .run_plugin("example-brightness", params.clone(), false)
        .unwrap_err();
    assert!(err.contains("still being opened"), "{err}");
    assert!(app.wait_for_media(Duration::from_secs(20)));

    let keys: Vec<&str> = app
        .media_bin
        .entries
        .iter()
        .map(|e| e.key.as_str())
        .collect();
    assert_eq!(
        keys,
        ["blue.mp4"],
        "red.mp4 belonged to the replaced timeline"
    );
    let (msg, error) = app.status().unwrap();
    let gone = second.path().join("gone.mp4").display().to_string();
    assert!(
        error && msg.starts_with("Media offline: ") && msg.contains(&gone),
        "{msg}"
    );
    app.perform(cutroom_app::Action::SelectClip(cutroom_engine::Target {
        timeline: 0,
        track: 0,
        item: 1,
    }));
    let err = app
        .run_plugin("example-brightness", params, false)
        .unwrap_err();
    assert!(err.contains("\"clip\" is not available"), "{err}");
}
