//! Color math shared by Cutroom's color-match plugin, renderer and preview.
//!
//! * [`apply_lut_rgba8`] and [`PreparedLut`] apply a [`ColorTransform`] (a 3D LUT) to RGBA8
//!   frames with tetrahedral or trilinear [`Interpolation`], in packed fixed point,
//!   multithreaded; [`eval_lut`] / [`eval_lut_with`] are the same interpolations in floating
//!   point for one color. `cargo run --release -p cutroom-color --example lut_speed` measures
//!   the frame rate on 1080p frames.
//! * [`srgb_to_linear`] / [`linear_to_srgb`], CIELAB ([`linear_to_lab`], [`lab_to_linear`]),
//!   Oklab ([`linear_to_oklab`], [`oklab_to_linear`]) and [`delta_e_2000`].
//!
//! Colors are assumed to be Rec.709 / sRGB: Rec.709 primaries, D65 white, and the sRGB
//! transfer function between 8-bit code values and linear light.

mod convert;
mod delta_e;
mod lut;

pub use convert::{
    lab_to_linear, linear_to_lab, linear_to_oklab, linear_to_srgb, oklab_to_linear, srgb8_to_lab,
    srgb8_to_linear, srgb_to_linear,
};
pub use delta_e::{delta_e_2000, mean_delta_e_2000_rgba8};
pub use lut::{
    apply_lut_rgba8, eval_lut, eval_lut_with, for_each_corner, ColorError, Interpolation,
    PreparedLut,
};

/// Re-export of the transform type LUTs are stored in.
pub use cutroom_timeline::ColorTransform;
