//! Waiting before a retry of a transient failure: exponential backoff with jitter.
//!
//! The k-th retry (k from 1) waits `base · 2^(k-1)`, capped at [`MAX_DELAY_MS`], of which a
//! random part is left out ("equal jitter": between half and all of it), so that jobs started
//! by the same timer do not come back at the same moment.

use std::time::Duration;

/// No single wait is longer than this (15 minutes).
pub const MAX_DELAY_MS: u64 = 15 * 60 * 1000;

/// The default base delay (30 s); `$SELFHEAL_RUN_BACKOFF_MS` or `--backoff-base-ms` change it.
pub const DEFAULT_BASE_MS: u64 = 30_000;

/// The wait before retry `k` (1-based) with `unit` a random number in `0.0 ..= 1.0`.
pub fn delay(base_ms: u64, k: u32, unit: f64) -> Duration {
    let exp = k.saturating_sub(1).min(32);
    let full = base_ms.saturating_mul(1u64 << exp).min(MAX_DELAY_MS);
    let unit = unit.clamp(0.0, 1.0);
    let ms = full as f64 * (0.5 + 0.5 * unit);
    Duration::from_millis(ms.round() as u64)
}

/// A small non-cryptographic random source (xorshift64*), seeded from the clock and the pid.
pub struct Jitter(u64);

impl Jitter {
    pub fn new() -> Jitter {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        Jitter((nanos ^ (u64::from(std::process::id()) << 32)) | 1)
    }

    pub fn seeded(seed: u64) -> Jitter {
        Jitter(seed | 1)
    }

    /// The next number in `0.0 ..= 1.0`.
    pub fn unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Default for Jitter {
    fn default() -> Jitter {
        Jitter::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_each_time_within_jitter_bounds() {
        for k in 1..=5 {
            let full = 1000u64 << (k - 1);
            assert_eq!(delay(1000, k, 1.0), Duration::from_millis(full));
            assert_eq!(delay(1000, k, 0.0), Duration::from_millis(full / 2));
        }
        let mut j = Jitter::seeded(42);
        for _ in 0..1000 {
            let d = delay(1000, 3, j.unit());
            assert!(d >= Duration::from_millis(2000) && d <= Duration::from_millis(4000));
        }
    }

    #[test]
    fn capped_and_never_overflows() {
        assert_eq!(delay(60_000, 40, 1.0), Duration::from_millis(MAX_DELAY_MS));
        assert_eq!(delay(u64::MAX, 2, 1.0), Duration::from_millis(MAX_DELAY_MS));
        assert_eq!(delay(0, 3, 0.5), Duration::ZERO);
    }

    #[test]
    fn jitter_spreads() {
        let mut j = Jitter::seeded(7);
        let xs: Vec<f64> = (0..200).map(|_| j.unit()).collect();
        assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
        assert!(xs.iter().any(|x| *x < 0.2) && xs.iter().any(|x| *x > 0.8));
    }
}
