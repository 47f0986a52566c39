//! Transfer functions and color spaces (Rec.709 primaries, D65 white).

use std::sync::OnceLock;

/// sRGB-encoded value (0–1) to linear light. Negative values and values above 1 are
/// extended symmetrically / along the curve, so out-of-gamut intermediates survive.
pub fn srgb_to_linear(v: f32) -> f32 {
    let a = v.abs();
    let l = if a <= 0.040_45 {
        a / 12.92
    } else {
        ((a + 0.055) / 1.055).powf(2.4)
    };
    l.copysign(v)
}

/// Linear light to an sRGB-encoded value (0–1), extended like [`srgb_to_linear`].
pub fn linear_to_srgb(l: f32) -> f32 {
    let a = l.abs();
    let v = if a <= 0.003_130_8 {
        a * 12.92
    } else {
        1.055 * a.powf(1.0 / 2.4) - 0.055
    };
    v.copysign(l)
}

fn linear_table() -> &'static [f32; 256] {
    static TABLE: OnceLock<[f32; 256]> = OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|i| srgb_to_linear(i as f32 / 255.0)))
}

/// An 8-bit sRGB code value to linear light (table lookup).
pub fn srgb8_to_linear(v: u8) -> f32 {
    linear_table()[v as usize]
}

/// D65 reference white in XYZ (Y = 1).
const WHITE: [f32; 3] = [0.950_47, 1.0, 1.088_83];

const RGB_TO_XYZ: [[f32; 3]; 3] = [
    [0.412_456_4, 0.357_576_1, 0.180_437_5],
    [0.212_672_9, 0.715_152_2, 0.072_175],
    [0.019_333_9, 0.119_192, 0.950_304_1],
];

const XYZ_TO_RGB: [[f32; 3]; 3] = [
    [3.240_454_2, -1.537_138_5, -0.498_531_4],
    [-0.969_266, 1.876_010_8, 0.041_556],
    [0.055_643_4, -0.204_025_9, 1.057_225_2],
];

fn mul(m: &[[f32; 3]; 3], v: [f32; 3]) -> [f32; 3] {
    [
        m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
        m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
        m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
    ]
}

const EPSILON: f32 = 216.0 / 24389.0;
const KAPPA: f32 = 24389.0 / 27.0;

fn lab_f(t: f32) -> f32 {
    if t > EPSILON {
        t.cbrt()
    } else {
        (KAPPA * t + 16.0) / 116.0
    }
}

fn lab_f_inv(f: f32) -> f32 {
    let t = f * f * f;
    if t > EPSILON {
        t
    } else {
        (116.0 * f - 16.0) / KAPPA
    }
}

