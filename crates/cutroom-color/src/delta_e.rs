//! CIEDE2000 color difference.

use crate::convert::srgb8_to_lab;
use crate::lut::{resolve_threads, ColorError};

/// The CIEDE2000 difference between two CIELAB colors (kL = kC = kH = 1), following Sharma,
/// Wu and Dalal, "The CIEDE2000 color-difference formula: implementation notes,
/// supplementary test data, and mathematical observations" (2005).
pub fn delta_e_2000(lab1: [f32; 3], lab2: [f32; 3]) -> f64 {
    let [l1, a1, b1] = lab1.map(f64::from);
    let [l2, a2, b2] = lab2.map(f64::from);
    let c1 = a1.hypot(b1);
    let c2 = a2.hypot(b2);
    let c_bar = (c1 + c2) / 2.0;
    let c7 = c_bar.powi(7);
    let g = 0.5 * (1.0 - (c7 / (c7 + 25f64.powi(7))).sqrt());
    let a1p = (1.0 + g) * a1;
    let a2p = (1.0 + g) * a2;
    let c1p = a1p.hypot(b1);
    let c2p = a2p.hypot(b2);
    let hue = |a: f64, b: f64| {
        if a == 0.0 && b == 0.0 {
            0.0
        } else {
            let h = b.atan2(a).to_degrees();
            if h < 0.0 {
                h + 360.0
            } else {
                h
            }
        }
    };
    let h1p = hue(a1p, b1);
    let h2p = hue(a2p, b2);

    let dl = l2 - l1;
    let dc = c2p - c1p;
    let dh = if c1p * c2p == 0.0 {
        0.0
    } else {
        let d = h2p - h1p;
        if d > 180.0 {
            d - 360.0
        } else if d < -180.0 {
            d + 360.0
        } else {
            d
        }
    };
    let dh_big = 2.0 * (c1p * c2p).sqrt() * (dh.to_radians() / 2.0).sin();

    let l_bar = (l1 + l2) / 2.0;
    let cp_bar = (c1p + c2p) / 2.0;
    let hp_bar = if c1p * c2p == 0.0 {
        h1p + h2p
    } else if (h1p - h2p).abs() <= 180.0 {
        (h1p + h2p) / 2.0
    } else if h1p + h2p < 360.0 {
        (h1p + h2p + 360.0) / 2.0
    } else {
        (h1p + h2p - 360.0) / 2.0
    };
    let t = 1.0 - 0.17 * (hp_bar - 30.0).to_radians().cos()
        + 0.24 * (2.0 * hp_bar).to_radians().cos()
        + 0.32 * (3.0 * hp_bar + 6.0).to_radians().cos()
        - 0.20 * (4.0 * hp_bar - 63.0).to_radians().cos();
    let d_theta = 30.0 * (-((hp_bar - 275.0) / 25.0).powi(2)).exp();
    let cp7 = cp_bar.powi(7);
    let r_c = 2.0 * (cp7 / (cp7 + 25f64.powi(7))).sqrt();
    let l50 = (l_bar - 50.0).powi(2);
    let s_l = 1.0 + 0.015 * l50 / (20.0 + l50).sqrt();
    let s_c = 1.0 + 0.045 * cp_bar;
    let s_h = 1.0 + 0.015 * cp_bar * t;
    let r_t = -(2.0 * d_theta.to_radians()).sin() * r_c;
    let (xl, xc, xh) = (dl / s_l, dc / s_c, dh_big / s_h);
    (xl * xl + xc * xc + xh * xh + r_t * xc * xh).sqrt()
}

