//! The cue layout engine and the checker, without any model.

use cutroom_plugin::timeline::{Rate, RationalTime, SubtitleCue, TimeRange, WordTiming};
use proptest::prelude::*;
use subtitles::rules::{errors, Severity};
use subtitles::{check_cues, layout_cues, LayoutContext, Rules, ViolationKind};

fn ms(v: i64) -> RationalTime {
    RationalTime::new(v, Rate::MILLIS)
}

fn range(start: i64, end: i64) -> TimeRange {
    TimeRange::new(ms(start), ms(end - start))
}

/// Words spoken one after another, each taking `per_char` ms per character plus 80 ms, with
/// pauses given as `|pause_ms` tokens in the text.
fn speak(text: &str, start: i64, per_char: i64) -> Vec<WordTiming> {
    let mut t = start;
    let mut out = Vec::new();
    for token in text.split_whitespace() {
        if let Some(pause) = token.strip_prefix('|') {
            t += pause.parse::<i64>().unwrap();
            continue;
        }
        let d = token.chars().count() as i64 * per_char + 80;
        out.push(WordTiming {
            text: token.to_string(),
            range: range(t, t + d),
            probability: Some(0.9),
        });
        t += d + 20;
    }
    out
}

fn lay(words: &[WordTiming]) -> Vec<SubtitleCue> {
    layout_cues(words, &LayoutContext::default(), &Rules::default())
}

fn assert_clean(cues: &[SubtitleCue], rules: &Rules) {
    let v = check_cues(cues, rules);
    assert!(
        v.is_empty(),
        "violations: {:#?}\ncues: {:#?}",
        v.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
        cues.iter().map(|c| (&c.range, &c.text)).collect::<Vec<_>>()
    );
}

#[test]
fn a_short_sentence_becomes_one_cue_on_one_line() {
    let words = speak("Ask not what your country can do for you.", 1000, 60);
    let cues = lay(&words);
    assert_eq!(cues.len(), 1);
    assert_eq!(cues[0].text, "Ask not what your country can do for you.");
    assert_eq!(cues[0].range.start, ms(1000));
    assert_eq!(cues[0].words.len(), 9);
    assert_clean(&cues, &Rules::default());
}

#[test]
fn a_line_breaks_after_a_comma_rather_than_mid_phrase() {
    let words = speak(
        "And so, my fellow Americans, ask not what your country can do for you.",
        0,
        55,
    );
    let cues = lay(&words);
    assert_clean(&cues, &Rules::default());
    let texts: Vec<&str> = cues.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        ["And so, my fellow Americans,\nask not what your country can do for you."]
    );
}

#[test]
fn a_line_breaks_before_a_conjunction_not_after_it() {
    let words = speak(
        "We walked along the river for hours and talked about the summer",
        0,
        50,
    );
    let cues = lay(&words);
    assert_clean(&cues, &Rules::default());
    assert_eq!(cues.len(), 1);
    assert_eq!(
        cues[0].text,
        "We walked along the river for hours\nand talked about the summer"
    );
}

#[test]
fn a_line_never_ends_with_an_article_or_preposition_when_it_can_be_avoided() {
    let words = speak(
        "She put the heavy box of old letters on the table in the hall",
        0,
        50,
    );
    let cues = lay(&words);
    let v = check_cues(&cues, &Rules::default());
    assert!(v.is_empty(), "{v:?}");
    for cue in &cues {
        for line in cue.text.lines().take(cue.text.lines().count() - 1) {
            let last = line.split_whitespace().last().unwrap();
            assert!(
                !["the", "of", "on", "in", "a"].contains(&last),
                "{:?}",
                cue.text
            );
        }
    }
}

