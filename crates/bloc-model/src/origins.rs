//! The nodes and routes of a run's markets, with origin classes (design §8; see
//! [`bloc_policy::origin`] for the scheme): built once per run, so that every period's market
//! has the same nodes and routes.

use bloc_market::{MarketOutcome, SupplyBlock};
use bloc_policy::{Layout, OriginPlan, RouteClass};
use bloc_scenario::Scenario;
use bloc_units::{Tonnes, UsdPerTonne};

/// One route that exists in the scenario (any period), for one origin class.
#[derive(Debug, Clone)]
pub(crate) struct RouteSlot {
    pub origin: usize,
    pub destination: usize,
    pub commodity: usize,
    pub transport: f64,
    /// `origin>destination.commodity` (`@class` when followed by origin), the route's name in
    /// every period's market.
    pub name: String,
    pub from: usize,
    pub to: usize,
}

/// Rise of a per-class activity's cost across its capacity (USD/t): it only makes the split
/// of a plant's output between classes unique; the plant's own cost curve is on its capacity
/// block.
const ACTIVITY_COST_RISE: f64 = 1e-3;

/// Per (region, commodity) followed by origin: whether the region is a useful relay, that is
/// some lane through it, O → region → D, costs less freight than the direct lane O → D (or
/// there is no direct lane). Where freight obeys the triangle inequality, as with one rate
/// per commodity, no region is.
fn relays(s: &Scenario, class_base: &[Option<usize>]) -> Vec<bool> {
    let nr = s.regions.len();
    let nc = s.commodities.len();
    let mut out = vec![false; nr * nc];
    for c in 0..nc {
        if class_base[c].is_none() {
            continue;
        }
        let cost: Vec<Option<f64>> = (0..nr * nr)
            .map(|k| {
                let (o, d) = (k / nr, k % nr);
                (o != d)
                    .then(|| {
                        s.transport_cost(&s.regions[o].id, &s.regions[d].id, &s.commodities[c].id)
                    })
                    .flatten()
                    .map(|t| t.0)
            })
            .collect();
        for m in 0..nr {
            out[m * nc + c] = (0..nr).any(|o| {
                let Some(om) = cost[o * nr + m] else {
                    return false;
                };
                (0..nr).any(|d| {
                    d != o
                        && cost[m * nr + d].is_some_and(|md| {
                            cost[o * nr + d].is_none_or(|od| om + md < od * (1.0 - 1e-12))
                        })
                })
            });
        }
    }
    out
}

/// The run's nodes and routes.
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    pub routes: Vec<RouteSlot>,
    /// Name of every node.
    pub node_names: Vec<String>,
    /// Commodity of every node.
    pub node_commodity: Vec<usize>,
    /// Layout without the period's blocks (routes, classes, extra nodes).
    pub layout: Layout,
    /// Per process: its capacity node when it runs one activity per input class.
    pub capacity_node: Vec<Option<usize>>,
    /// Per use node: whether the region buys the commodity (demand or a plant's input).
    pub buyers: Vec<bool>,
}

impl Grid {
    pub fn new(s: &Scenario) -> Grid {
        let nr = s.regions.len();
        let nc = s.commodities.len();
        let plan = OriginPlan::new(s);
        let Nodes {
            node_names,
            node_commodity,
            extra_nodes,
            class_base,
            capacity_node,
        } = Nodes::new(s, &plan);
        let mut layout = Layout {
            regions: nr,
            commodities: nc,
            extra_nodes,
            class_base,
            origin: plan,
            ..Layout::default()
        };
        // Which (region, commodity, class) can ship: a region ships the goods it makes (its
        // own class; every class a plant of it running per-class activities makes). Under
        // `last_shipper` any region also re-exports what it imports, which is how a measure
        // leaks. Under `origin` a re-export meets the treatment of a direct shipment, so it
        // pays only where freight through the region beats the direct lane (or there is
        // none): such a region is a relay and keeps every class.
        let relays = relays(s, &layout.class_base);
        let ships = ships(s, &layout, &relays, &capacity_node);
        let keeps = keeps(s, &layout, &relays, &capacity_node);
        let routes = routes(s, &mut layout, (&ships, &keeps), &node_names);
        Grid {
            routes,
            node_names,
            node_commodity,
            layout,
            capacity_node,
            buyers: buyers(s),
        }
    }

    /// The node a plant in region `r` making `c` sells into: its region's class of `c` when
    /// `c` is followed by origin, else the region's market.
    pub fn output_node(&self, r: usize, c: usize) -> usize {
        let home = self.layout.origin.home_class(r);
        self.layout
            .class_node(r, c, home)
            .unwrap_or_else(|| self.layout.node(r, c))
    }

