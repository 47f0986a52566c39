//! Whisper's byte-level BPE tokenizer and its special tokens.

use std::path::Path;

use tokenizers::Tokenizer;

use crate::WhisperError;

/// The tokenizer with the ids of Whisper's special tokens.
pub struct Tokens {
    inner: Tokenizer,
    /// `<|endoftext|>`.
    pub eot: u32,
    /// `<|startoftranscript|>`.
    pub sot: u32,
    /// `<|startofprev|>`.
    pub sot_prev: u32,
    /// `<|nospeech|>` (or `<|nocaptions|>` in older vocabularies).
    pub no_speech: u32,
    /// `<|notimestamps|>`.
    pub no_timestamps: u32,
    /// `<|0.00|>`: the first timestamp token.
    pub timestamp_begin: u32,
    /// `<|transcribe|>`, for multilingual models.
    pub transcribe: Option<u32>,
    /// True for multilingual vocabularies.
    pub multilingual: bool,
}

fn id(t: &Tokenizer, name: &str) -> Option<u32> {
    t.token_to_id(name)
}

impl Tokens {
    /// Loads `tokenizer.json`.
    pub fn load(path: &Path) -> Result<Tokens, WhisperError> {
        let inner = Tokenizer::from_file(path).map_err(|e| WhisperError::Model {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let need = |name: &str| {
            id(&inner, name).ok_or_else(|| WhisperError::Model {
                path: path.to_path_buf(),
                reason: format!("the tokenizer has no {name} token"),
            })
        };
        let eot = need("<|endoftext|>")?;
        let sot = need("<|startoftranscript|>")?;
        let sot_prev = need("<|startofprev|>")?;
        let no_speech = id(&inner, "<|nospeech|>")
            .or_else(|| id(&inner, "<|nocaptions|>"))
            .ok_or_else(|| WhisperError::Model {
                path: path.to_path_buf(),
                reason: "the tokenizer has no <|nospeech|> token".into(),
            })?;
        let no_timestamps = need("<|notimestamps|>")?;
        let timestamp_begin = id(&inner, "<|0.00|>").unwrap_or(no_timestamps + 1);
        let multilingual = id(&inner, "<|en|>").is_some();
        Ok(Tokens {
            transcribe: id(&inner, "<|transcribe|>"),
            inner,
            eot,
            sot,
            sot_prev,
            no_speech,
            no_timestamps,
            timestamp_begin,
            multilingual,
        })
    }

    /// The id of a special token by its text, e.g. `<|translate|>`.
    pub fn encode_special(&self, name: &str) -> Option<u32> {
        id(&self.inner, name)
    }

    /// The id of a language token such as `<|de|>`.
    pub fn language(&self, code: &str) -> Option<u32> {
        id(&self.inner, &format!("<|{code}|>"))
    }

    /// The language code of a language token id.
    pub fn language_code(&self, token: u32) -> Option<String> {
        let t = self.inner.id_to_token(token)?;
        t.strip_prefix("<|")?.strip_suffix("|>").map(str::to_string)
    }

    /// Text of ordinary tokens (ids at or above `eot` are skipped).
    pub fn decode(&self, tokens: &[u32]) -> String {
        let text: Vec<u32> = tokens.iter().copied().filter(|&t| t < self.eot).collect();
        self.inner.decode(&text, false).unwrap_or_default()
    }

    /// Token ids of `text`.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        self.inner
            .encode(text, false)
            .map(|e| e.get_ids().to_vec())
            .unwrap_or_default()
    }

    /// Splits text tokens into words the way the reference does for space-delimited
    /// languages: a word starts at a token beginning with a space, at punctuation, or at a
    /// special token. Returns each word's text and tokens.
    pub fn split_words(&self, tokens: &[u32]) -> Vec<(String, Vec<u32>)> {
        // Group tokens into pieces that decode to whole characters.
        let mut pieces: Vec<(String, Vec<u32>)> = Vec::new();
        let mut current: Vec<u32> = Vec::new();
        let full = self.decode_all(tokens);
        let mut offset = 0usize;
        for &t in tokens {
            current.push(t);
            let decoded = self.decode_all(&current);
            let whole = !decoded.contains('\u{fffd}')
                || full
                    .chars()
                    .nth(offset + decoded.chars().position(|c| c == '\u{fffd}').unwrap_or(0))
                    == Some('\u{fffd}');
            if whole {
                offset += decoded.chars().count();
                pieces.push((decoded, std::mem::take(&mut current)));
            }
        }
        if !current.is_empty() {
            let decoded = self.decode_all(&current);
            pieces.push((decoded, current));
        }
        let mut words: Vec<(String, Vec<u32>)> = Vec::new();
        for (text, toks) in pieces {
            let special = toks.first().is_some_and(|&t| t >= self.eot);
            let with_space = text.starts_with(' ');
            let trimmed = text.trim();
            let punctuation =
                trimmed.chars().count() == 1 && trimmed.chars().all(|c| c.is_ascii_punctuation());
            if special || with_space || punctuation || words.is_empty() {
                words.push((text, toks));
            } else if let Some(last) = words.last_mut() {
                last.0.push_str(&text);
                last.1.extend(toks);
            }
        }
        words
    }

    fn decode_all(&self, tokens: &[u32]) -> String {
        if tokens.iter().any(|&t| t >= self.eot) {
            return tokens
                .iter()
                .map(|&t| self.inner.id_to_token(t).unwrap_or_default())
                .collect();
        }
        self.inner.decode(tokens, false).unwrap_or_default()
    }
}
