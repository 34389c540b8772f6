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