    /// The blocks of a plant in region `r` that runs one activity per input class: `main` (its
    /// capacity and cost curve) sells capacity into its capacity node, and each activity buys
    /// one tonne of it and the inputs of its class per tonne of output, which keeps its input's
    /// tracked class (`other` inputs make goods of the region's own class).
    pub fn activities(
        &self,
        s: &Scenario,
        pi: usize,
        r: usize,
        capacity: Tonnes,
    ) -> Vec<SupplyBlock> {
        let p = &s.processes[pi];
        let cap_node = self.capacity_node[pi].expect("a plant split by class");
        let out = s.commodity_index(p.output.as_str()).expect("validated");
        let plan = &self.layout.origin;
        (0..plan.classes())
            .map(|k| {
                let made = if plan.class_region(k).is_some() {
                    k
                } else {
                    plan.home_class(r)
                };
                let mut b = SupplyBlock::new(
                    format!("{}@{}", p.id, plan.class_name(s, k)),
                    self.layout
                        .class_node(r, out, made)
                        .expect("followed output"),
                    capacity,
                    UsdPerTonne(0.0),
                    UsdPerTonne(ACTIVITY_COST_RISE),
                );
                b.inputs = std::iter::once((cap_node, 1.0))
                    .chain(p.inputs.iter().map(|(c, coef)| {
                        let ci = s.commodity_index(c.as_str()).expect("validated");
                        let n = self
                            .layout
                            .class_node(r, ci, k)
                            .unwrap_or_else(|| self.layout.node(r, ci));
                        (n, *coef)
                    }))
                    .collect();
                b
            })
            .collect()
    }

    /// The region's price of a followed commodity it does not buy is its producers' price
    /// (its own class's), as without origin classes; its use node has no buyer to price it.
    pub fn regional_prices(&self, o: &mut MarketOutcome) {
        let l = &self.layout;
        for r in 0..l.regions {
            for c in 0..l.commodities {
                let n = l.node(r, c);
                if self.buyers[n] {
                    continue;
                }
                if let Some(h) = l.class_node(r, c, l.origin.home_class(r)) {
                    o.prices[n] = o.prices[h];
                }
            }
        }
    }
}
/// The run's nodes: a market per region and commodity, then per followed commodity a node per
/// region and origin class, then a capacity node per plant that runs one activity per input
/// class.
struct Nodes {
    node_names: Vec<String>,
    node_commodity: Vec<usize>,
    extra_nodes: Vec<(usize, usize)>,
    class_base: Vec<Option<usize>>,
    capacity_node: Vec<Option<usize>>,
}

impl Nodes {
    fn new(s: &Scenario, plan: &OriginPlan) -> Nodes {
        let nr = s.regions.len();
        let nc = s.commodities.len();
        let ncls = plan.classes();
        let mut node_names: Vec<String> = s
            .regions
            .iter()
            .flat_map(|r| {
                s.commodities
                    .iter()
                    .map(move |c| format!("{}.{}", r.id, c.id))
            })
            .collect();
        let mut node_commodity: Vec<usize> = (0..nr * nc).map(|n| n % nc).collect();
        let mut extra_nodes = Vec::new();
        let mut class_base = vec![None; nc];
        for (c, base) in class_base.iter_mut().enumerate() {
            if !plan.split[c] {
                continue;
            }
            *base = Some(node_names.len());
            for r in 0..nr {
                for k in 0..ncls {
                    node_names.push(format!(
                        "{}.{}@{}",
                        s.regions[r].id,
                        s.commodities[c].id,
                        plan.class_name(s, k)
                    ));
                    node_commodity.push(c);
                    extra_nodes.push((r, c));
                }
            }
        }
        let mut capacity_node = vec![None; s.processes.len()];
        for (pi, p) in s.processes.iter().enumerate() {
            let out = ci(s, p.output.as_str());
            let followed = p.inputs.iter().any(|(c, _)| plan.split[ci(s, c.as_str())]);
            if plan.content[out] && followed {
                capacity_node[pi] = Some(node_names.len());
                node_names.push(format!("{}.{}.capacity", p.region, p.id));
                node_commodity.push(out);
                extra_nodes.push((ri(s, p.region.as_str()), out));
            }
        }
        Nodes {
            node_names,
            node_commodity,
            extra_nodes,
            class_base,
            capacity_node,
        }
    }
}

/// Per (region, commodity, class): whether the region ships goods of that class.
fn ships(
    s: &Scenario,
    layout: &Layout,
    relays: &[bool],
    capacity_node: &[Option<usize>],
) -> Vec<bool> {
    let nr = s.regions.len();
    let nc = s.commodities.len();
    let ncls = layout.origin.classes();
    let relay = layout.origin.rule == Some(bloc_scenario::policy::OriginRule::LastShipper);
    let mut ships = vec![relay; nr * nc * ncls];
    for r in 0..nr {
        for c in 0..nc {
            if relays[r * nc + c] {
                for k in 0..ncls {
                    ships[(r * nc + c) * ncls + k] = true;
                }
            }
        }
    }
    for r in 0..nr {
        for c in 0..nc {
            ships[(r * nc + c) * ncls + layout.origin.home_class(r)] = true;
        }
    }
    for (pi, p) in s.processes.iter().enumerate() {
        if capacity_node[pi].is_some() {
            let (r, out) = (ri(s, p.region.as_str()), ci(s, p.output.as_str()));
            for k in 0..ncls {
                if layout.origin.class_region(k).is_some() {
                    ships[(r * nc + out) * ncls + k] = true;
                }
            }
        }
    }
    for r in layout.origin.tracked.clone() {
        // A tracked region's own goods are its class; what it imports from elsewhere it
        // would only ship on at a loss, unless it is a relay.
        for c in 0..nc {
            if !relays[r * nc + c] {
                ships[(r * nc + c) * ncls + ncls - 1] = false;
            }
        }
    }
    ships
}

