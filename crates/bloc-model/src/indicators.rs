//! Indicators computed from one period's outcome (design §4). Scopes are written
//! `<group>:<id>`, e.g. `members:ndpr_oxide`, `commodity:ndpr_oxide`.
//!
//! * `price_usd_per_t` for `members:`, `non_members:` and `world:` each commodity: the
//!   consumption-weighted mean of the regions' prices (a plain mean over the regions that
//!   have a price when nobody in the group consumes).
//! * `unserved_t` for `world:`, `members:`, `non_members:` each commodity.
//! * `china_share` (fraction of world output made in region `CHN`, when the scenario has it)
//!   and `hhi` (Herfindahl–Hirschman index of output shares by region, 0–10,000) for each
//!   commodity that is produced.

use crate::world::SolvedMarket;
use bloc_results::{num, Table};
use bloc_scenario::Scenario;

/// The region id whose share of output is reported as China's.
pub const CHINA: &str = "CHN";

/// The period's price, unserved, China-share and HHI rows (the module's header says which).
pub(crate) fn market_indicators(
    s: &Scenario,
    solved: &SolvedMarket<'_>,
    is_market: &[bool],
    out: &mut Table,
) {
    let SolvedMarket {
        t,
        label,
        m,
        layout,
        o,
    } = *solved;
    let nc = s.commodities.len();
    let nr = s.regions.len();
    // Consumption and unserved per node.
    let mut cons = vec![0.0f64; nr * nc];
    let mut unserved = vec![0.0f64; nr * nc];
    for (k, d) in m.demand.iter().enumerate() {
        if layout.demand_row.get(k).copied().flatten().is_none() {
            continue;
        }
        cons[d.node] += o.demand[k];
        unserved[d.node] += o.unserved[k];
    }
    let mut output = vec![0.0f64; nr * nc];
    for (k, b) in m.supply.iter().enumerate() {
        if layout.block_process.get(k).copied().flatten().is_none() {
            continue;
        }
        output[layout.use_node(b.node)] += o.supply[k];
    }
    let member = s.bloc.members_in(s.regions.iter().map(|r| &r.id), t);
    let mut row = |indicator: &str, scope: String, v: f64| {
        out.push(vec![
            label.to_string(),
            indicator.to_string(),
            scope,
            num(v),
        ]);
    };
    for (c, com) in s.commodities.iter().enumerate() {
        for group in ["members", "non_members", "world"] {
            let pick = |r: usize| match group {
                "members" => member[r],
                "non_members" => !member[r],
                _ => true,
            };
            let regions: Vec<usize> = (0..nr)
                .filter(|&r| pick(r) && is_market[r * nc + c])
                .collect();
            let priced: Vec<(f64, f64)> = regions
                .iter()
                .filter_map(|&r| o.prices[r * nc + c].map(|p| (p, cons[r * nc + c])))
                .collect();
            if !priced.is_empty() {
                let w: f64 = priced.iter().map(|x| x.1).sum();
                let p = if w > 0.0 {
                    priced.iter().map(|x| x.0 * x.1).sum::<f64>() / w
                } else {
                    priced.iter().map(|x| x.0).sum::<f64>() / priced.len() as f64
                };
                row("price_usd_per_t", format!("{group}:{}", com.id), p);
            }
            if regions.iter().any(|&r| {
                s.demand
                    .iter()
                    .any(|d| d.commodity == com.id && s.region_index(d.region.as_str()) == Some(r))
            }) {
                let u: f64 = regions.iter().map(|&r| unserved[r * nc + c]).sum();
                row("unserved_t", format!("{group}:{}", com.id), u);
            }
        }
        let total: f64 = (0..nr).map(|r| output[r * nc + c]).sum();
        if total > 0.0 {
            if let Some(chn) = s.region_index(CHINA) {
                row(
                    "china_share",
                    format!("commodity:{}", com.id),
                    output[chn * nc + c] / total,
                );
            }
            let hhi: f64 = (0..nr)
                .map(|r| (100.0 * output[r * nc + c] / total).powi(2))
                .sum();
            row("hhi", format!("commodity:{}", com.id), hhi);
        }
    }
}
