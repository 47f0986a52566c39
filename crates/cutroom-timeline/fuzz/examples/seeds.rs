//! Writes seed corpora for the fuzz targets: `cargo run --example seeds -- <corpus dir>`.
//!
//! Seeds are sample timelines, cues, LUTs and a project written by Cutroom's own writers
//! (where the writer accepts them), plus a few hand-written files in each format, so the
//! fuzzer starts from inputs the readers accept.

use std::fs;
use std::path::Path;

use cutroom_timeline::formats::{cube, edl, fcpxml, otio, srt, webvtt};
use cutroom_timeline::model::TrackKind;
use cutroom_timeline::{
    project_file, Clip, ColorTransform, Gap, Item, Marker, MarkerColor, MediaReference, Project,
    Rate, RationalTime, SubtitleCue, TimeRange, Timeline, Track, Transition,
};

fn sample_timeline(rate: Rate) -> Timeline {
    let mut timeline = Timeline::new("seed cut", rate);
    let mut video = Track::new("V1", TrackKind::Video);
    let media = |name: &str| {
        MediaReference::external(
            format!("file:///media/{name}.mov"),
            Some(TimeRange::from_frames(0, 10_000, rate)),
        )
    };
    let mut first = Clip::new(
        "interview",
        media("A001"),
        TimeRange::from_frames(100, 48, rate),
    );
    first.markers.push(Marker {
        name: "laugh".into(),
        range: TimeRange::from_frames(110, 0, rate),
        color: MarkerColor::default(),
        note: "keep".into(),
        confidence: Some(0.5),
    });
    video.items.push(Item::Clip(first));
    video.items.push(Item::Transition(Transition::dissolve(
        RationalTime::from_frames(6, rate),
        RationalTime::from_frames(6, rate),
    )));
    video.items.push(Item::Clip(Clip::new(
        "b-roll",
        media("B002"),
        TimeRange::from_frames(500, 72, rate),
    )));
    video.items.push(Item::Gap(Gap {
        duration: RationalTime::from_frames(24, rate),
    }));
    video.items.push(Item::Clip(Clip::new(
        "outro",
        media("C003"),
        TimeRange::from_frames(0, 30, rate),
    )));
    timeline.tracks.push(video);
    let mut audio = Track::new("A1", TrackKind::Audio);
    audio.items.push(Item::Clip(Clip::new(
        "music",
        media("music"),
        TimeRange::from_frames(0, 150, rate),
    )));
    timeline.tracks.push(audio);
    timeline
}

fn sample_cues() -> Vec<SubtitleCue> {
    let ms = |a, b| TimeRange::from_frames(a, b - a, Rate::MILLIS);
    let mut second = SubtitleCue::new(ms(2_500, 4_000), "Two lines,\nsecond one");
    second.id = Some("intro".into());
    vec![
        SubtitleCue::new(ms(0, 1_200), "Hello"),
        second,
        SubtitleCue::new(ms(3_600_000, 3_601_999), "<i>an hour</i> & more"),
    ]
}

fn put(dir: &Path, name: &str, text: &str) {
    fs::create_dir_all(dir).expect("create corpus directory");
    fs::write(dir.join(name), text).expect("write seed");
}