/// Per (region, commodity): whether the region keeps its imports apart by class.
fn keeps(
    s: &Scenario,
    layout: &Layout,
    relays: &[bool],
    capacity_node: &[Option<usize>],
) -> Vec<bool> {
    let nc = s.commodities.len();
    let relay = layout.origin.rule == Some(bloc_scenario::policy::OriginRule::LastShipper);
    // Which regions keep imports of a followed commodity apart by class: under
    // `last_shipper` every region (it may re-export them as its own); under `origin` a
    // region whose plants keep the origin of that input. Elsewhere imports go straight to
    // the region's buyers.
    let mut keeps: Vec<bool> = relays.iter().map(|&x| x || relay).collect();
    for (pi, p) in s.processes.iter().enumerate() {
        if capacity_node[pi].is_some() {
            let r = ri(s, p.region.as_str());
            for (c, _) in &p.inputs {
                keeps[r * nc + ci(s, c.as_str())] = true;
            }
        }
    }
    keeps
}

/// The routes, commodity by commodity: a lane per (origin, destination) with transport, one
/// per class the origin ships for a followed commodity, and links from each class node to its
/// region's buyers. Each is added to `layout` with its class.
fn routes(
    s: &Scenario,
    layout: &mut Layout,
    (ships, keeps): (&[bool], &[bool]),
    node_names: &[String],
) -> Vec<RouteSlot> {
    let nr = s.regions.len();
    let nc = s.commodities.len();
    let ncls = layout.origin.classes();
    let mut routes = Vec::new();
    let mut push = |layout: &mut Layout, slot: RouteSlot, class: RouteClass| {
        layout
            .routes
            .push((slot.origin, slot.destination, slot.commodity));
        layout.route_class.push(class);
        routes.push(slot);
    };
    for c in 0..nc {
        for o in 0..nr {
            for d in 0..nr {
                let (ro, rd, cc) = (&s.regions[o].id, &s.regions[d].id, &s.commodities[c].id);
                let Some(cost) = s.transport_cost(ro, rd, cc) else {
                    continue;
                };
                if layout.class_base[c].is_none() {
                    let slot = RouteSlot {
                        origin: o,
                        destination: d,
                        commodity: c,
                        transport: cost.0,
                        name: format!("{ro}>{rd}.{cc}"),
                        from: o * nc + c,
                        to: d * nc + c,
                    };
                    push(layout, slot, RouteClass::Any);
                    continue;
                }
                for k in 0..ncls {
                    if !ships[(o * nc + c) * ncls + k] {
                        continue;
                    }
                    let slot = RouteSlot {
                        origin: o,
                        destination: d,
                        commodity: c,
                        transport: cost.0,
                        name: format!("{ro}>{rd}.{cc}@{}", layout.origin.class_name(s, k)),
                        from: layout.class_node(o, c, k).expect("followed"),
                        to: if keeps[d * nc + c] {
                            layout.class_node(d, c, k).expect("followed")
                        } else {
                            d * nc + c
                        },
                    };
                    push(layout, slot, RouteClass::Class(k));
                }
            }
        }
        // Links: a region's goods of any class reach its buyers.
        if layout.class_base[c].is_some() {
            for r in 0..nr {
                for k in 0..ncls {
                    if !(ships[(r * nc + c) * ncls + k] || keeps[r * nc + c]) {
                        continue;
                    }
                    let from = layout.class_node(r, c, k).expect("followed");
                    let slot = RouteSlot {
                        origin: r,
                        destination: r,
                        commodity: c,
                        transport: 0.0,
                        name: format!("{}>use", node_names[from]),
                        from,
                        to: r * nc + c,
                    };
                    push(layout, slot, RouteClass::Link(k));
                }
            }
        }
    }
    routes
}

/// Per use node: whether the region buys the commodity (demand or a plant's input).
fn buyers(s: &Scenario) -> Vec<bool> {
    let nr = s.regions.len();
    let nc = s.commodities.len();
    let mut buyers = vec![false; nr * nc];
    for p in &s.processes {
        let r = ri(s, p.region.as_str());
        for (c, _) in &p.inputs {
            buyers[r * nc + ci(s, c.as_str())] = true;
        }
    }
    for d in &s.demand {
        buyers[ri(s, d.region.as_str()) * nc + ci(s, d.commodity.as_str())] = true;
    }
    buyers
}
/// The index of region `id`, which the loader has checked.
fn ri(s: &Scenario, id: &str) -> usize {
    s.region_index(id).expect("validated region")
}

/// The index of commodity `id`, which the loader has checked.
fn ci(s: &Scenario, id: &str) -> usize {
    s.commodity_index(id).expect("validated commodity")
}
