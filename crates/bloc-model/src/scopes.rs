//! `indicators.csv`'s scope, split into columns (issue 21).
//!
//! Every indicator row keeps the contract's four columns (design §4: period, indicator,
//! scope, value) and gains, after them, the scope split into what it names, each empty where
//! it does not apply, so a reader can filter by column instead of parsing `region:CHN:mine`:
//!
//! | column | from the scope | example |
//! | --- | --- | --- |
//! | `group` | `world`, `members`, `non_members` (alone or `<group>:<commodity>`) | `members` |
//! | `region` | `region:<r>`, `region:<r>:<commodity or stage>`, a control's exporter, a process's region | `CHN` |
//! | `commodity` | the commodity a scope names (a process's output) | `ndpr_oxide` |
//! | `stage` | the stage a scope names, or the stage of its commodity | `separated` |
//! | `process` | `process:<p>` | `mp_materials_oxide` |
//! | `instrument` | a stockpile (`vault-ndpr`, `vault-ndpr:<commodity>`) or an export control (`control:<n>:<exporter>`, as `control:<n>`) | `vault-ndpr` |
//! | `per` | whether the value is a flow over the period (`period`), a rate a year (`year`), or a level at the period (empty: prices, shares, inventories, days of cover) | `period` |
//!
//! Quantities stay in the contract's units: tonnes and USD per period, unless the name ends
//! in `_per_yr`.

use bloc_results::Table;
use bloc_scenario::{Scenario, Stage};

/// The columns of `indicators.csv`: the contract's four, then the scope split.
pub const COLUMNS: &[&str] = &[
    "period",
    "indicator",
    "scope",
    "value",
    "group",
    "region",
    "commodity",
    "stage",
    "process",
    "instrument",
    "per",
];

/// Indicators that are a level at the period (a price, a share, a stock), not a flow.
const LEVELS: &[&str] = &[
    "price_usd_per_t",
    "china_share",
    "hhi",
    "import_dependence",
    "leakage_share",
    "stockpile_inventory_t",
    "stockpile_days_of_cover",
];

/// What one scope names (empty strings where it names nothing of that kind).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// `world`, `members` or `non_members`.
    pub group: String,
    /// A region id.
    pub region: String,
    /// A commodity id.
    pub commodity: String,
    /// A stage (`mine` … `component`).
    pub stage: String,
    /// A process id.
    pub process: String,
    /// A stockpile's name or `control:<n>`.
    pub instrument: String,
}

/// Splits `scope` as the table in the module docs says, reading ids from `s`. A scope it does
/// not know gives an empty [`Scope`].
pub fn split(s: &Scenario, scope: &str) -> Scope {
    let parts: Vec<&str> = scope.split(':').collect();
    let mut out = Scope::default();
    let set_commodity = |out: &mut Scope, c: &str| {
        if let Some(i) = s.commodity_index(c) {
            out.commodity = c.to_string();
            out.stage = s.commodities[i].stage.as_str().to_string();
        } else if let Some(st) = Stage::ALL.iter().find(|st| st.as_str() == c) {
            out.stage = st.as_str().to_string();
        }
    };
    match parts.as_slice() {
        [g @ ("world" | "members" | "non_members"), rest @ ..] => {
            out.group = g.to_string();
            if let [c] = rest {
                set_commodity(&mut out, c);
            }
        }
        ["region", r, rest @ ..] => {
            out.region = r.to_string();
            if let [c] = rest {
                set_commodity(&mut out, c);
            }
        }
        ["commodity", c] => set_commodity(&mut out, c),
        ["process", p] => {
            out.process = p.to_string();
            if let Some(pr) = s.processes.iter().find(|x| x.id.as_str() == *p) {
                out.region = pr.region.to_string();
                set_commodity(&mut out, pr.output.as_str());
            }
        }
        ["control", n, exporter] => {
            out.instrument = format!("control:{n}");
            out.region = exporter.to_string();
        }
        [name, rest @ ..] if s.bloc.stockpiles.iter().any(|st| st.name == *name) => {
            out.instrument = name.to_string();
            if let [c] = rest {
                set_commodity(&mut out, c);
            }
        }
        _ => {}
    }
    out
}

/// `per` of an indicator: `year` for a rate a year, empty for a level, `period` for a flow.
pub fn per(indicator: &str) -> &'static str {
    if indicator.ends_with("_per_yr") {
        "year"
    } else if LEVELS.contains(&indicator) {
        ""
    } else {
        "period"
    }
}

/// Rewrites the indicators table of a run (rows of the contract's four columns) with the
/// split columns appended.
pub(crate) fn expand(s: &Scenario, table: &mut Table) {
    table.header = COLUMNS;
    for row in &mut table.rows {
        let x = split(s, &row[2]);
        let per = per(&row[1]);
        row.extend([
            x.group,
            x.region,
            x.commodity,
            x.stage,
            x.process,
            x.instrument,
            per.to_string(),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> Scenario {
        let p = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/examples/two-region-linear/scenario.toml"
        );
        bloc_scenario::load(std::path::Path::new(p)).expect("the shared example loads")
    }

    fn scope(group: &str, region: &str, commodity: &str, stage: &str) -> Scope {
        Scope {
            group: group.into(),
            region: region.into(),
            commodity: commodity.into(),
            stage: stage.into(),
            ..Scope::default()
        }
    }

    #[test]
    fn groups_regions_and_commodities_split_into_their_columns() {
        let s = world();
        let stage = s.commodities[0].stage.as_str();
        assert_eq!(split(&s, "members"), scope("members", "", "", ""));
        assert_eq!(split(&s, "world:x"), scope("world", "", "x", stage));
        assert_eq!(split(&s, "region:A"), scope("", "A", "", ""));
        assert_eq!(split(&s, "region:A:x"), scope("", "A", "x", stage));
        assert_eq!(split(&s, "region:A:mine"), scope("", "A", "", "mine"));
        assert_eq!(split(&s, "commodity:x"), scope("", "", "x", stage));
    }

    #[test]
    fn processes_controls_and_stockpiles_name_their_instrument_or_process() {
        let s = world();
        let p = &s.processes[0];
        let got = split(&s, &format!("process:{}", p.id));
        assert_eq!(got.process, p.id.as_str());
        assert_eq!(got.region, p.region.as_str());
        assert_eq!(got.commodity, p.output.as_str());
        let c = split(&s, "control:2:A");
        assert_eq!(
            (c.instrument.as_str(), c.region.as_str()),
            ("control:2", "A")
        );
        // Not a stockpile of this scenario: nothing is made up.
        assert_eq!(split(&s, "vault:x"), Scope::default());
    }

    #[test]
    fn per_says_flow_rate_or_level() {
        assert_eq!(per("levy_revenue_usd"), "period");
        assert_eq!(per("unserved_t"), "period");
        assert_eq!(per("capacity_built_t_per_yr"), "year");
        assert_eq!(per("price_usd_per_t"), "");
        assert_eq!(per("stockpile_inventory_t"), "");
    }
}
