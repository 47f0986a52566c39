//! Reader for CTranslate2 `model.bin` files (format version 6 and earlier 5).
//!
//! Layout (little endian): `u32 version`; `string name`; `u32 revision`; `u32 count`; then
//! per variable `string name`, `u8 rank`, `rank × u32 dims`, `u8 dtype` (0 f32, 1 i8, 2 i16,
//! 3 i32, 4 f16, 5 bf16), `u32 byte count`, raw data; then `u32 alias count` and pairs of
//! strings (alias, target). A string is a `u16` length including a trailing NUL, then bytes.

use std::collections::HashMap;
use std::path::Path;

use crate::WhisperError;

/// Element type of a stored variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ct2Type {
    /// 32-bit float.
    F32,
    /// 8-bit integer (quantized weights).
    I8,
    /// 16-bit integer.
    I16,
    /// 32-bit integer.
    I32,
    /// IEEE half.
    F16,
    /// bfloat16.
    Bf16,
}

impl Ct2Type {
    fn from_code(code: u8) -> Option<Ct2Type> {
        Some(match code {
            0 => Ct2Type::F32,
            1 => Ct2Type::I8,
            2 => Ct2Type::I16,
            3 => Ct2Type::I32,
            4 => Ct2Type::F16,
            5 => Ct2Type::Bf16,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Ct2Type::I8 => 1,
            Ct2Type::I16 | Ct2Type::F16 | Ct2Type::Bf16 => 2,
            Ct2Type::F32 | Ct2Type::I32 => 4,
        }
    }
}

/// One stored variable.
#[derive(Debug, Clone)]
pub struct Ct2Variable {
    /// Shape (empty for a scalar).
    pub dims: Vec<usize>,
    /// Element type.
    pub dtype: Ct2Type,
    /// Raw little-endian data.
    pub data: Vec<u8>,
}

impl Ct2Variable {
    /// The values as `f32` (floats converted, integers cast).
    pub fn to_f32(&self) -> Vec<f32> {
        match self.dtype {
            Ct2Type::F32 => self
                .data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Ct2Type::F16 => self
                .data
                .chunks_exact(2)
                .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
            Ct2Type::Bf16 => self
                .data
                .chunks_exact(2)
                .map(|b| f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16))
                .collect(),
            Ct2Type::I8 => self.data.iter().map(|&b| b as i8 as f32).collect(),
            Ct2Type::I16 => self
                .data
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32)
                .collect(),
            Ct2Type::I32 => self
                .data
                .chunks_exact(4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32)
                .collect(),
        }
    }

    /// A scalar's value as an integer, if it is one.
    pub fn scalar_i64(&self) -> Option<i64> {
        if self.dims.iter().product::<usize>() != 1 {
            return None;
        }
        self.to_f32().first().map(|v| *v as i64)
    }
}

/// Converts IEEE half bits to `f32`.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let mant = (h & 0x3ff) as u32;
    let bits = if exp == 0 {
        if mant == 0 {
            sign
        } else {
            // Subnormal: normalise.
            let mut e = 127 - 15 + 1;
            let mut m = mant;
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | ((e as u32) << 23) | ((m & 0x3ff) << 13)
        }
    } else if exp == 31 {
        sign | 0x7f80_0000 | (mant << 13)
    } else {
        sign | ((exp + 127 - 15) << 23) | (mant << 13)
    };
    f32::from_bits(bits)
}

/// A parsed `model.bin`: spec name, revision and variables by name (aliases resolved).
#[derive(Debug, Clone)]
pub struct Ct2Model {
    /// Model spec name, e.g. `WhisperSpec`.
    pub spec: String,
    /// Spec revision.
    pub revision: u32,
    /// Variables by name, aliases included.
    pub variables: HashMap<String, Ct2Variable>,
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| format!("truncated at byte {}", self.pos))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn string(&mut self) -> Result<String, String> {
        let n = self.u16()? as usize;
        let b = self.take(n)?;
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        String::from_utf8(b.to_vec()).map_err(|_| format!("bad name before byte {}", self.pos))
    }
}

impl Ct2Model {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<Ct2Model, WhisperError> {
        let bytes = std::fs::read(path).map_err(|e| WhisperError::Model {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Ct2Model::parse(&bytes).map_err(|reason| WhisperError::Model {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses the bytes of a `model.bin`.
    pub fn parse(bytes: &[u8]) -> Result<Ct2Model, String> {
        let mut r = Reader { bytes, pos: 0 };
        let version = r.u32()?;
        if !(5..=6).contains(&version) {
            return Err(format!(
                "unsupported CTranslate2 model version {version} (expected 5 or 6)"
            ));
        }
        let spec = r.string()?;
        let revision = r.u32()?;
        let count = r.u32()? as usize;
        if count > 100_000 {
            return Err(format!("implausible variable count {count}"));
        }
        let mut variables = HashMap::with_capacity(count);
        for _ in 0..count {
            let name = r.string()?;
            let rank = r.u8()? as usize;
            let mut dims = Vec::with_capacity(rank);
            for _ in 0..rank {
                dims.push(r.u32()? as usize);
            }
            let code = r.u8()?;
            let dtype = Ct2Type::from_code(code)
                .ok_or_else(|| format!("variable {name}: unknown type code {code}"))?;
            let nbytes = r.u32()? as usize;
            let elements = dims
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .ok_or_else(|| format!("variable {name}: shape overflows"))?;
            if elements.checked_mul(dtype.size()) != Some(nbytes) {
                return Err(format!(
                    "variable {name}: {nbytes} bytes for shape {dims:?} of {dtype:?}"
                ));
            }
            let data = r.take(nbytes)?.to_vec();
            variables.insert(name, Ct2Variable { dims, dtype, data });
        }
        if r.pos < bytes.len() {
            let aliases = r.u32()?;
            for _ in 0..aliases {
                let alias = r.string()?;
                let target = r.string()?;
                if let Some(v) = variables.get(&target).cloned() {
                    variables.insert(alias, v);
                }
            }
        }
        Ok(Ct2Model {
            spec,
            revision,
            variables,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats_convert_exactly() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert!(f16_to_f32(0x7c00).is_infinite());
    }

    #[test]
    fn truncated_or_foreign_files_are_refused() {
        assert!(Ct2Model::parse(&[]).unwrap_err().contains("truncated"));
        assert!(Ct2Model::parse(&[9, 0, 0, 0])
            .unwrap_err()
            .contains("version 9"));
        let mut b = vec![6, 0, 0, 0, 2, 0, b'W', 0, 1, 0, 0, 0, 1, 0, 0, 0];
        b.extend_from_slice(&[2, 0, b'x', 0, 1, 4, 0, 0, 0, 4, 9, 0, 0, 0]);
        assert!(Ct2Model::parse(&b).unwrap_err().contains("9 bytes"));
    }
}
