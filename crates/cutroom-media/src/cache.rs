//! [`FrameCache`]: least-recently-used frames within a byte budget.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::{VideoFrame, VideoOutput};

/// What a cached frame is: which media, which frame, converted how.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FrameKey {
    /// The media's identity (a path or a project media id).
    pub media: String,
    /// Frame index at the media's rate.
    pub index: i64,
    /// The size and pixel format the frame was converted to.
    pub output: VideoOutput,
}

/// A least-recently-used cache of decoded frames that holds at most `budget` bytes of pixels.
///
/// Frames are shared as `Arc<VideoFrame>`, so a frame evicted while a viewer still shows it
/// stays alive until the viewer drops it. A frame larger than the whole budget is not cached.
/// Not internally synchronised: wrap it in a `Mutex` to share it between threads.
#[derive(Debug)]
pub struct FrameCache {
    budget: usize,
    used: usize,
    tick: u64,
    entries: HashMap<FrameKey, (Arc<VideoFrame>, u64)>,
    order: BTreeMap<u64, FrameKey>,
}

impl FrameCache {
    /// An empty cache that holds at most `budget_bytes` of pixel data.
    pub fn new(budget_bytes: usize) -> FrameCache {
        FrameCache {
            budget: budget_bytes,
            used: 0,
            tick: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    /// The byte budget.
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Bytes of pixel data currently held.
    pub fn used_bytes(&self) -> usize {
        self.used
    }

    /// Number of frames held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no frame is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The frame for `key`, marking it most recently used.
    pub fn get(&mut self, key: &FrameKey) -> Option<Arc<VideoFrame>> {
        self.tick += 1;
        let tick = self.tick;
        let (frame, last) = self.entries.get_mut(key)?;
        self.order.remove(last);
        *last = tick;
        self.order.insert(tick, key.clone());
        Some(Arc::clone(frame))
    }

    /// True when `key` is cached (does not change the recency order).
    pub fn contains(&self, key: &FrameKey) -> bool {
        self.entries.contains_key(key)
    }

    /// Caches `frame` under `key` as the most recently used entry, evicting least recently used
    /// frames until the budget holds. Returns the shared frame (cached or not).
    pub fn insert(&mut self, key: FrameKey, frame: VideoFrame) -> Arc<VideoFrame> {
        let frame = Arc::new(frame);
        self.insert_shared(key, Arc::clone(&frame));
        frame
    }

    /// Like [`FrameCache::insert`] for a frame that is already shared.
    pub fn insert_shared(&mut self, key: FrameKey, frame: Arc<VideoFrame>) {
        self.remove(&key);
        let size = frame.byte_size();
        if size > self.budget {
            return;
        }
        while self.used + size > self.budget {
            if !self.evict_oldest() {
                break;
            }
        }
        self.tick += 1;
        self.used += size;
        self.order.insert(self.tick, key.clone());
        self.entries.insert(key, (frame, self.tick));
    }

    /// Removes `key`, returning its frame if it was cached.
    pub fn remove(&mut self, key: &FrameKey) -> Option<Arc<VideoFrame>> {
        let (frame, tick) = self.entries.remove(key)?;
        self.order.remove(&tick);
        self.used -= frame.byte_size();
        Some(frame)
    }

    /// Drops every frame of `media` (e.g. when the file changed on disk).
    pub fn remove_media(&mut self, media: &str) {
        let keys: Vec<FrameKey> = self
            .entries
            .keys()
            .filter(|k| k.media == media)
            .cloned()
            .collect();
        for k in keys {
            self.remove(&k);
        }
    }

    /// Drops every frame.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.used = 0;
    }

    /// Changes the budget, evicting as needed.
    pub fn set_budget(&mut self, budget_bytes: usize) {
        self.budget = budget_bytes;
        while self.used > self.budget {
            if !self.evict_oldest() {
                break;
            }
        }
    }

    fn evict_oldest(&mut self) -> bool {
        let Some((_, key)) = self.order.pop_first() else {
            return false;
        };
        if let Some((frame, _)) = self.entries.remove(&key) {
            self.used -= frame.byte_size();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PixelFormat;
    use cutroom_timeline::{Rate, RationalTime};

    const OUT: VideoOutput = VideoOutput {
        width: 10,
        height: 10,
        format: PixelFormat::Gray8,
    };

    fn key(media: &str, index: i64) -> FrameKey {
        FrameKey {
            media: media.into(),
            index,
            output: OUT,
        }
    }

    fn frame(index: i64, bytes: usize) -> VideoFrame {
        VideoFrame {
            index,
            time: RationalTime::new(index, Rate::FPS_25),
            width: 10,
            height: 10,
            stride: 10,
            format: PixelFormat::Gray8,
            data: vec![index as u8; bytes],
        }
    }

    #[test]
    fn cached_frame_is_returned() {
        let mut c = FrameCache::new(1000);
        c.insert(key("a", 1), frame(1, 100));
        assert_eq!(c.get(&key("a", 1)).unwrap().index, 1);
        assert!(c.get(&key("a", 2)).is_none());
        assert!(c.get(&key("b", 1)).is_none());
    }

    #[test]
    fn least_recently_used_frame_is_evicted_to_stay_under_budget() {
        let mut c = FrameCache::new(300);
        c.insert(key("a", 1), frame(1, 100));
        c.insert(key("a", 2), frame(2, 100));
        c.insert(key("a", 3), frame(3, 100));
        // Touch 1 so that 2 is now the least recently used.
        assert!(c.get(&key("a", 1)).is_some());
        c.insert(key("a", 4), frame(4, 100));
        assert!(c.contains(&key("a", 1)));
        assert!(!c.contains(&key("a", 2)));
        assert!(c.contains(&key("a", 3)));
        assert!(c.contains(&key("a", 4)));
        assert_eq!(c.used_bytes(), 300);
    }

    #[test]
    fn usage_never_exceeds_the_budget() {
        let mut c = FrameCache::new(1000);
        for i in 0..500 {
            c.insert(key("a", i), frame(i, 37 + (i as usize * 13) % 200));
            assert!(c.used_bytes() <= 1000);
            let sum: usize = c.entries.values().map(|(f, _)| f.byte_size()).sum();
            assert_eq!(sum, c.used_bytes());
            assert_eq!(c.entries.len(), c.order.len());
        }
    }

    #[test]
    fn frame_larger_than_the_budget_is_not_cached() {
        let mut c = FrameCache::new(50);
        let shared = c.insert(key("a", 1), frame(1, 100));
        assert_eq!(shared.index, 1);
        assert!(c.is_empty());
        assert_eq!(c.used_bytes(), 0);
    }

    #[test]
    fn same_frame_in_another_output_spec_is_a_different_entry() {
        let mut c = FrameCache::new(1000);
        c.insert(key("a", 1), frame(1, 100));
        let rgba = FrameKey {
            output: VideoOutput {
                format: PixelFormat::Rgba,
                ..OUT
            },
            ..key("a", 1)
        };
        assert!(c.get(&rgba).is_none());
        c.insert(rgba.clone(), frame(1, 400));
        assert_eq!(c.len(), 2);
        assert_eq!(c.used_bytes(), 500);
    }

    #[test]
    fn reinserting_a_key_replaces_it_without_double_counting() {
        let mut c = FrameCache::new(1000);
        c.insert(key("a", 1), frame(1, 100));
        c.insert(key("a", 1), frame(1, 200));
        assert_eq!((c.len(), c.used_bytes()), (1, 200));
    }

    #[test]
    fn shrinking_the_budget_and_dropping_media_evict() {
        let mut c = FrameCache::new(1000);
        for i in 0..5 {
            c.insert(key("a", i), frame(i, 100));
            c.insert(key("b", i), frame(i, 100));
        }
        c.remove_media("a");
        assert_eq!((c.len(), c.used_bytes()), (5, 500));
        c.set_budget(250);
        assert_eq!((c.len(), c.used_bytes()), (2, 200));
        assert!(c.contains(&key("b", 4)) && c.contains(&key("b", 3)));
        c.clear();
        assert!(c.is_empty());
    }
}
