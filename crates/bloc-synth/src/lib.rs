//! Seeded synthetic worlds: random but economically shaped scenarios for invariant tests and
//! benchmarks.
//!
//! Why synthetic worlds: the shipped scenarios are small and hand-made, so they exercise few
//! of the shapes the engine must survive. A generated world stresses what real data will:
//! value chains of one to three stages (mined, refined, made into a material), cost curves
//! with several blocks per market (some empty, some with the default cost rise, some coming
//! online or closing mid-run), isoelastic and linear demand side by side, dense route sets
//! written with `*` rules and specific overrides, MFN tariffs both specific and ad valorem, and
//! magnitudes that differ by three to five orders between commodities (prices from 1e3 to
//! 1e6 USD/t, quantities from 1e1 to 1e6 t/yr), which is what tests the QP's scaling.
//!
//! Everything is drawn from one [`ChaCha8Rng`] seeded with [`SynthSpec::seed`], in a fixed
//! order, so a seed always gives the same world on every platform.
//!
//! ```
//! let spec = bloc_synth::SynthSpec::small(7);
//! let scenario = bloc_synth::generate(&spec);
//! assert_eq!(scenario.regions.len(), spec.regions);
//! let dir = tempfile::tempdir().unwrap();
//! bloc_synth::write_scenario_folder(&scenario, dir.path()).unwrap();
//! let back = bloc_scenario::load(dir.path()).unwrap();
//! assert_eq!(back.processes, scenario.processes);
//! ```
#![deny(missing_docs)]

mod generate;
mod write;

pub use generate::generate;
pub use write::write_scenario_folder;

use bloc_units::Step;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The choke price of an isoelastic demand row as a multiple of its reference price: the
/// loader's default, which a scenario folder cannot override, so the generator uses it too
/// and a written world loads back equal.
pub const CHOKE_MULTIPLE: f64 = 10.0;

/// The `source` written in every table row.
pub const SOURCE: &str = "assumption: synthetic";

/// What world to generate. Shares are probabilities per (region, commodity) draw.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthSpec {
    /// Scenario name.
    pub name: String,
    /// Number of regions (≥ 1).
    pub regions: usize,
    /// Number of value chains (≥ 1); each has [`SynthSpec::stages`] commodities.
    pub chains: usize,
    /// Stages per chain, 1–3: mined; refined from the mined one; a material from the refined one.
    pub stages: usize,
    /// Largest number of capacity blocks in one producing market (each gets 1 to this many).
    pub blocks_per_market: usize,
    /// Probability that a region produces a given commodity.
    pub producer_share: f64,
    /// Probability that a region has demand for a chain's last-stage commodity.
    pub final_demand_share: f64,
    /// Probability that a region has demand for an earlier-stage commodity.
    pub intermediate_demand_share: f64,
    /// Share of demand rows that are linear (the rest are isoelastic).
    pub linear_demand_share: f64,
    /// 1: every ordered pair of regions has a route for every commodity (a `*,*,*` rule plus
    /// overrides). Below 1: no `*` rule; each ordered pair has a route with this probability.
    pub route_density: f64,
    /// In a dense world, the probability that an ordered pair of regions gets its own
    /// transport cost (an `o,d,*` row); the other pairs pay the commodity's `*,*,c` or the
    /// `*,*,*` cost. Where many pairs share one cost, exporters at one price reach an importer
    /// equally cheaply and the flows are degenerate (many optimal routings), which an
    /// interior-point solver spreads over every tied route.
    pub pair_cost_share: f64,
    /// Number of periods.
    pub periods: usize,
    /// Quarters or years.
    pub step: Step,
    /// Seed of every draw.
    pub seed: u64,
}

impl SynthSpec {
    /// Commodities in the world: chains × stages.
    pub fn commodities(&self) -> usize {
        self.chains * self.stages
    }

    /// A small world for tests, its shape itself drawn from `seed`: 3–8 regions, 1–3 stages,
    /// 1–3 chains, up to 4 blocks per market, sometimes sparse routes, 3 periods.
    pub fn small(seed: u64) -> Self {
        // A stream of its own, so that the shape and the world do not share draws.
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_5EED_5EED_5EED);
        SynthSpec {
            name: format!("synthetic-small-{seed}"),
            regions: rng.gen_range(3..=8),
            chains: rng.gen_range(1..=3),
            stages: rng.gen_range(1..=3),
            blocks_per_market: rng.gen_range(1..=4),
            producer_share: rng.gen_range(0.3..0.9),
            final_demand_share: rng.gen_range(0.4..1.0),
            intermediate_demand_share: rng.gen_range(0.0..0.5),
            linear_demand_share: rng.gen_range(0.0..1.0),
            route_density: if rng.gen_bool(0.7) {
                1.0
            } else {
                rng.gen_range(0.3..0.9)
            },
            pair_cost_share: 0.1,
            periods: 3,
            step: if rng.gen_bool(0.8) {
                Step::Quarter
            } else {
                Step::Year
            },
            seed,
        }
    }

    /// Design §7's benchmark size: 20 regions × 30 commodities (10 chains × 3 stages), up
    /// to 4 supply blocks per market, every region pair a route (11,400 routes), nine pairs
    /// in ten with a transport cost of their own.
    pub fn bench_medium() -> Self {
        SynthSpec {
            name: "synthetic-medium".to_string(),
            regions: 20,
            chains: 10,
            stages: 3,
            blocks_per_market: 4,
            producer_share: 0.5,
            final_demand_share: 0.8,
            intermediate_demand_share: 0.3,
            linear_demand_share: 0.3,
            route_density: 1.0,
            pair_cost_share: 0.9,
            periods: 4,
            step: Step::Quarter,
            seed: 1,
        }
    }

    /// A world twice the benchmark's size each way: 40 regions × 60 commodities (20 chains
    /// × 3 stages), every region pair a route (93,600 routes).
    pub fn bench_large() -> Self {
        SynthSpec {
            name: "synthetic-large".to_string(),
            regions: 40,
            chains: 20,
            ..SynthSpec::bench_medium()
        }
    }
}
