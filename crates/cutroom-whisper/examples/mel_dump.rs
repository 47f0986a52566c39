//! Prints log-mel statistics of a 16-bit WAV file (for comparing front ends).
fn main() {
    let path = std::env::args().nth(1).expect("usage: mel_dump FILE.wav");
    let bytes = std::fs::read(&path).unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == b"data")
        .expect("data chunk");
    let data = &bytes[at + 8..];
    let s: Vec<f32> = data
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32 / 32768.0)
        .collect();
    let m = cutroom_whisper::MelFrontEnd::new(80).compute(&s);
    println!("frames {}", m.frames);
    for (m_, f) in [(0usize, 0usize), (10, 100), (40, 500), (79, 1000)] {
        println!("mel[{m_}][{f}] = {}", m.data[m_ * m.frames + f]);
    }
}