#[test]
fn lines_have_at_most_42_characters_and_cues_at_most_two_lines() {
    let text = "It was the best of times, it was the worst of times, it was the age of \
                wisdom, it was the age of foolishness, it was the epoch of belief, it was \
                the epoch of incredulity, it was the season of light.";
    let cues = lay(&speak(text, 0, 60));
    assert!(cues.len() > 2);
    for c in &cues {
        assert!(c.text.lines().count() <= 2, "{:?}", c.text);
        assert!(
            c.text.lines().all(|l| l.chars().count() <= 42),
            "{:?}",
            c.text
        );
    }
    assert_clean(&cues, &Rules::default());
    // Every word is kept, in order.
    let all: Vec<String> = cues
        .iter()
        .flat_map(|c| {
            c.text
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        all.join(" "),
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    );
}

#[test]
fn a_single_quick_word_is_held_for_the_minimum_duration() {
    let words = speak("Yes.", 2000, 30);
    let cues = lay(&words);
    assert_eq!(cues.len(), 1);
    assert_eq!(cues[0].range.start, ms(2000));
    assert_eq!(cues[0].range.duration, ms(833));
}

#[test]
fn reading_speed_stays_at_or_below_20_characters_per_second() {
    // 30 characters spoken in about 0.9 s need 1.5 s on screen.
    let words = speak("Absolutely, positively certain", 0, 20);
    let cues = lay(&words);
    assert_eq!(cues.len(), 1);
    let chars = cues[0].text.chars().filter(|c| *c != '\n').count();
    assert_eq!(chars, 30);
    assert_eq!(cues[0].range.duration, ms(1500));
    assert_clean(&cues, &Rules::default());
}

#[test]
fn no_cue_lasts_longer_than_seven_seconds() {
    // Slow speech: about 10 s for 12 short words, no pause long enough to split on.
    let text =
        "one | two | three | four | five | six | seven | eight | nine | ten | eleven | twelve";
    let text = text.replace("| ", "|700 ");
    let cues = lay(&speak(&text, 0, 40));
    assert!(cues.len() >= 2);
    for c in &cues {
        assert!(c.range.duration <= ms(7000), "{:?}", c.range);
    }
    assert_clean(&cues, &Rules::default());
}

#[test]
fn consecutive_cues_are_at_least_two_frames_apart() {
    let rules = Rules::default().with_frame_rate(Rate::FPS_25);
    let text = "First sentence here. Second sentence follows right away. And a third one \
                comes after that, quickly. Then a fourth, to be sure.";
    let cues = layout_cues(&speak(text, 0, 60), &LayoutContext::default(), &rules);
    assert!(cues.len() >= 2);
    for w in cues.windows(2) {
        let gap = (w[1].range.start - w[0].range.end_exclusive()).to_millis();
        assert!(gap >= 80, "gap {gap} ms");
    }
    assert_clean(&cues, &rules);
}

#[test]
fn a_cue_starts_with_its_first_word_and_leaves_soon_after_the_last() {
    let text = "Hello there. |4000 Is anybody home? |6000 I can hear you.";
    let words = speak(text, 30_000, 60);
    let cues = lay(&words);
    assert_eq!(cues.len(), 3);
    for c in &cues {
        assert_eq!(c.range.start, c.words[0].range.start);
        let last_end = c.words.last().unwrap().range.end_exclusive();
        let linger = (c.range.end_exclusive() - last_end).to_millis();
        assert!(linger <= 833, "lingers {linger} ms");
    }
    assert_clean(&cues, &Rules::default());
}

#[test]
fn a_long_pause_inside_a_sentence_splits_the_cue() {
    let text = "I was going to say |2500 something important.";
    let cues = lay(&speak(text, 0, 60));
    assert_eq!(cues.len(), 2);
    assert_eq!(cues[0].text, "I was going to say");
    assert_clean(&cues, &Rules::default());
}

#[test]
fn cue_edges_snap_to_a_nearby_shot_boundary() {
    let words = speak(
        "A cut comes just before this line. |3000 And another after it.",
        1200,
        60,
    );
    let plain = lay(&words);
    let first_end = plain[0].range.end_exclusive().to_millis();
    let ctx = LayoutContext {
        shots: vec![ms(1000), ms(first_end + 300)],
        media_end: None,
    };
    let rules = Rules::default();
    let cues = layout_cues(&words, &ctx, &rules);
    assert_eq!(
        cues[0].range.start,
        ms(1000),
        "start snaps back onto the cut"
    );
    assert_eq!(
        cues[0].range.end_exclusive(),
        ms(first_end + 300 - rules.min_gap_ms()),
        "end snaps to two frames before the cut"
    );
    assert_clean(&cues, &rules);
}

#[test]
fn a_shot_boundary_too_far_away_is_ignored() {
    let words = speak("Nothing to snap to here.", 5000, 60);
    let ctx = LayoutContext {
        shots: vec![ms(3000)],
        media_end: None,
    };
    let cues = layout_cues(&words, &ctx, &Rules::default());
    assert_eq!(cues[0].range.start, ms(5000));
}

#[test]
fn every_limit_is_a_parameter() {
    let rules = Rules {
        max_chars_per_line: 20,
        max_lines: 1,
        max_cps: 15.0,
        min_duration: 1.0,
        max_duration: 3.0,
        ..Rules::default()
    };
    let text = "Every limit can be tuned by the person who runs the plugin, for any house style.";
    let cues = layout_cues(&speak(text, 0, 70), &LayoutContext::default(), &rules);
    for c in &cues {
        assert_eq!(c.text.lines().count(), 1);
        assert!(c.text.chars().count() <= 20, "{:?}", c.text);
        assert!(c.range.duration >= ms(1000));
        assert!(c.range.duration <= ms(3000));
    }
    assert_clean(&cues, &rules);
    // The same cues break the defaults' minimum gap? No — but they break a stricter rule set.
    let strict = Rules {
        max_chars_per_line: 10,
        ..rules.clone()
    };
    assert!(!check_cues(&cues, &strict).is_empty());
}

#[test]
fn a_word_longer_than_a_line_is_split() {
    let long = "Pneumonoultramicroscopicsilicovolcanoconiosis-and-more-letters";
    let cues = lay(&speak(long, 0, 40));
    assert_clean(&cues, &Rules::default());
    assert!(cues
        .iter()
        .all(|c| c.text.lines().all(|l| l.chars().count() <= 42)));
}

#[test]
fn no_words_give_no_cues() {
    assert!(lay(&[]).is_empty());
    assert!(lay(&speak("   ", 0, 50)).is_empty());
}

fn cue(start: i64, end: i64, text: &str) -> SubtitleCue {
    SubtitleCue::new(range(start, end), text)
}

fn kinds(cues: &[SubtitleCue]) -> Vec<ViolationKind> {
    check_cues(cues, &Rules::default())
        .into_iter()
        .map(|v| v.kind)
        .collect()
}

#[test]
fn the_checker_reports_each_broken_rule() {
    let long_line = "This line is far too long to be read comfortably";
    assert_eq!(
        kinds(&[cue(0, 3000, long_line)]),
        [ViolationKind::LineTooLong { line: 1, chars: 48 }]
    );
    assert_eq!(
        kinds(&[cue(0, 3000, "one\ntwo\nthree")]),
        [ViolationKind::TooManyLines { lines: 3 }]
    );
    assert_eq!(
        kinds(&[cue(0, 500, "Hi.")]),
        [ViolationKind::TooShort { ms: 500 }]
    );
    assert_eq!(
        kinds(&[cue(0, 8000, "A long look.")]),
        [ViolationKind::TooLong { ms: 8000 }]
    );
    assert_eq!(
        kinds(&[cue(0, 1000, "Thirty characters, give or ta")]),
        [ViolationKind::TooFast { cps: 29.0 }]
    );
    assert_eq!(
        kinds(&[cue(0, 2000, "First."), cue(1900, 4000, "Second.")]),
        [ViolationKind::Overlap { ms: 100 }]
    );
    assert_eq!(
        kinds(&[cue(0, 2000, "First."), cue(2040, 4000, "Second.")]),
        [ViolationKind::GapTooSmall { ms: 40 }]
    );
    assert_eq!(kinds(&[cue(0, 2000, " ")]), [ViolationKind::EmptyText]);
    let weak = check_cues(
        &[cue(0, 3000, "I walked to the\nshop on the corner")],
        &Rules::default(),
    );
    assert_eq!(weak.len(), 1);
    assert_eq!(weak[0].severity(), Severity::Warning);
    assert_eq!(
        weak[0].to_string(),
        "cue 1 at 00:00:00,000: line 1 ends with \"the\"; break before it"
    );
}

#[test]
fn the_checker_compares_cues_with_their_words() {
    let mut early = cue(0, 3000, "Hello.");
    early.words = vec![WordTiming {
        text: "Hello.".into(),
        range: range(2000, 2500),
        probability: None,
    }];
    assert_eq!(
        kinds(&[early]),
        [ViolationKind::StartsBeforeSpeech { ms: 2000 }]
    );
    let mut lingering = cue(0, 5000, "Hello.");
    lingering.words = vec![WordTiming {
        text: "Hello.".into(),
        range: range(0, 500),
        probability: None,
    }];
    assert_eq!(
        kinds(&[lingering]),
        [ViolationKind::LingersAfterSpeech { ms: 4500 }]
    );
    let mut silent = cue(0, 4000, "Hello there.");
    silent.words = vec![
        WordTiming {
            text: "Hello".into(),
            range: range(0, 500),
            probability: None,
        },
        WordTiming {
            text: "there.".into(),
            range: range(3000, 3500),
            probability: None,
        },
    ];
    assert_eq!(kinds(&[silent]), [ViolationKind::SpansSilence { ms: 2500 }]);
}

#[test]
fn the_checker_reads_limits_in_whole_milliseconds() {
    // 5/6 s is 833 ms and two frames at 23.976 fps are 83 ms in a subtitle file.
    let rules = Rules::default().with_frame_rate(Rate::FPS_23_976);
    let cues = [cue(0, 833, "Yes."), cue(916, 1749, "No.")];
    assert!(check_cues(&cues, &rules).is_empty());
}

const VOCAB: &[&str] = &[
    "the",
    "a",
    "and",
    "of",
    "to",
    "in",
    "but",
    "river",
    "house",
    "quickly",
    "remarkable",
    "yes.",
    "no,",
    "well,",
    "indeed.",
    "why?",
    "extraordinarily",
    "I",
    "you",
    "we",
    "said",
    "nothing",
    "because",
    "on",
    "table.",
    "Mississippi",
    "x",
    "OK!",
    "counterintuitive",
];

type Picks = Vec<(usize, u32, i64, i64)>;

fn picks() -> impl Strategy<Value = Picks> {
    prop::collection::vec((0..VOCAB.len(), 0u32..100, 0i64..3000, 0i64..400), 0..150)
}

/// Words in phrases of at most 20 characters (one line under any tested limit), each
/// phrase spoken densely within a slot long enough to be read under `rules` and followed by
/// the minimum gap — so a layout without violations always exists. Phrases are sometimes
/// separated by pauses.
fn build(picks: &Picks, start: i64, rules: &Rules) -> Vec<WordTiming> {
    let mut out = Vec::new();
    let mut t = start;
    let mut group: Vec<&str> = Vec::new();
    let flush = |group: &mut Vec<&str>, t: &mut i64, jitter: i64, out: &mut Vec<WordTiming>| {
        if group.is_empty() {
            return;
        }
        let chars = group.join(" ").chars().count();
        let slot = rules.needed_ms(chars) + rules.min_gap_ms() + jitter;
        let span = rules.needed_ms(chars) * 4 / 5;
        let d = span / group.len() as i64;
        for (k, w) in group.iter().enumerate() {
            let s = *t + k as i64 * d;
            out.push(WordTiming {
                text: w.to_string(),
                range: range(s, s + (d - 10).max(1)),
                probability: Some(0.5),
            });
        }
        *t += slot;
        group.clear();
    };
    for &(w, roll, pause, jitter) in picks {
        let word = VOCAB[w];
        let len = group.join(" ").chars().count();
        if !group.is_empty() && (len + 1 + word.chars().count() > 20 || roll < 30) {
            flush(&mut group, &mut t, jitter, &mut out);
            if roll < 10 {
                t += pause;
            }
        }
        group.push(word);
    }
    flush(&mut group, &mut t, 0, &mut out);
    out
}

prop_compose! {
    fn rules()(chars in 20usize..60, lines in 1usize..4, cps in 12.0f64..25.0,
               min in 0.5f64..1.5, extra in 2.0f64..6.0, gap in 0u32..4,
               fps in prop::sample::select(vec![Rate::FPS_23_976, Rate::FPS_25, Rate::FPS_29_97])) -> Rules {
        Rules {
            max_chars_per_line: chars,
            max_lines: lines,
            max_cps: cps,
            min_duration: min,
            max_duration: min + extra,
            min_gap_frames: gap,
            frame_rate: fps,
            ..Rules::default()
        }
    }
}

fn assert_no_errors(cues: &[SubtitleCue], rules: &Rules) -> Result<(), TestCaseError> {
    let v = check_cues(cues, rules);
    let errs = errors(&v);
    prop_assert!(
        errs.is_empty(),
        "{:?}",
        errs.iter().map(|v| v.to_string()).collect::<Vec<_>>()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn laid_out_cues_never_break_a_rule(p in picks(), start in 0i64..100_000) {
        let rules = Rules::default();
        let words = build(&p, start, &rules);
        let cues = layout_cues(&words, &LayoutContext::default(), &rules);
        assert_no_errors(&cues, &rules)?;
        // Every word appears once, in order.
        let laid: Vec<&str> = cues.iter().flat_map(|c| c.words.iter().map(|w| w.text.as_str())).collect();
        let given: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        prop_assert_eq!(laid, given);
    }

    #[test]
    fn laid_out_cues_never_break_a_rule_for_any_limits(p in picks(), rules in rules()) {
        let words = build(&p, 0, &rules);
        let cues = layout_cues(&words, &LayoutContext::default(), &rules);
        assert_no_errors(&cues, &rules)?;
    }

    #[test]
    fn shot_snapping_never_breaks_a_rule(p in picks(), cuts in prop::collection::vec(0i64..200_000, 0..40)) {
        let rules = Rules::default();
        let words = build(&p, 0, &rules);
        let ctx = LayoutContext { shots: cuts.into_iter().map(ms).collect(), media_end: None };
        let cues = layout_cues(&words, &ctx, &rules);
        assert_no_errors(&cues, &rules)?;
    }
}
