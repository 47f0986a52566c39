//! Sound while playing. [`AudioPlayer`] runs a thread that mixes the timeline's sound with
//! [`cutroom_media::SoundMixer`] (the renderer's own mix: the same tracks, sample positions
//! and cross-fades) from the playhead, and writes it to the sound device: ALSA's `default`
//! PCM, or the one named by [`DEVICE_ENV`] (any ALSA PCM name, e.g. `hw:1`, or
//! `file:FILE=out.raw,FORMAT=raw` to capture what is played).
//!
//! The viewer drives it: sound plays while the viewer plays forward at normal speed, from
//! the frame it starts at, up to the next span playback jumps over (the viewer starts it
//! again after the jump) or the end. Shuttling faster, in reverse, paused and stepping are
//! silent. Without a usable sound device playback is silent, and the viewer says why.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use cutroom_media::{AudioOutput, SoundMixer};
use cutroom_timeline::{Rate, RationalTime, Timeline};

/// Environment variable naming the ALSA PCM to play to (default `default`).
pub const DEVICE_ENV: &str = "CUTROOM_AUDIO_DEVICE";

/// What is asked of the device (it may grant another rate or channel count).
const WANTED: AudioOutput = AudioOutput {
    sample_rate: 48_000,
    channels: 2,
};

/// Sample frames mixed and written at a time: 10 ms at 48 kHz.
const BLOCK: usize = 480;

/// A command for the sound thread.
#[derive(Debug, Clone)]
pub enum AudioCommand {
    /// The timeline whose sound is played (after every edit); relative media paths are
    /// taken relative to `media_base`. Stops what is playing.
    SetTimeline {
        /// The timeline.
        timeline: Arc<Timeline>,
        /// The directory relative media paths are relative to.
        media_base: Option<PathBuf>,
    },
    /// Plays from timeline frame `from` up to frame `until` (exclusive; the end when
    /// `None`), dropping whatever was still queued.
    Play {
        /// First frame.
        from: i64,
        /// Frame to stop at.
        until: Option<i64>,
    },
    /// Stops at once.
    Stop,
}

/// What the sound thread publishes.
#[derive(Default)]
struct Shared {
    /// Sample frames written since the last play started.
    played: AtomicI64,
    /// The [`AudioCommand::Play`]s the thread has taken up.
    plays: AtomicU64,
    /// The sample frame (from the timeline's start) leaving the device now; -1 when
    /// nothing is playing.
    heard: AtomicI64,
    /// The device's sample rate.
    rate: AtomicU32,
}

/// The sound thread. Dropping it stops the sound and joins the thread.
pub struct AudioPlayer {
    commands: Sender<AudioCommand>,
    errors: Receiver<String>,
    shared: Arc<Shared>,
    /// The [`AudioCommand::Play`]s sent.
    plays: AtomicU64,
    thread: Option<JoinHandle<()>>,
}

impl AudioPlayer {
    /// Starts the thread for the ALSA PCM `device` (else [`DEVICE_ENV`], else `default`).
    /// The device is opened at the first [`AudioCommand::Play`].
    pub fn spawn(device: Option<String>) -> AudioPlayer {
        let device = device
            .or_else(|| std::env::var(DEVICE_ENV).ok().filter(|d| !d.is_empty()))
            .unwrap_or_else(|| "default".to_string());
        let (commands, rx) = crossbeam_channel::unbounded();
        let (errors_tx, errors) = crossbeam_channel::unbounded();
        let shared = Arc::new(Shared {
            heard: AtomicI64::new(-1),
            ..Shared::default()
        });
        let published = shared.clone();
        let thread = std::thread::Builder::new()
            .name("cutroom-sound".into())
            .spawn(move || run(&device, &rx, &errors_tx, &published))
            .ok();
        AudioPlayer {
            commands,
            errors,
            shared,
            plays: AtomicU64::new(0),
            thread,
        }
    }

    /// Sends a command (never blocks).
    pub fn send(&self, cmd: AudioCommand) {
        if matches!(cmd, AudioCommand::Play { .. }) {
            self.plays.fetch_add(1, Ordering::Relaxed);
        }
        let _ = self.commands.send(cmd);
    }

    /// The time (seconds from the timeline's start) of the sound leaving the device now,
    /// while the last [`AudioCommand::Play`] sent is playing; `None` before it started,
    /// once it ended or stopped, and without a device.
    pub fn heard_seconds(&self) -> Option<f64> {
        let s = &self.shared;
        let current = |plays: u64| plays == self.plays.load(Ordering::Relaxed);
        if !current(s.plays.load(Ordering::Acquire)) {
            return None;
        }
        let heard = s.heard.load(Ordering::Acquire);
        let rate = s.rate.load(Ordering::Relaxed);
        // The play may have been replaced while reading.
        if heard < 0 || rate == 0 || !current(s.plays.load(Ordering::Acquire)) {
            return None;
        }
        Some(heard as f64 / f64::from(rate))
    }