/// Linear Rec.709 RGB to CIELAB (D65 white; L in 0–100).
pub fn linear_to_lab(rgb: [f32; 3]) -> [f32; 3] {
    let xyz = mul(&RGB_TO_XYZ, rgb);
    let fx = lab_f(xyz[0] / WHITE[0]);
    let fy = lab_f(xyz[1] / WHITE[1]);
    let fz = lab_f(xyz[2] / WHITE[2]);
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// CIELAB (D65) to linear Rec.709 RGB (not clipped to the gamut).
pub fn lab_to_linear(lab: [f32; 3]) -> [f32; 3] {
    let fy = (lab[0] + 16.0) / 116.0;
    let fx = fy + lab[1] / 500.0;
    let fz = fy - lab[2] / 200.0;
    let xyz = [
        lab_f_inv(fx) * WHITE[0],
        lab_f_inv(fy) * WHITE[1],
        lab_f_inv(fz) * WHITE[2],
    ];
    mul(&XYZ_TO_RGB, xyz)
}

/// An 8-bit sRGB color to CIELAB (D65).
pub fn srgb8_to_lab(rgb: [u8; 3]) -> [f32; 3] {
    linear_to_lab(rgb.map(srgb8_to_linear))
}

/// Linear Rec.709 RGB to Oklab (Björn Ottosson's perceptual space; L in 0–1).
pub fn linear_to_oklab(c: [f32; 3]) -> [f32; 3] {
    let l = 0.412_221_46 * c[0] + 0.536_332_55 * c[1] + 0.051_445_995 * c[2];
    let m = 0.211_903_5 * c[0] + 0.680_699_5 * c[1] + 0.107_396_96 * c[2];
    let s = 0.088_302_46 * c[0] + 0.281_718_85 * c[1] + 0.629_978_7 * c[2];
    let (l, m, s) = (l.cbrt(), m.cbrt(), s.cbrt());
    [
        0.210_454_26 * l + 0.793_617_8 * m - 0.004_072_047 * s,
        1.977_998_5 * l - 2.428_592_2 * m + 0.450_593_7 * s,
        0.025_904_037 * l + 0.782_771_77 * m - 0.808_675_77 * s,
    ]
}

/// Oklab to linear Rec.709 RGB (not clipped to the gamut).
pub fn oklab_to_linear(c: [f32; 3]) -> [f32; 3] {
    let l = c[0] + 0.396_337_78 * c[1] + 0.215_803_76 * c[2];
    let m = c[0] - 0.105_561_346 * c[1] - 0.063_854_17 * c[2];
    let s = c[0] - 0.089_484_18 * c[1] - 1.291_485_5 * c[2];
    let (l, m, s) = (l * l * l, m * m * m, s * s * s);
    [
        4.076_741_7 * l - 3.307_711_6 * m + 0.230_969_94 * s,
        -1.268_438 * l + 2.609_757_4 * m - 0.341_319_38 * s,
        -0.004_196_086_3 * l - 0.703_418_6 * m + 1.707_614_7 * s,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f32; 3], b: [f32; 3], tol: f32) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
    }

    #[test]
    fn srgb_transfer_round_trips_and_hits_known_values() {
        assert!((srgb_to_linear(0.5) - 0.214_041).abs() < 1e-5);
        for i in 0..=255 {
            let v = i as f32 / 255.0;
            assert!((linear_to_srgb(srgb_to_linear(v)) - v).abs() < 1e-5);
            assert_eq!(srgb8_to_linear(i as u8), srgb_to_linear(v));
        }
        assert_eq!(srgb_to_linear(-0.5), -srgb_to_linear(0.5));
    }

    #[test]
    fn white_and_primaries_have_their_known_lab_values() {
        assert!(close(
            srgb8_to_lab([255, 255, 255]),
            [100.0, 0.0, 0.0],
            0.01
        ));
        assert!(close(srgb8_to_lab([0, 0, 0]), [0.0, 0.0, 0.0], 0.01));
        // Reference values for sRGB red (D65).
        assert!(close(
            srgb8_to_lab([255, 0, 0]),
            [53.24, 80.09, 67.20],
            0.05
        ));
        // Bruce Lindbloom's calculator: sRGB (106, 81, 67) is Lab (36.657, 8.250, 12.270)
        // under D65 with the sRGB companding.
        assert!(close(
            srgb8_to_lab([106, 81, 67]),
            [36.66, 8.25, 12.27],
            0.1
        ));
    }

    #[test]
    fn lab_and_oklab_round_trip() {
        for rgb in [
            [0.2, 0.5, 0.9],
            [1.0, 1.0, 1.0],
            [0.01, 0.0, 0.3],
            [0.7, 0.1, 0.05],
        ] {
            assert!(close(lab_to_linear(linear_to_lab(rgb)), rgb, 1e-4));
            assert!(close(oklab_to_linear(linear_to_oklab(rgb)), rgb, 1e-4));
        }
        assert!(close(
            linear_to_oklab([1.0, 1.0, 1.0]),
            [1.0, 0.0, 0.0],
            1e-3
        ));
    }
}
