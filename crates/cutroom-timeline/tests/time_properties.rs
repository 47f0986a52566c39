//! Property tests for rational time and timecode.

use cutroom_timeline::time::round_div;
use cutroom_timeline::{Rate, RationalTime, TimeRange, Timecode};
use proptest::prelude::*;

fn video_rate() -> impl Strategy<Value = Rate> {
    prop_oneof![
        Just(Rate::FPS_23_976),
        Just(Rate::FPS_24),
        Just(Rate::FPS_25),
        Just(Rate::FPS_29_97),
        Just(Rate::FPS_30),
        Just(Rate::FPS_50),
        Just(Rate::FPS_59_94),
        Just(Rate::FPS_60),
    ]
}

fn any_rate() -> impl Strategy<Value = Rate> {
    (1i64..200_000, 1i64..2_000).prop_map(|(n, d)| Rate::new(n, d).unwrap())
}

proptest! {
    #[test]
    fn timecode_round_trips_every_frame(frame in 0i64..(24 * 3600 * 60), rate in video_rate(), drop in any::<bool>()) {
        let tc = Timecode::from_frames(frame, rate, drop);
        let parsed = Timecode::parse(&tc.to_string(), rate).unwrap();
        prop_assert_eq!(parsed, tc);
        prop_assert_eq!(parsed.to_frames(rate), frame);
    }

    #[test]
    fn drop_frame_timecode_never_shows_a_skipped_label(frame in 0i64..(30 * 3600 * 30), rate in prop_oneof![Just(Rate::FPS_29_97), Just(Rate::FPS_59_94)]) {
        let tc = Timecode::from_frames(frame, rate, true);
        let skipped = if rate == Rate::FPS_29_97 { 2 } else { 4 };
        prop_assert!(!(tc.seconds == 0 && tc.minutes % 10 != 0 && tc.frames < skipped), "{}", tc);
    }

    #[test]
    fn consecutive_frames_have_consecutive_drop_frame_timecodes(frame in 0i64..(30 * 3600 * 10)) {
        let a = Timecode::from_frames(frame, Rate::FPS_29_97, true);
        let b = Timecode::from_frames(frame + 1, Rate::FPS_29_97, true);
        prop_assert_eq!(b.to_frames(Rate::FPS_29_97) - a.to_frames(Rate::FPS_29_97), 1);
    }

    #[test]
    fn rescaling_to_a_finer_multiple_rate_and_back_is_exact(v in -1_000_000_000i64..1_000_000_000, rate in video_rate(), k in 1u32..1000) {
        let t = RationalTime::new(v, rate);
        let finer = Rate::new(rate.num() as i64 * k as i64, rate.den() as i64).unwrap();
        let there = t.rescaled_to(finer);
        prop_assert_eq!(there, t);
        prop_assert_eq!(there.rescaled_to(rate).value, v);
    }

    #[test]
    fn rescaling_rounds_to_the_nearest_unit(v in -1_000_000_000i64..1_000_000_000, a in any_rate(), b in any_rate()) {
        let t = RationalTime::new(v, a);
        let r = t.rescaled_to(b);
        // |r - t| <= half a unit of b, checked exactly in integers:
        // r.value/b - v/a = (r.value*b.den*a.num - v*a.den*b.num) / (b.num*a.num)
        let diff = r.value as i128 * b.den() as i128 * a.num() as i128 - v as i128 * a.den() as i128 * b.num() as i128;
        let unit = b.den() as i128 * a.num() as i128;
        prop_assert!(2 * diff.abs() <= unit);
    }

    #[test]
    fn addition_then_subtraction_is_identity_at_one_rate(a in -1_000_000_000i64..1_000_000_000, b in -1_000_000_000i64..1_000_000_000, rate in video_rate()) {
        let x = RationalTime::new(a, rate);
        let y = RationalTime::new(b, rate);
        prop_assert_eq!((x + y) - y, x);
        prop_assert_eq!(x + y, y + x);
    }

    #[test]
    fn ordering_agrees_with_exact_seconds(a in -100_000i64..100_000, ra in video_rate(), b in -100_000i64..100_000, rb in video_rate()) {
        let x = RationalTime::new(a, ra);
        let y = RationalTime::new(b, rb);
        let lhs = a as i128 * ra.den() as i128 * rb.num() as i128;
        let rhs = b as i128 * rb.den() as i128 * ra.num() as i128;
        prop_assert_eq!(x.cmp(&y), lhs.cmp(&rhs));
    }

    #[test]
    fn round_div_is_within_half(n in any::<i64>(), d in 1i64..i64::MAX) {
        let q = round_div(n as i128, d as i128).unwrap();
        let err = q * d as i128 - n as i128;
        prop_assert!(2 * err.abs() <= d as i128);
    }

    #[test]
    fn range_intersection_lies_in_both(s1 in 0i64..10_000, d1 in 1i64..10_000, s2 in 0i64..10_000, d2 in 1i64..10_000, rate in video_rate()) {
        let a = TimeRange::from_frames(s1, d1, rate);
        let b = TimeRange::from_frames(s2, d2, rate);
        match a.intersection(&b) {
            Some(i) => {
                prop_assert!(a.overlaps(&b));
                prop_assert!(a.contains(i.start) && b.contains(i.start));
                prop_assert!(i.end_exclusive() <= a.end_exclusive() && i.end_exclusive() <= b.end_exclusive());
            }
            None => prop_assert!(!a.overlaps(&b)),
        }
    }

    #[test]
    fn seconds_conversion_is_nearest_frame(frames in 0i64..10_000_000, rate in video_rate()) {
        let t = RationalTime::new(frames, rate);
        let back = RationalTime::from_seconds(t.to_seconds(), rate).unwrap();
        prop_assert_eq!(back.value, frames);
    }
}

#[test]
fn rates_reject_zero_and_negative_parts() {
    assert!(Rate::new(0, 1).is_err());
    assert!(Rate::new(24, 0).is_err());
    assert!(Rate::new(-24, 1).is_err());
    assert!(Rate::from_f64(f64::NAN).is_err());
    assert!(Rate::from_f64(-1.0).is_err());
}

#[test]
fn drop_frame_is_ignored_at_rates_without_it() {
    let tc = Timecode::from_frames(1800, Rate::FPS_30, true);
    assert!(!tc.drop_frame);
    assert_eq!(tc.to_string(), "00:01:00:00");
    assert!(Timecode::parse("00:01:00;02", Rate::FPS_25).is_err());
}

#[test]
fn rate_deserialization_rejects_zero() {
    let bad: Result<Rate, _> = serde_json::from_str(r#"{"num":0,"den":1}"#);
    assert!(bad.is_err());
    let good: Rate = serde_json::from_str(r#"{"num":60000,"den":2002}"#).unwrap();
    assert_eq!(good, Rate::FPS_29_97);
}
