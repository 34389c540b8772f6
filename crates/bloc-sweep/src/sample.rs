//! Drawing one sample's values.
//!
//! Sample `i` of a sweep with seed `S` draws from its own ChaCha12 stream: the generator is
//! seeded from `S` and set to stream `i`, so its draws depend on `(S, i)` alone, not on
//! which other samples run, in which order, or on which machine. That is what lets shards
//! of a sweep, run anywhere, reproduce the whole sweep exactly.

use bloc_scenario::uncertain::{Distribution, Draw, Uncertain};
use rand::distributions::{Distribution as _, WeightedIndex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use rand_distr::{LogNormal, Normal, Triangular};
use serde::{Deserialize, Serialize};
use statrs::distribution::ContinuousCDF;

/// How a sweep's samples are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sampling {
    /// Each input drawn independently from each sample's own stream.
    #[default]
    Random,
    /// Latin hypercube: each input's range is cut into N strata of equal probability (N the
    /// samples of the whole sweep), each stratum is used by exactly one sample (the stratum of
    /// sample i is a seeded permutation's i-th entry, drawn once for the sweep), and the point
    /// within it is drawn from sample i's stream. A sample's values depend on (seed, i, N).
    LatinHypercube,
}

/// Strata of a Latin hypercube: per uncertain input, a permutation of `0..samples`, drawn
/// from a stream of its own (streams from the top down, so they never meet a sample's).
pub fn strata(inputs: usize, seed: u64, samples: u64) -> Vec<Vec<u64>> {
    (0..inputs as u64)
        .map(|k| {
            let mut rng = ChaCha12Rng::seed_from_u64(seed);
            rng.set_stream(u64::MAX - k);
            let mut p: Vec<u64> = (0..samples).collect();
            // Fisher–Yates.
            for i in (1..p.len()).rev() {
                let j = rng.gen_range(0..=i);
                p.swap(i, j);
            }
            p
        })
        .collect()
}

/// The values of sample `index` of a Latin hypercube sweep with `strata` from [`strata`]:
/// input k takes the quantile of its distribution at (stratum + U) / N, U uniform on [0, 1)
/// from the sample's own stream.
pub fn lhs_draws(uncertain: &[Uncertain], strata: &[Vec<u64>], seed: u64, index: u64) -> Vec<Draw> {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    rng.set_stream(index);
    uncertain
        .iter()
        .zip(strata)
        .map(|(u, st)| {
            let n = st.len().max(1) as f64;
            let s = st.get(index as usize).copied().unwrap_or(0) as f64;
            let p = (s + rng.gen::<f64>()) / n;
            quantile(&u.distribution, p)
        })
        .collect()
}

/// The value of `d` at cumulative probability `p` in [0, 1) (0 maps to the lower end of the
/// support; the open ends of a normal or lognormal are kept off by a hair).
fn quantile(d: &Distribution, p: f64) -> Draw {
    let p = p.clamp(0.0, 1.0);
    let open = p.clamp(1e-12, 1.0 - 1e-12);
    let x = match d {
        Distribution::Uniform { min, max } => min + p * (max - min),
        Distribution::Normal { mean, sd } => {
            statrs::distribution::Normal::new(*mean, *sd).map_or(f64::NAN, |n| n.inverse_cdf(open))
        }
        Distribution::LogNormal { mu, sigma } => statrs::distribution::LogNormal::new(*mu, *sigma)
            .map_or(f64::NAN, |n| n.inverse_cdf(open)),
        // Closed form: F(x) = (x − a)² / ((b − a)(c − a)) below the mode c, and
        // 1 − (b − x)² / ((b − a)(b − c)) above it.
        Distribution::Triangular { min, mode, max } => {
            let (a, c, b) = (*min, *mode, *max);
            if b <= a {
                f64::NAN
            } else if p < (c - a) / (b - a) {
                a + (p * (b - a) * (c - a)).sqrt()
            } else {
                b - ((1.0 - p) * (b - a) * (b - c)).sqrt()
            }
        }
        Distribution::Discrete { values, weights } => {
            let total: f64 = weights.iter().sum();
            if total.is_nan() || total <= 0.0 || values.is_empty() {
                return Draw::Number(f64::NAN);
            }
            let mut acc = 0.0;
            for (v, w) in values.iter().zip(weights) {
                acc += w / total;
                if p < acc {
                    return v.clone();
                }
            }
            return values[values.len() - 1].clone();
        }
    };
    Draw::Number(x)
}

/// The values drawn for sample `index` of a sweep seeded `seed`, one per uncertain input,
/// in declaration order.
pub fn draws(uncertain: &[Uncertain], seed: u64, index: u64) -> Vec<Draw> {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    rng.set_stream(index);
    uncertain
        .iter()
        .map(|u| draw(&u.distribution, &mut rng))
        .collect()
}

