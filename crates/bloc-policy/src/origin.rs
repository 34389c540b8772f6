//! Origin classes (design §8): which commodities the market follows by origin, and what each
//! route and node of the market is in those terms.
//!
//! For a commodity that a measure touches (an export control, a floor's levy, a framework; and
//! under `processing = "content"` everything made from it at a content stage), every region has
//! one node per origin class — each tracked region, and `other` — besides its **use node**,
//! where its buyers and (under `transforms`) its plants buy. Production enters the class of the
//! region that makes it; routes carry each class separately; a zero-cost **link** carries any
//! class from a region's class node into its use node (buyers are indifferent between classes),
//! and nothing leaves a use node, so goods cannot change class by passing through a region.
//! Under `content`, a plant whose inputs are followed runs as one activity per input class,
//! sharing its capacity through a private capacity node, and the output of each activity keeps
//! its input's tracked class (`other` inputs make goods of the plant's own region's class).
//!
//! Under `rule = "origin"`, a route's border measures (tariff, framework, levy, standards,
//! export controls) are those of its class's region when the class is tracked, else of its
//! shipper; under `last_shipper`, always of its shipper, as if nothing were followed (the
//! classes then only measure what is transshipped).

use bloc_scenario::policy::{OriginRule, Processing};
use bloc_scenario::{CommoditySet, Scenario};

/// What a route of the market carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// A commodity no measure touches: goods of any origin.
    Any,
    /// Goods of origin class `k` ([`OriginPlan::class_region`]).
    Class(usize),
    /// A region's class-`k` goods into its own use node (not a trade flow).
    Link(usize),
}

/// The origin classes of a scenario, fixed for the whole run (so that every period's market
/// has the same nodes and routes, and the warm start and licences' normal exports carry over).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OriginPlan {
    /// The rule in force.
    pub rule: Option<OriginRule>,
    /// Tracked regions (class `k` for `k < tracked.len()`; class `tracked.len()` is `other`).
    pub tracked: Vec<usize>,
    /// Per commodity: whether it is followed by origin class.
    pub split: Vec<bool>,
    /// Per commodity: whether plants making it keep the tracked origin of followed inputs.
    pub content: Vec<bool>,
}

impl OriginPlan {
    /// The plan for a scenario: its `[origin]` rules and the commodities its measures touch.
    pub fn new(s: &Scenario) -> Self {
        let nc = s.commodities.len();
        let tracked: Vec<usize> = s
            .origin
            .track
            .iter()
            .filter_map(|r| s.region_index(r.as_str()))
            .collect();
        let mut split = vec![false; nc];
        let mut touch = |set: &CommoditySet| {
            for (c, com) in s.commodities.iter().enumerate() {
                if set.contains(&com.id) {
                    split[c] = true;
                }
            }
        };
        for ctl in &s.counter.export_controls {
            touch(&ctl.commodities);
        }
        for f in &s.bloc.frameworks {
            touch(&f.commodities);
        }
        for i in s.strategies.iter().flat_map(|st| &st.instruments) {
            touch(&i.commodities);
        }
        for f in &s.bloc.floors {
            if let Some(c) = s.commodity_index(f.commodity.as_str()) {
                split[c] = true;
            }
        }
        if tracked.is_empty() {
            // Nothing is followed: one class would change nothing.
            split = vec![false; nc];
        }
        let mut content = vec![false; nc];
        if s.origin.processing == Processing::Content && !tracked.is_empty() {
            // Everything made, at a content stage, from a followed input is followed too.
            loop {
                let mut changed = false;
                for p in &s.processes {
                    let Some(out) = s.commodity_index(p.output.as_str()) else {
                        continue;
                    };
                    if !s.origin.content_stages.contains(&s.commodities[out].stage) {
                        continue;
                    }
                    let followed_input = p
                        .inputs
                        .iter()
                        .any(|(c, _)| s.commodity_index(c.as_str()).is_some_and(|c| split[c]));
                    if followed_input && !content[out] {
                        content[out] = true;
                        split[out] = true;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
        }
        OriginPlan {
            rule: Some(s.origin.rule),
            tracked,
            split,
            content,
        }
    }

    /// Whether any commodity is followed by origin.
    pub fn any(&self) -> bool {
        self.split.iter().any(|&b| b)
    }

    /// Number of origin classes (tracked regions and `other`).
    pub fn classes(&self) -> usize {
        self.tracked.len() + 1
    }

    /// The region of class `k`, or `None` for `other`.
    pub fn class_region(&self, k: usize) -> Option<usize> {
        self.tracked.get(k).copied()
    }

    /// The class of goods made in region `r`.
    pub fn home_class(&self, r: usize) -> usize {
        self.tracked
            .iter()
            .position(|&x| x == r)
            .unwrap_or(self.tracked.len())
    }

    /// The class's name in result files: the tracked region's id, or `other`.
    pub fn class_name(&self, s: &Scenario, k: usize) -> String {
        match self.class_region(k) {
            Some(r) => s.regions[r].id.to_string(),
            None => "other".to_string(),
        }
    }

    /// Whether border measures follow origin (rule `origin` and something followed).
    pub fn by_origin(&self) -> bool {
        self.rule == Some(OriginRule::Origin)
    }
}
