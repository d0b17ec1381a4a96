//! A small, deterministic fuzz driver that runs on stable Rust inside `cargo test`.
//!
//! Each target gets `cases()` inputs: half fully random byte strings, half mutations
//! (bit flips, byte overwrites, insertions, deletions, truncations, splices) of valid
//! encodings the target supplies as seeds. The decoder under test must return `Ok` or
//! `Err` and never panic; the process's allocation bound is the decoders' own limits.
//!
//! The number of cases per target is `KEEL_FUZZ_CASES` (default 2,000 so CI stays quick);
//! the long run is `KEEL_FUZZ_CASES=1000000 cargo test --release -p keel-protocol -p
//! keel-derive --test 'fuzz_*'` (see README). `KEEL_FUZZ_SEED` replays a run exactly.

/// Number of cases each target runs.
pub fn cases() -> u64 {
    std::env::var("KEEL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

/// Seed of the pseudo-random stream.
pub fn seed() -> u64 {
    std::env::var("KEEL_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x6b65_656c)
}

/// SplitMix64: tiny, fast, and good enough to drive mutations.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// A random byte string of length below `max_len`.
    pub fn bytes(&mut self, max_len: usize) -> Vec<u8> {
        let len = self.below(max_len);
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// Applies 1–4 random mutations to `input`.
pub fn mutate(rng: &mut Rng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        match rng.below(8) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next_u64() as u8;
            }
            2 => {
                let i = rng.below(out.len() + 1);
                let b = [0x00, 0xff, 0x7f, 0x80, 0x01][rng.below(5)];
                out.insert(i, b);
            }
            3 if !out.is_empty() => {
                let i = rng.below(out.len());
                out.remove(i);
            }
            4 => {
                let n = rng.below(out.len() + 1);
                out.truncate(n);
            }
            5 if !seeds.is_empty() => {
                let other = &seeds[rng.below(seeds.len())];
                let at = rng.below(out.len() + 1);
                let from = rng.below(other.len() + 1);
                out.truncate(at);
                out.extend_from_slice(&other[from..]);
            }
            6 if out.len() >= 4 => {
                // Overwrite a big-endian length-like field with an extreme value.
                let i = rng.below(out.len() - 3);
                let v: [u8; 4] = [
                    [0xff; 4],
                    [0x7f, 0xff, 0xff, 0xff],
                    [0, 0, 0, 0],
                    [0, 0x0f, 0x42, 0x40],
                ][rng.below(4)];
                out[i..i + 4].copy_from_slice(&v);
            }
            _ => {
                let i = rng.below(out.len() + 1);
                let extra = rng.bytes(16);
                out.splice(i..i, extra);
            }
        }
    }
    out
}

/// Runs `target` on `cases()` inputs derived from `seeds`. `target` must not panic.
pub fn run(name: &str, seeds: &[Vec<u8>], max_random_len: usize, mut target: impl FnMut(&[u8])) {
    let mut rng = Rng::new(
        seed()
            ^ name
                .bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64)),
    );
    for s in seeds {
        target(s);
    }
    let n = cases();
    for i in 0..n {
        let input = if seeds.is_empty() || i % 2 == 0 {
            rng.bytes(max_random_len)
        } else {
            let base = &seeds[rng.below(seeds.len())];
            mutate(&mut rng, base, seeds)
        };
        target(&input);
    }
}
