//! The viewer's decode thread on real media: a dissolve plays as a cross-fade of the two
//! clips with the renderer's weights, not as a cut.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cutroom_app::playback::{Player, PlayerCommand, Program};
use cutroom_timeline::{
    Clip, Item, MediaReference, Rate, RationalTime, TimeRange, Timeline, Track, TrackKind,
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

fn clip(path: &Path, from: i64, len: i64) -> Item {
    let url = path.display().to_string();
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

#[test]
fn a_dissolve_plays_as_a_cross_fade_with_the_renderers_weights() {
    let dir = tempfile::tempdir().unwrap();
    let (red, blue) = (dir.path().join("red.mp4"), dir.path().join("blue.mp4"));
    flat_clip(&red, "0xE01010");
    flat_clip(&blue, "0x1010E0");
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
        &tl,
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