/// Mean CIEDE2000 difference between two RGBA8 images of the same size (alpha ignored),
/// computed on `threads` threads (0 = all available cores).
pub fn mean_delta_e_2000_rgba8(a: &[u8], b: &[u8], threads: usize) -> Result<f64, ColorError> {
    if a.len() != b.len() || a.len() % 4 != 0 {
        return Err(ColorError::Size(format!(
            "images of {} and {} bytes are not two RGBA8 images of one size",
            a.len(),
            b.len()
        )));
    }
    let pixels = a.len() / 4;
    if pixels == 0 {
        return Ok(0.0);
    }
    let threads = resolve_threads(threads).min(pixels);
    let per = pixels.div_ceil(threads) * 4;
    let total: f64 = std::thread::scope(|s| {
        let handles: Vec<_> = a
            .chunks(per)
            .zip(b.chunks(per))
            .map(|(x, y)| {
                s.spawn(move || {
                    x.chunks_exact(4)
                        .zip(y.chunks_exact(4))
                        .map(|(p, q)| {
                            if p[..3] == q[..3] {
                                0.0
                            } else {
                                delta_e_2000(
                                    srgb8_to_lab([p[0], p[1], p[2]]),
                                    srgb8_to_lab([q[0], q[1], q[2]]),
                                )
                            }
                        })
                        .sum::<f64>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(f64::NAN))
            .sum()
    });
    Ok(total / pixels as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 34 pairs of Sharma, Wu and Dalal's supplementary test data: L1 a1 b1 L2 a2 b2 ΔE00.
    const SHARMA: [[f32; 7]; 34] = [
        [50.0, 2.6772, -79.7751, 50.0, 0.0, -82.7485, 2.0425],
        [50.0, 3.1571, -77.2803, 50.0, 0.0, -82.7485, 2.8615],
        [50.0, 2.8361, -74.0200, 50.0, 0.0, -82.7485, 3.4412],
        [50.0, -1.3802, -84.2814, 50.0, 0.0, -82.7485, 1.0000],
        [50.0, -1.1848, -84.8006, 50.0, 0.0, -82.7485, 1.0000],
        [50.0, -0.9009, -85.5211, 50.0, 0.0, -82.7485, 1.0000],
        [50.0, 0.0, 0.0, 50.0, -1.0, 2.0, 2.3669],
        [50.0, -1.0, 2.0, 50.0, 0.0, 0.0, 2.3669],
        [50.0, 2.49, -0.001, 50.0, -2.49, 0.0009, 7.1792],
        [50.0, 2.49, -0.001, 50.0, -2.49, 0.0010, 7.1792],
        [50.0, 2.49, -0.001, 50.0, -2.49, 0.0011, 7.2195],
        [50.0, 2.49, -0.001, 50.0, -2.49, 0.0012, 7.2195],
        [50.0, -0.001, 2.49, 50.0, 0.0009, -2.49, 4.8045],
        [50.0, -0.001, 2.49, 50.0, 0.0010, -2.49, 4.8045],
        [50.0, -0.001, 2.49, 50.0, 0.0011, -2.49, 4.7461],
        [50.0, 2.5, 0.0, 50.0, 0.0, -2.5, 4.3065],
        [50.0, 2.5, 0.0, 73.0, 25.0, -18.0, 27.1492],
        [50.0, 2.5, 0.0, 61.0, -5.0, 29.0, 22.8977],
        [50.0, 2.5, 0.0, 56.0, -27.0, -3.0, 31.9030],
        [50.0, 2.5, 0.0, 58.0, 24.0, 15.0, 19.4535],
        [50.0, 2.5, 0.0, 50.0, 3.1736, 0.5854, 1.0000],
        [50.0, 2.5, 0.0, 50.0, 3.2972, 0.0, 1.0000],
        [50.0, 2.5, 0.0, 50.0, 1.8634, 0.5757, 1.0000],
        [50.0, 2.5, 0.0, 50.0, 3.2592, 0.3350, 1.0000],
        [
            60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644,
        ],
        [
            63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630,
        ],
        [61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731],
        [35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645],
        [
            22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373,
        ],
        [36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146],
        [90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441],
        [90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381],
        [6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377],
        [2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082],
    ];

    #[test]
    fn delta_e_2000_matches_sharmas_published_test_data() {
        for (i, row) in SHARMA.iter().enumerate() {
            let a = [row[0], row[1], row[2]];
            let b = [row[3], row[4], row[5]];
            let expected = f64::from(row[6]);
            let got = delta_e_2000(a, b);
            assert!(
                (got - expected).abs() < 1e-4,
                "pair {}: {got} != {expected}",
                i + 1
            );
            assert!(
                (delta_e_2000(b, a) - expected).abs() < 1e-4,
                "pair {} reversed",
                i + 1
            );
        }
    }

    #[test]
    fn identical_images_differ_by_zero_and_sizes_must_match() {
        let img = [10u8, 200, 30, 255, 0, 0, 0, 255];
        assert_eq!(mean_delta_e_2000_rgba8(&img, &img, 2).unwrap(), 0.0);
        assert!(mean_delta_e_2000_rgba8(&img, &img[..4], 1).is_err());
        let other = [10u8, 200, 30, 0, 255, 255, 255, 7];
        let d = mean_delta_e_2000_rgba8(&img, &other, 0).unwrap();
        assert!((d - 50.0).abs() < 0.01, "{d}");
    }
}