    /// Why there is no sound, once per failure (never blocks).
    pub fn try_error(&self) -> Option<String> {
        self.errors.try_recv().ok()
    }

    /// Sample frames written to the device since the last [`AudioCommand::Play`].
    pub fn played(&self) -> i64 {
        self.shared.played.load(Ordering::Relaxed)
    }
}

impl Drop for AudioPlayer {
    fn drop(&mut self) {
        // Disconnect the channel: the thread ends after the block it is writing.
        let (dead, _) = crossbeam_channel::unbounded();
        self.commands = dead;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sample position (at `sample_rate`) of timeline frame `frame`.
fn sample_of(frame: i64, rate: Rate, sample_rate: u32) -> i64 {
    match Rate::whole(sample_rate) {
        Ok(sr) => RationalTime::new(frame, rate).rescaled_to(sr).value,
        Err(_) => 0,
    }
}

/// What the thread is doing.
struct Playing {
    /// Next sample frame to mix.
    pos: i64,
    /// Sample frame to stop at.
    end: i64,
}

fn run(name: &str, rx: &Receiver<AudioCommand>, errors: &Sender<String>, shared: &Shared) {
    let played = &shared.played;
    #[cfg(target_os = "linux")]
    alsa_device::quiet_alsa();
    let mut device: Option<Device> = None;
    // The device failed and the failure was reported; report the next one again only
    // after it worked once.
    let mut reported = false;
    let mut timeline: Option<(Arc<Timeline>, Option<PathBuf>)> = None;
    let mut mixer: Option<SoundMixer> = None;
    let mut playing: Option<Playing> = None;
    let mut block = Vec::new();
    loop {
        // Every queued command first; block for one only when idle.
        let cmd = if playing.is_some() {
            match rx.try_recv() {
                Ok(c) => Some(c),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => break,
            }
        } else {
            match rx.recv() {
                Ok(c) => Some(c),
                Err(_) => break,
            }
        };
        if let Some(cmd) = cmd {
            shared.heard.store(-1, Ordering::Release);
            match cmd {
                AudioCommand::SetTimeline {
                    timeline: t,
                    media_base,
                } => {
                    timeline = Some((t, media_base));
                    mixer = None;
                    stop(&device, &mut playing);
                }
                AudioCommand::Stop => stop(&device, &mut playing),
                AudioCommand::Play { from, until } => {
                    stop(&device, &mut playing);
                    played.store(0, Ordering::Relaxed);
                    shared.plays.fetch_add(1, Ordering::Release);
                    let Some((tl, base)) = &timeline else {
                        continue;
                    };
                    if device.is_none() {
                        match Device::open(name) {
                            Ok(d) => {
                                device = Some(d);
                                reported = false;
                            }
                            Err(e) => {
                                if !reported {
                                    let _ = errors.send(e);
                                    reported = true;
                                }
                                continue;
                            }
                        }
                    }
                    let Some(out) = device.as_ref().map(Device::output) else {
                        continue;
                    };
                    if mixer.is_none() {
                        match SoundMixer::new(tl, base.as_deref(), out) {
                            Ok(m) => mixer = Some(m),
                            Err(e) => {
                                let _ = errors.send(e.to_string());
                                continue;
                            }
                        }
                    }
                    let Some(m) = &mixer else { continue };
                    let sr = out.sample_rate;
                    let pos = sample_of(from.max(0), tl.rate, sr);
                    let end = until
                        .map_or(i64::MAX, |u| sample_of(u, tl.rate, sr))
                        .min(m.len_samples());
                    playing = (pos < end).then_some(Playing { pos, end });
                }
            }
            continue;
        }
        let (Some(p), Some(d), Some(m)) = (playing.as_mut(), device.as_ref(), mixer.as_mut())
        else {
            playing = None;
            continue;
        };
        let ch = usize::from(d.output().channels);
        let n = (p.end - p.pos).min(BLOCK as i64) as usize;
        block.clear();
        block.resize(n * ch, 0.0);
        // Media that goes bad mid-play is silent (the mixer already makes unreadable
        // clips silent); the picture reports decoding errors.
        if m.mix(p.pos, &mut block).is_err() {
            block.fill(0.0);
        }
        if let Err(e) = d.write(&block) {
            let _ = errors.send(e);
            reported = true;
            device = None;
            playing = None;
            continue;
        }
        played.fetch_add(n as i64, Ordering::Relaxed);
        p.pos += n as i64;
        shared.rate.store(d.output().sample_rate, Ordering::Relaxed);
        shared.heard.store(p.pos - d.delay(), Ordering::Release);
        if p.pos >= p.end {
            playing = None;
            shared.heard.store(-1, Ordering::Release);
        }
    }
    stop(&device, &mut playing);
}

fn stop(device: &Option<Device>, playing: &mut Option<Playing>) {
    if playing.take().is_some() {
        if let Some(d) = device {
            d.stop();
        }
    }
}

#[cfg(target_os = "linux")]
use alsa_device::Device;

#[cfg(target_os = "linux")]
mod alsa_device {
    use std::ffi::{c_char, c_int};

    use alsa::pcm::{Access, Format, HwParams, PCM};
    use alsa::{Direction, ValueOr};
    use cutroom_media::AudioOutput;

    /// Drops ALSA's messages on the calling thread: the errors this module returns say
    /// what failed (ALSA would print several lines for a machine without a sound card).
    unsafe extern "C" fn quiet(
        _file: *const c_char,
        _line: c_int,
        _function: *const c_char,
        _errcode: c_int,
        _fmt: *const c_char,
        _args: *mut alsa_sys::__va_list_tag,
    ) {
    }

    /// From now on ALSA prints nothing for the calling thread.
    pub fn quiet_alsa() {
        // SAFETY: sets the calling thread's handler to `quiet`, which has the type of
        // `snd_local_error_handler_t`, does nothing and stays valid for the program's life.
        unsafe {
            alsa_sys::snd_lib_error_set_local(Some(quiet));
        }
    }

    /// An ALSA PCM opened for interleaved `f32` playback.
    pub struct Device {
        pcm: PCM,
        out: AudioOutput,
    }

    impl Device {
        /// Opens `name` at [`super::WANTED`]'s rate and channels, or the nearest the
        /// device offers, with about 80 ms of buffer that starts playing after 20 ms.
        pub fn open(name: &str) -> Result<Device, String> {
            let fail = |what: &str, e: alsa::Error| format!("sound device {name:?}: {what}: {e}");
            let pcm = PCM::new(name, Direction::Playback, false).map_err(|e| {
                format!(
                    "{} (no sound card? {} names another ALSA device)",
                    fail("cannot open", e),
                    super::DEVICE_ENV
                )
            })?;
            let (out, period) = {
                let hw = HwParams::any(&pcm).map_err(|e| fail("no parameters", e))?;
                hw.set_access(Access::RWInterleaved)
                    .map_err(|e| fail("no interleaved access", e))?;
                hw.set_format(Format::float())
                    .map_err(|e| fail("cannot play 32-bit float samples", e))?;
                let channels = hw
                    .set_channels_near(u32::from(super::WANTED.channels))
                    .map_err(|e| fail("no channel count", e))?;
                let rate = hw
                    .set_rate_near(super::WANTED.sample_rate, ValueOr::Nearest)
                    .map_err(|e| fail("no sample rate", e))?;
                hw.set_buffer_time_near(80_000, ValueOr::Nearest)
                    .map_err(|e| fail("no buffer size", e))?;
                hw.set_period_time_near(20_000, ValueOr::Nearest)
                    .map_err(|e| fail("no period size", e))?;
                pcm.hw_params(&hw)
                    .map_err(|e| fail("parameters refused", e))?;
                let period = hw.get_period_size().map_err(|e| fail("no period", e))?;
                let channels = u16::try_from(channels).unwrap_or(0);
                if channels == 0 || rate == 0 {
                    return Err(format!(
                        "sound device {name:?}: offers {rate} Hz with {channels} channels"
                    ));
                }
                (
                    AudioOutput {
                        sample_rate: rate,
                        channels,
                    },
                    period,
                )
            };
            {
                let sw = pcm
                    .sw_params_current()
                    .map_err(|e| fail("no software parameters", e))?;
                sw.set_start_threshold(period)
                    .map_err(|e| fail("no start threshold", e))?;
                pcm.sw_params(&sw)
                    .map_err(|e| fail("software parameters refused", e))?;
            }
            Ok(Device { pcm, out })
        }

        /// The rate and channel count the device plays.
        pub fn output(&self) -> AudioOutput {
            self.out
        }

        /// Writes interleaved samples, waiting for room; recovers from an underrun.
        pub fn write(&self, samples: &[f32]) -> Result<(), String> {
            let io = self
                .pcm
                .io_f32()
                .map_err(|e| format!("sound device: {e}"))?;
            let ch = usize::from(self.out.channels);
            let mut done = 0;
            while done < samples.len() {
                match io.writei(&samples[done..]) {
                    Ok(frames) => done += frames * ch,
                    Err(e) => self
                        .pcm
                        .try_recover(e, true)
                        .map_err(|e| format!("sound device: {e}"))?,
                }
            }
            Ok(())
        }

        /// Sample frames written but not yet heard.
        pub fn delay(&self) -> i64 {
            self.pcm.delay().unwrap_or(0).max(0)
        }

        /// Drops what is queued, ready for the next write.
        pub fn stop(&self) {
            let _ = self.pcm.drop();
            let _ = self.pcm.prepare();
        }
    }
}

#[cfg(not(target_os = "linux"))]
struct Device;

#[cfg(not(target_os = "linux"))]
impl Device {
    fn open(_: &str) -> Result<Device, String> {
        Err("sound output is only built for Linux (ALSA)".into())
    }
    fn output(&self) -> AudioOutput {
        WANTED
    }
    fn write(&self, _: &[f32]) -> Result<(), String> {
        Ok(())
    }
    fn delay(&self) -> i64 {
        0
    }
    fn stop(&self) {}
}