/// One draw. The loader has checked the parameters (min < max, sd > 0, weights sum > 0);
/// should one still be refused here, the draw is NaN, which the overlay writes and the
/// loader then rejects as the sample's error.
fn draw(d: &Distribution, rng: &mut ChaCha12Rng) -> Draw {
    let x = match d {
        Distribution::Uniform { min, max } => rng.gen_range(*min..=*max),
        Distribution::Normal { mean, sd } => {
            Normal::new(*mean, *sd).map_or(f64::NAN, |n| n.sample(rng))
        }
        Distribution::LogNormal { mu, sigma } => {
            LogNormal::new(*mu, *sigma).map_or(f64::NAN, |n| n.sample(rng))
        }
        Distribution::Triangular { min, mode, max } => {
            Triangular::new(*min, *max, *mode).map_or(f64::NAN, |t| t.sample(rng))
        }
        Distribution::Discrete { values, weights } => {
            return match WeightedIndex::new(weights) {
                Ok(w) => values[w.sample(rng)].clone(),
                Err(_) => Draw::Number(f64::NAN),
            }
        }
    };
    Draw::Number(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every one of N strata of every input holds exactly one sample, so a uniform input on
    /// [0, 1) has exactly one value in each [k/N, (k+1)/N).
    #[test]
    fn latin_hypercube_puts_one_sample_in_each_stratum() {
        let u = vec![
            input(Distribution::Uniform { min: 0.0, max: 1.0 }),
            input(Distribution::Uniform { min: 0.0, max: 1.0 }),
        ];
        let n = 50u64;
        let st = strata(u.len(), 7, n);
        for k in 0..u.len() {
            let mut seen = vec![0; n as usize];
            for i in 0..n {
                let Draw::Number(v) = lhs_draws(&u, &st, 7, i)[k] else {
                    panic!("a number")
                };
                seen[(v * n as f64).floor() as usize] += 1;
            }
            assert!(seen.iter().all(|&c| c == 1), "{seen:?}");
        }
        // The two inputs are not paired stratum for stratum (independent permutations).
        assert_ne!(st[0], st[1]);
    }

    /// Quantiles against values worked by hand: the normal's 97.5% point is mean + 1.959964
    /// sd (tables); the triangular (0, 1, 4) has F(1) = 1/4, and at p = 1/16 the lower branch
    /// gives sqrt(1/16 · 4 · 1) = 0.5, at p = 3/4 the upper gives 4 − sqrt(1/4 · 4 · 3) =
    /// 4 − sqrt(3); the lognormal's median is exp(mu); a discrete set with weights 1:3 takes
    /// its first value below p = 0.25.
    #[test]
    fn quantiles_match_hand_values() {
        let num = |d: &Distribution, p: f64| match quantile(d, p) {
            Draw::Number(v) => v,
            other => panic!("{other:?}"),
        };
        let n = Distribution::Normal { mean: 5.0, sd: 2.0 };
        assert!((num(&n, 0.975) - (5.0 + 2.0 * 1.959964)).abs() < 1e-5);
        let t = Distribution::Triangular {
            min: 0.0,
            mode: 1.0,
            max: 4.0,
        };
        assert!((num(&t, 1.0 / 16.0) - 0.5).abs() < 1e-12);
        assert!((num(&t, 0.75) - (4.0 - 3f64.sqrt())).abs() < 1e-12);
        let l = Distribution::LogNormal {
            mu: 1.0,
            sigma: 0.5,
        };
        assert!((num(&l, 0.5) - 1f64.exp()).abs() < 1e-9);
        let d = Distribution::Discrete {
            values: vec![Draw::Number(1.0), Draw::Number(2.0)],
            weights: vec![1.0, 3.0],
        };
        assert_eq!(quantile(&d, 0.2), Draw::Number(1.0));
        assert_eq!(quantile(&d, 0.3), Draw::Number(2.0));
    }
    use bloc_scenario::uncertain::{Apply, Target};
    use bloc_scenario::Location;

    fn input(distribution: Distribution) -> Uncertain {
        Uncertain {
            name: "x".into(),
            target: Target::Key {
                path: "a".into(),
                segments: vec![],
                file: "s.toml".into(),
                integer: false,
            },
            apply: Apply::Set,
            distribution,
            declared: Location::default(),
        }
    }

    #[test]
    fn a_sample_depends_on_seed_and_index_only() {
        let u = vec![
            input(Distribution::Uniform { min: 0.0, max: 1.0 }),
            input(Distribution::Normal { mean: 0.0, sd: 1.0 }),
        ];
        assert_eq!(draws(&u, 7, 3), draws(&u, 7, 3));
        assert_ne!(draws(&u, 7, 3), draws(&u, 7, 4));
        assert_ne!(draws(&u, 7, 3), draws(&u, 8, 3));
    }

    #[test]
    fn draws_stay_in_their_support() {
        let u = vec![
            input(Distribution::Uniform { min: 2.0, max: 3.0 }),
            input(Distribution::Triangular {
                min: -1.0,
                mode: 0.0,
                max: 4.0,
            }),
            input(Distribution::LogNormal {
                mu: 0.0,
                sigma: 0.5,
            }),
            input(Distribution::Discrete {
                values: vec![Draw::Text("a".into()), Draw::Text("b".into())],
                weights: vec![0.0, 1.0],
            }),
        ];
        for i in 0..500 {
            let d = draws(&u, 1, i);
            let n = |k: usize| match d[k] {
                Draw::Number(v) => v,
                Draw::Text(_) => panic!("number expected"),
            };
            assert!((2.0..=3.0).contains(&n(0)));
            assert!((-1.0..=4.0).contains(&n(1)));
            assert!(n(2) > 0.0);
            // weight 0 is never drawn
            assert_eq!(d[3], Draw::Text("b".into()));
        }
    }

    #[test]
    fn normal_draws_have_the_stated_moments() {
        // 20,000 draws: the standard error of the mean is 2/sqrt(20000) ≈ 0.014, so a
        // tolerance of 0.06 (over 4 standard errors) fails only on a wrong distribution.
        let u = vec![input(Distribution::Normal { mean: 5.0, sd: 2.0 })];
        let xs: Vec<f64> = (0..20_000)
            .map(|i| match draws(&u, 11, i)[0] {
                Draw::Number(v) => v,
                Draw::Text(_) => unreachable!(),
            })
            .collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
        assert!((mean - 5.0).abs() < 0.06, "{mean}");
        assert!((var.sqrt() - 2.0).abs() < 0.06, "{}", var.sqrt());
    }
}