fn main() {
    let root = std::env::args()
        .nth(1)
        .expect("usage: seeds <corpus directory>");
    let root = Path::new(&root);
    let rates = [
        ("24", Rate::FPS_24),
        ("2997", Rate::FPS_29_97),
        ("25", Rate::FPS_25),
    ];

    for (label, rate) in rates {
        let tl = sample_timeline(rate);
        if let Ok(text) = edl::write(&tl, false) {
            put(
                &root.join("edl"),
                &format!("written-{label}-ndf.edl"),
                &text,
            );
        }
        if rate.supports_drop_frame() {
            if let Ok(text) = edl::write(&tl, true) {
                put(&root.join("edl"), &format!("written-{label}-df.edl"), &text);
            }
        }
        if let Ok(text) = otio::write(&tl) {
            put(&root.join("otio"), &format!("written-{label}.otio"), &text);
        }
        if let Ok(text) = fcpxml::write(&tl) {
            put(
                &root.join("fcpxml"),
                &format!("written-{label}.fcpxml"),
                &text,
            );
        }
        let mut project = Project::new("seed project", rate);
        project.timelines.push(tl);
        put(
            &root.join("project"),
            &format!("written-{label}.cutroom"),
            &project_file::to_string(&project),
        );
    }
    put(
        &root.join("project"),
        "empty.cutroom",
        &project_file::to_string(&Project::new("empty", Rate::FPS_24)),
    );

    let cues = sample_cues();
    put(&root.join("srt"), "written.srt", &srt::write(&cues));
    put(&root.join("webvtt"), "written.vtt", &webvtt::write(&cues));

    let mut lut = ColorTransform::identity(3);
    lut.method = "mkl".into();
    lut.params.insert("strength".into(), serde_json::json!(0.5));
    lut.domain_max = [1.0, 2.0, 1.5];
    for (i, entry) in lut.table.iter_mut().enumerate() {
        entry[0] = entry[0].powf(2.2) + i as f32 * 1.0e-3;
    }
    put(
        &root.join("cube"),
        "written.cube",
        &cube::write(&lut).expect("write LUT"),
    );
    put(
        &root.join("cube"),
        "identity2.cube",
        &cube::write(&ColorTransform::identity(2)).expect("write LUT"),
    );

    // Hand-written inputs in the shapes other tools produce.
    put(
        &root.join("edl"),
        "hand.edl",
        "TITLE: HAND CUT\nFCM: NON-DROP FRAME\n\n\
         001  A001     V     C        01:00:00:00 01:00:02:00 00:00:00:00 00:00:02:00\n\
         * FROM CLIP NAME: interview.mov\n\n\
         002  A001     V     C        01:00:02:00 01:00:02:00 00:00:02:00 00:00:02:00\n\
         002  B002     V     D    012 02:00:00:00 02:00:03:00 00:00:02:00 00:00:05:00\n\
         * FROM CLIP NAME: broll.mov\n\n\
         003  AX       AA    C        00:00:10:00 00:00:12:00 00:00:05:00 00:00:07:00\n",
    );
    put(
        &root.join("edl"),
        "hand-df.edl",
        "TITLE: DF\nFCM: DROP FRAME\n\n\
         001  TAPE1    V     C        00:00:59;28 00:01:00;04 00:00:00;00 00:00:00;04\n\
         002  BL       V     C        00:00:00;00 00:00:01;00 00:00:00;04 00:00:01;04\n",
    );
    put(
        &root.join("srt"),
        "hand.srt",
        "\u{feff}1\r\n00:00:01,000 --> 00:00:02,500\r\nHi there\r\n\r\n\
         2\r\n00:00:03,000 --> 00:00:04,000 X1:10 X2:20\r\n<b>bold</b>\r\nline two\r\n\r\n",
    );
    put(
        &root.join("webvtt"),
        "hand.vtt",
        "WEBVTT - header text\n\nNOTE a comment\n\nSTYLE\n::cue { color: red }\n\n\
         cue-1\n00:01.000 --> 00:02.500 align:start line:0\nHi <v Bob>there</v>\n\n\
         01:00:00.000 --> 01:00:01.000\n<00:00:00.500>karaoke <c.x>words</c>\n",
    );
    put(
        &root.join("cube"),
        "hand.cube",
        "# Created by hand\nTITLE \"hand\"\nLUT_3D_SIZE 2\nDOMAIN_MIN 0.0 0.0 0.0\n\
         DOMAIN_MAX 1.0 1.0 1.0\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n",
    );
    put(
        &root.join("cube"),
        "resolve.cube",
        "LUT_3D_INPUT_RANGE 0 2\nLUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n",
    );
    put(
        &root.join("otio"),
        "hand.otio",
        r#"{"OTIO_SCHEMA":"Timeline.1","name":"hand","global_start_time":{"OTIO_SCHEMA":"RationalTime.1","rate":24.0,"value":86400.0},"tracks":{"OTIO_SCHEMA":"Stack.1","name":"tracks","children":[{"OTIO_SCHEMA":"Track.1","name":"V1","kind":"Video","children":[{"OTIO_SCHEMA":"Clip.2","name":"c1","source_range":{"OTIO_SCHEMA":"TimeRange.1","start_time":{"OTIO_SCHEMA":"RationalTime.1","rate":24.0,"value":0.0},"duration":{"OTIO_SCHEMA":"RationalTime.1","rate":24.0,"value":48.0}},"media_references":{"DEFAULT_MEDIA":{"OTIO_SCHEMA":"ExternalReference.1","target_url":"file:///a.mov","available_range":null}},"active_media_reference_key":"DEFAULT_MEDIA","markers":[],"effects":[],"metadata":{}},{"OTIO_SCHEMA":"Gap.1","name":"","source_range":{"OTIO_SCHEMA":"TimeRange.1","start_time":{"OTIO_SCHEMA":"RationalTime.1","rate":24.0,"value":0.0},"duration":{"OTIO_SCHEMA":"RationalTime.1","rate":24.0,"value":12.0}},"markers":[],"effects":[],"metadata":{}}],"markers":[],"effects":[],"metadata":{},"source_range":null}],"markers":[],"effects":[],"metadata":{},"source_range":null},"metadata":{}}"#,
    );
    put(
        &root.join("fcpxml"),
        "hand.fcpxml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE fcpxml>
<fcpxml version="1.9">
  <resources>
    <format id="r1" name="FFVideoFormat1080p2398" frameDuration="1001/24000s" width="1920" height="1080"/>
    <asset id="r2" name="A001" start="0s" duration="100100/24000s" hasVideo="1" format="r1">
      <media-rep kind="original-media" src="file:///media/A001.mov"/>
    </asset>
  </resources>
  <library>
    <event name="seed">
      <project name="hand">
        <sequence format="r1" duration="72072/24000s" tcStart="0s">
          <spine>
            <asset-clip ref="r2" offset="0s" name="A001" start="2002/24000s" duration="48048/24000s"/>
            <gap name="Gap" offset="48048/24000s" start="0s" duration="24024/24000s"/>
          </spine>
        </sequence>
      </project>
    </event>
  </library>
</fcpxml>
"#,
    );
}
