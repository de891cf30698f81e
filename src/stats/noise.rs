//! Exact sampling of discrete Laplace noise, with integer arithmetic only.
//!
//! The sampler is Algorithm 2 of Canonne, Kamath and Steinke, "The Discrete Gaussian for
//! Differential Privacy" (NeurIPS 2020): it returns an integer `x` with probability
//! proportional to `exp(-|x| / scale)` for a rational `scale = num / den`, using nothing
//! but uniform random integers. No floating-point number is involved, so the distribution
//! is exactly the one the privacy proof assumes (floating-point Laplace samplers are not,
//! Mironov 2012). Randomness comes from the operating system ([`OsRandom`]).

use std::fmt;

/// A source of uniformly random 64-bit words.
pub trait RandomBits {
    /// The next 64 random bits.
    fn next_u64(&mut self) -> u64;
}

/// The operating system's random number generator, read in blocks.
#[derive(Default)]
pub struct OsRandom {
    buf: [u64; 32],
    left: usize,
}

impl fmt::Debug for OsRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OsRandom")
    }
}

impl RandomBits for OsRandom {
    fn next_u64(&mut self) -> u64 {
        if self.left == 0 {
            let mut bytes = [0u8; 256];
            // Noise without an entropy source would be no protection; every supported OS
            // has one, so failing here is a broken system.
            if let Err(e) = getrandom::fill(&mut bytes) {
                panic!("the operating system's random number generator failed: {e}");
            }
            for (word, chunk) in self.buf.iter_mut().zip(bytes.chunks_exact(8)) {
                let mut b = [0u8; 8];
                b.copy_from_slice(chunk);
                *word = u64::from_le_bytes(b);
            }
            self.left = self.buf.len();
        }
        self.left -= 1;
        self.buf[self.left]
    }
}

/// A uniform integer in `0..n` (`n > 0`), by rejection: exactly uniform.
fn uniform(rng: &mut impl RandomBits, n: u64) -> u64 {
    // The largest multiple of n that fits; draws at or above it are rejected.
    let zone = u64::MAX - u64::MAX % n;
    loop {
        let x = rng.next_u64();
        if x < zone {
            return x % n;
        }
    }
}

/// `true` with probability `num / den` (`num <= den`, `den > 0`).
fn bernoulli(rng: &mut impl RandomBits, num: u64, den: u64) -> bool {
    uniform(rng, den) < num
}

/// `true` with probability `exp(-num / den)` (CKS Algorithm 1).
fn bernoulli_exp(rng: &mut impl RandomBits, num: u64, den: u64) -> bool {
    if num <= den {
        // Sample the first K with Bernoulli(γ/K) false: P(K odd) = exp(-γ).
        let mut k = 1u64;
        while bernoulli(rng, num, den.saturating_mul(k)) {
            k += 1;
        }
        return k % 2 == 1;
    }
    for _ in 0..num / den {
        if !bernoulli_exp(rng, 1, 1) {
            return false;
        }
    }
    bernoulli_exp(rng, num % den, den)
}

/// A positive fraction (a noise scale, a privacy budget) `num / den` (both positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fraction {
    /// Numerator.
    pub num: u64,
    /// Denominator.
    pub den: u64,
}

impl Fraction {
    /// The value as a float, for reports and thresholds.
    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

/// An integer with probability proportional to `exp(-|x| / scale)` (CKS Algorithm 2).
pub fn discrete_laplace(rng: &mut impl RandomBits, scale: Fraction) -> i64 {
    // In the paper's notation the scale is t / s.
    let (t, s) = (scale.num.max(1), scale.den.max(1));
    loop {
        let u = uniform(rng, t);
        if !bernoulli_exp(rng, u, t) {
            continue;
        }
        let mut v = 0u64;
        while bernoulli_exp(rng, 1, 1) {
            v += 1;
        }
        let x = u128::from(u) + u128::from(t) * u128::from(v);
        let y = i64::try_from(x / u128::from(s)).unwrap_or(i64::MAX);
        let negative = bernoulli(rng, 1, 2);
        if negative && y == 0 {
            continue;
        }
        return if negative { -y } else { y };
    }
}

/// A positive decimal number (`0.5`, `2`, `1e-1` is not accepted) as an exact fraction,
/// as `--epsilon` is given.
pub fn parse_decimal(text: &str) -> Option<Fraction> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() && frac.is_empty()
        || frac.len() > 9
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let den = 10u64.pow(u32::try_from(frac.len()).ok()?);
    let num = format!("{int}{frac}").parse::<u64>().ok()?;
    (num > 0 && num <= 1_000_000_000_000).then_some(Fraction { num, den })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A seeded generator for tests only (SplitMix64): reproducible, not secret.
    pub(crate) struct Seeded(pub(crate) u64);

    impl RandomBits for Seeded {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }

    #[test]
    fn noise_has_the_documented_distribution() {
        let mut rng = Seeded(15);
        let scale = Fraction { num: 3, den: 1 };
        let n = 200_000;
        let samples: Vec<i64> = (0..n).map(|_| discrete_laplace(&mut rng, scale)).collect();
        let mean = samples.iter().sum::<i64>() as f64 / f64::from(n);
        // Discrete Laplace with parameter t: variance 2 e^{-1/t} / (1 - e^{-1/t})^2.
        let q = (-1.0 / scale.as_f64()).exp();
        let variance = 2.0 * q / (1.0 - q).powi(2);
        let observed =
            samples.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / f64::from(n) - mean * mean;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!(
            (observed / variance - 1.0).abs() < 0.03,
            "variance {observed}, expected {variance}"
        );
        // P(0) = (1 - q) / (1 + q).
        let zeros = samples.iter().filter(|&&x| x == 0).count() as f64 / f64::from(n);
        assert!(
            (zeros - (1.0 - q) / (1.0 + q)).abs() < 0.005,
            "P(0) {zeros}"
        );
        // Symmetric.
        let pos = samples.iter().filter(|&&x| x > 0).count();
        let neg = samples.iter().filter(|&&x| x < 0).count();
        assert!((pos as f64 / neg as f64 - 1.0).abs() < 0.03);
    }

    #[test]
    fn bernoulli_exp_is_exact_on_average() {
        let mut rng = Seeded(1);
        for (num, den) in [(1u64, 2u64), (3, 1), (5, 2)] {
            let n = 100_000;
            let hits = (0..n).filter(|_| bernoulli_exp(&mut rng, num, den)).count();
            let p = (-(num as f64) / den as f64).exp();
            assert!((hits as f64 / f64::from(n) - p).abs() < 0.01, "{num}/{den}");
        }
    }

    #[test]
    fn decimals_parse_exactly() {
        assert_eq!(parse_decimal("0.5"), Some(Fraction { num: 5, den: 10 }));
        assert_eq!(parse_decimal("2"), Some(Fraction { num: 2, den: 1 }));
        assert_eq!(parse_decimal(".25"), Some(Fraction { num: 25, den: 100 }));
        for bad in ["", ".", "0", "-1", "1e-1", "x", "0.0"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }
}
