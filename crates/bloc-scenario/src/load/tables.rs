//! The CSV tables of design §6: one schema per table and the `check_*` functions that turn
//! their rows into domain types.
//!
//! Each column's unit, bound, example and meaning is declared once, in its schema below: the
//! number checks take the bound and the example from there, and the README's format tables
//! ("The CSV tables") are generated from there (`csv_table::markdown_table`, checked by the
//! `readme_tables` test).

use super::check::{check_id_syntax, check_period, Edge, Known};
use super::csv_table::{opt, req, Bound, Cell, CsvTable, Schema};
use crate::model::*;
use crate::ScenarioError;
use bloc_units::{CommodityId, ProcessId, RegionId, TonnesPerYear, UsdPerTonne};
use std::collections::BTreeMap;

/// `regions.csv`.
pub(crate) const REGIONS: Schema = Schema {
    table: "regions",
    columns: &[
        req("id")
            .text("", "CHN")
            .doc("region id (ISO 3166 alpha-3 for a country); at least one row"),
        req("name").text("", "China").doc("display name"),
    ],
};
/// `commodities.csv`.
pub(crate) const COMMODITIES: Schema = Schema {
    table: "commodities",
    columns: &[
        req("id")
            .text("", "ndpr_oxide")
            .doc("commodity id, one product at one stage"),
        req("family").text("", "rare_earths").doc("mineral family"),
        req("stage").text("", "separated").doc(
            "one of `mine`, `concentrate`, `refined`, `separated`, `metal`, `material`, `component`",
        ),
        req("name").text("", "NdPr oxide").doc("display name"),
        opt("disposal_usd_per_t")
            .number("USD/t", Bound::AtLeast(0.0), "50")
            .doc("cost of disposing of a tonne (tailings, storage): a co-product in glut is worth minus this at worst (empty: 0)"),
    ],
};
/// `processes.csv`.
pub(crate) const PROCESSES: Schema = Schema {
    table: "processes",
    columns: &[
        req("id").text("", "chn_ndpr_oxide").doc(
            "a plant, mine or capacity block; several rows for one region and output make a cost curve",
        ),
        req("region").text("", "CHN").doc("where it is"),
        req("output")
            .text("", "ndpr_oxide")
            .doc("the one commodity it makes"),
        req("capacity_t_per_yr")
            .number("t/yr", Bound::AtLeast(0.0), "1200")
            .doc("output at full capacity"),
        req("unit_cost_usd_per_t")
            .number("USD/t", Bound::AtLeast(0.0), "4500")
            .doc("marginal operating cost per tonne of output at zero output (inputs are paid on top, at their prices)"),
        opt("cost_rise_usd_per_t")
            .number("USD/t", Bound::AtLeast(0.0), "100")
            .doc("rise of the marginal cost from zero output to full capacity. Empty or absent: **1% of the unit cost, at least 1 USD/t** (`Process::DEFAULT_COST_RISE_SHARE`, `Process::MIN_COST_RISE`), so that every block's cost curve slopes up. An explicit 0 makes a flat block."),
        opt("online")
            .text("period", "2027")
            .doc("first period it runs (empty: from the start)"),
        opt("offline")
            .text("period", "2031")
            .doc("first period it no longer runs (empty: never closes); after `online`"),
        req("source")
            .text("", "S01 MCS 2026")
            .doc("where the numbers come from, or `assumption: <reason>`"),
    ],
};
/// `inputs.csv`.
pub(crate) const INPUTS: Schema = Schema {
    table: "inputs",
    columns: &[
        req("process").text("", "chn_ndpr_oxide").doc(
            "a process of `processes` or a project of `projects`; not a mine-stage one (a mine has no inputs)",
        ),
        req("commodity").text("", "re_concentrate").doc(
            "an input, not the process's own output; one row per process and commodity",
        ),
        req("t_per_t_output")
            .number("t/t", Bound::Above(0.0), "4.0")
            .doc("tonnes of input per tonne of output"),
        req("source").text("", "S02").doc("as in `processes`"),
    ],
};
/// `outputs.csv`: co-products (design §9).
pub(crate) const OUTPUTS: Schema = Schema {
    table: "outputs",
    columns: &[
        req("process").text("", "chn_bayan_obo_separation").doc(
            "a process of `processes` or a project of `projects`",
        ),
        req("commodity").text("", "la_ce_oxide").doc(
            "a further output, not the process's main output nor one of its inputs; one row per process and commodity",
        ),
        req("t_per_t_output")
            .number("t/t", Bound::Above(0.0), "2.3")
            .doc("tonnes of it made per tonne of the main output (capacity and costs stay per tonne of main output)"),
        req("source").text("", "S02").doc("as in `processes`"),
    ],
};
/// `demand.csv`.
pub(crate) const DEMAND: Schema = Schema {
    table: "demand",
    columns: &[
        req("region")
            .text("", "JPN")
            .doc("the buyers' region; one row per region and commodity"),
        req("commodity").text("", "ndpr_oxide").doc("what they buy"),
        opt("form")
            .text("", "linear")
            .doc("`isoelastic` (default, also when empty) or `linear`"),
        req("quantity_t_per_yr")
            .number("t/yr", Bound::AtLeast(0.0), "10000")
            .doc("reference quantity Q0 (> 0 for `linear`)"),
        req("price_usd_per_t")
            .number("USD/t", Bound::Above(0.0), "60000")
            .doc("reference price P0"),
        req("elasticity")
            .number("", Bound::Below(0.0), "-0.5")
            .doc("own-price elasticity e at the reference point"),
        req("growth_per_yr")
            .number("fraction/yr", Bound::Above(-1.0), "0.05")
            .doc("Q0 grows by this each year from the first period (0.05 = 5%)"),
        opt("long_run_elasticity")
            .number("", Bound::Below(0.0), "-0.6")
            .doc("with `adjustment_per_yr`: the elasticity once buyers have adjusted (thrifting, substitution); `elasticity` is then the short-run one. Empty: no adjustment"),
        opt("adjustment_per_yr")
            .number("fraction/yr", Bound::Above(0.0), "0.3")
            .doc("with `long_run_elasticity`: the share of the gap to long-run demand closed each year, at most 1 (partial adjustment)"),
        opt("choke_usd_per_t")
            .number("USD/t", Bound::Above(0.0), "900000")
            .doc("isoelastic only: the price at which buyers stop buying, above `price_usd_per_t`. Empty: 10 × `price_usd_per_t`. What they want there but cannot get is unserved demand"),
        req("source").text("", "S01").doc("as in `processes`"),
    ],
};
/// `transport.csv`.
pub(crate) const TRANSPORT: Schema = Schema {
    table: "transport",
    columns: &[
        req("origin").text("", "*").doc("a region or `*` (any)"),
        req("destination").text("", "JPN").doc("a region or `*`"),
        req("commodity").text("", "*").doc("a commodity or `*`"),
        req("cost_usd_per_t")
            .number("USD/t", Bound::AtLeast(0.0), "200")
            .doc("cost of shipping one tonne from origin to destination"),
        req("source")
            .text("", "assumption: container rate")
            .doc("as in `processes`"),
    ],
};
/// `tariffs.csv`.
pub(crate) const TARIFFS: Schema = Schema {
    table: "tariffs",
    columns: &[
        req("importer").text("", "USA").doc("a region or `*` (any)"),
        req("exporter").text("", "CHN").doc("a region or `*`"),
        req("commodity").text("", "*").doc("a commodity or `*`"),
        req("ad_valorem")
            .number("fraction", Bound::AtLeast(0.0), "0.25")
            .doc("of the customs value, origin price + transport (0.25 = 25%)"),
        req("specific_usd_per_t")
            .number("USD/t", Bound::AtLeast(0.0), "0")
            .doc("a duty per tonne, on top of the ad valorem one"),
        req("source")
            .text("", "USTR Section 301")
            .doc("as in `processes`"),
    ],
};

/// Choke price of an isoelastic curve, as a multiple of its reference price.
pub(crate) const CHOKE_MULTIPLE: f64 = 10.0;

/// A required table with a header and no rows.
pub(crate) fn check_not_empty(t: &CsvTable, what: &str) -> Result<(), ScenarioError> {
    if t.rows.is_empty() {
        return Err(t.error(format!(
            "the {} table has a header but no rows; a scenario needs at least one {what}",
            t.schema.table
        )));
    }
    Ok(())
}

/// A defining id: valid syntax.
fn check_id(cell: Cell) -> Result<String, ScenarioError> {
    check_id_syntax(cell.text).map_err(|m| cell.error(m))?;
    Ok(cell.text.to_string())
}

/// No id defined twice in one table.
fn check_duplicate_ids<'a>(
    what: &str,
    ids: impl IntoIterator<Item = (Cell<'a>, &'a str)>,
) -> Result<(), ScenarioError> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (cell, id) in ids {
        if let Some(first) = seen.insert(id, cell.line) {
            return Err(cell.error(format!(
                "{what} id `{id}` is already defined on line {first}; give each {what} its own id"
            )));
        }
    }
    Ok(())
}

/// A reference that must name an existing id.
fn check_ref(cell: Cell, known: &Known) -> Result<String, ScenarioError> {
    known.check(cell.text).map_err(|m| cell.error(m))?;
    Ok(cell.text.to_string())
}

/// The columns a plant has in `processes.csv` and `projects.csv` alike.
pub(crate) struct PlantCells {
    pub region: RegionId,
    pub output: CommodityId,
    pub capacity: TonnesPerYear,
    pub unit_cost: UsdPerTonne,
    pub cost_rise: Option<UsdPerTonne>,
}

/// One parser of a plant's region, output, capacity, unit cost and cost rise, for the
/// processes and the projects tables (each schema gives its own examples).
pub(crate) fn plant_cells(
    t: &CsvTable,
    row: &super::csv_table::Row,
    refs: &Refs,
) -> Result<PlantCells, ScenarioError> {
    let region = check_ref(t.cell(row, "region"), &refs.regions)?;
    let output = check_ref(t.cell(row, "output"), &refs.commodities)?;
    Ok(PlantCells {
        region: RegionId::from(region),
        output: CommodityId::from(output),
        capacity: TonnesPerYear(t.number(row, "capacity_t_per_yr")?),
        unit_cost: UsdPerTonne(t.number(row, "unit_cost_usd_per_t")?),
        cost_rise: t.opt_number(row, "cost_rise_usd_per_t")?.map(UsdPerTonne),
    })
}

/// `regions.csv` → regions.
pub(crate) fn check_regions(t: &CsvTable) -> Result<Vec<Region>, ScenarioError> {
    check_not_empty(t, "region")?;
    let mut out = Vec::new();
    for row in &t.rows {
        let id = check_id(t.cell(row, "id"))?;
        out.push(Region {
            id: RegionId::from(id),
            name: t.cell(row, "name").text.to_string(),
        });
    }
    check_duplicate_ids(
        "region",
        t.rows.iter().map(|r| {
            let c = t.cell(r, "id");
            (c, c.text)
        }),
    )?;
    Ok(out)
}

/// `commodities.csv` → commodities.
pub(crate) fn check_commodities(t: &CsvTable) -> Result<Vec<Commodity>, ScenarioError> {
    check_not_empty(t, "commodity")?;
    let mut out = Vec::new();
    for row in &t.rows {
        let id = check_id(t.cell(row, "id"))?;
        let stage_cell = t.cell(row, "stage");
        let stage = Stage::parse(stage_cell.text).ok_or_else(|| {
            let all: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
            stage_cell.error(format!(
                "`{}` is not a stage; write one of {}",
                stage_cell.text,
                all.join(", ")
            ))
        })?;
        out.push(Commodity {
            id: CommodityId::from(id),
            family: t.cell(row, "family").text.to_string(),
            stage,
            name: t.cell(row, "name").text.to_string(),
            disposal: UsdPerTonne(t.opt_number(row, "disposal_usd_per_t")?.unwrap_or(0.0)),
        });
    }
    check_duplicate_ids(
        "commodity",
        t.rows.iter().map(|r| {
            let c = t.cell(r, "id");
            (c, c.text)
        }),
    )?;
    Ok(out)
}

/// The ids the other tables may refer to.
#[derive(Debug)]
pub(crate) struct Refs {
    pub regions: Known,
    pub commodities: Known,
}

/// `processes.csv` → processes (without inputs yet).
pub(crate) fn check_processes(
    t: &CsvTable,
    refs: &Refs,
    time: &TimeAxis,
) -> Result<Vec<Process>, ScenarioError> {
    check_not_empty(t, "process")?;
    let mut out = Vec::new();
    for row in &t.rows {
        let id = check_id(t.cell(row, "id"))?;
        let plant = plant_cells(t, row, refs)?;
        let online_cell = t.cell(row, "online");
        let offline_cell = t.cell(row, "offline");
        let online = check_opt_period(online_cell, time, Edge::Start)?;
        let offline = check_opt_period(offline_cell, time, Edge::End)?;
        if let (Some(on), Some(off)) = (online, offline) {
            if on >= off {
                return Err(offline_cell.error(format!(
                    "offline `{}` is not after online `{}`; a process must come online before it goes offline",
                    offline_cell.text, online_cell.text
                )));
            }
        }
        out.push(Process {
            id: ProcessId::from(id),
            region: plant.region,
            output: plant.output,
            capacity: plant.capacity,
            unit_cost: plant.unit_cost,
            cost_rise: plant.cost_rise,
            online,
            offline,
            inputs: Vec::new(),
            outputs: Vec::new(),
            project: None,
        });
    }
    check_duplicate_ids(
        "process",
        t.rows.iter().map(|r| {
            let c = t.cell(r, "id");
            (c, c.text)
        }),
    )?;
    Ok(out)
}

/// An optional period cell → index.
fn check_opt_period(
    cell: Cell,
    time: &TimeAxis,
    edge: Edge,
) -> Result<Option<usize>, ScenarioError> {
    if cell.is_empty() {
        return Ok(None);
    }
    check_period(cell.text, time, edge)
        .map(Some)
        .map_err(|m| cell.error(m))
}

/// `inputs.csv` → each process's inputs. A mine has none; no process uses its own output;
/// one row per process and commodity.
pub(crate) fn check_inputs(
    t: &CsvTable,
    processes: &mut [Process],
    processes_file: &str,
    commodities: &[Commodity],
    refs: &Refs,
) -> Result<(), ScenarioError> {
    let stage_of: BTreeMap<&str, Stage> = commodities
        .iter()
        .map(|c| (c.id.as_str(), c.stage))
        .collect();
    per_process_rows(
        t,
        processes,
        processes_file,
        refs,
        "input",
        |p, commodity, pcell, ccell| {
            let process = p.id.as_str();
            if stage_of.get(p.output.as_str()) == Some(&Stage::Mine) {
                return Err(pcell.error(format!(
                "process `{process}` makes `{}`, a mine-stage commodity, and a mine has no inputs; remove this row or give the process a later-stage output",
                p.output
            )));
            }
            if p.output.as_str() == commodity {
                return Err(ccell.error(format!(
                "process `{process}` would use its own output `{commodity}` as an input; name a different commodity"
            )));
            }
            Ok(&mut p.inputs)
        },
    )
}

/// `outputs.csv` → each process's co-products: not its main output, not one of its inputs,
/// one row per process and commodity.
pub(crate) fn check_outputs(
    t: &CsvTable,
    processes: &mut [Process],
    processes_file: &str,
    refs: &Refs,
) -> Result<(), ScenarioError> {
    per_process_rows(
        t,
        processes,
        processes_file,
        refs,
        "co-product",
        |p, commodity, _, ccell| {
            let process = p.id.as_str();
            if p.output.as_str() == commodity {
                return Err(ccell.error(format!(
                "`{commodity}` is the main output of process `{process}`; a co-product must be another commodity (capacity and costs are already per tonne of `{commodity}`)"
            )));
            }
            if p.inputs.iter().any(|(c, _)| c.as_str() == commodity) {
                return Err(ccell.error(format!(
                "process `{process}` uses `{commodity}` as an input and cannot also make it; remove one of the two rows"
            )));
            }
            Ok(&mut p.outputs)
        },
    )
}

/// The rows of a per-process table (`process, commodity, t_per_t_output`, as `inputs.csv` and
/// `outputs.csv`): each names a known process and commodity, once per pair; `check` tests the
/// row against its process and says which of the process's lists it goes into.
fn per_process_rows(
    t: &CsvTable,
    processes: &mut [Process],
    processes_file: &str,
    refs: &Refs,
    what: &str,
    mut check: impl for<'p> FnMut(
        &'p mut Process,
        &str,
        Cell<'_>,
        Cell<'_>,
    ) -> Result<&'p mut Vec<(CommodityId, f64)>, ScenarioError>,
) -> Result<(), ScenarioError> {
    let known = Known::new(
        "process",
        processes_file.to_string(),
        processes.iter().map(|p| p.id.to_string()),
    );
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for row in &t.rows {
        let pcell = t.cell(row, "process");
        let process = check_ref(pcell, &known)?;
        let ccell = t.cell(row, "commodity");
        let commodity = check_ref(ccell, &refs.commodities)?;
        let coef = t.number(row, "t_per_t_output")?;
        let Some(p) = processes.iter_mut().find(|p| p.id.as_str() == process) else {
            return Err(pcell.error(format!("process `{process}` does not exist")));
        };
        let list = check(p, &commodity, pcell, ccell)?;
        if let Some(first) = seen.insert((process.clone(), commodity.clone()), row.line) {
            return Err(ccell.error(format!(
                "process `{process}` already has {what} `{commodity}` on line {first}; give one row per process and commodity"
            )));
        }
        list.push((CommodityId::from(commodity), coef));
    }
    Ok(())
}

/// `demand.csv` → demand curves.
pub(crate) fn check_demand(t: &CsvTable, refs: &Refs) -> Result<Vec<Demand>, ScenarioError> {
    check_not_empty(t, "demand row")?;
    let mut out = Vec::new();
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for row in &t.rows {
        let rcell = t.cell(row, "region");
        let region = check_ref(rcell, &refs.regions)?;
        let commodity = check_ref(t.cell(row, "commodity"), &refs.commodities)?;
        let form_cell = t.cell(row, "form");
        let linear = match form_cell.text {
            "" | "isoelastic" => false,
            "linear" => true,
            other => {
                return Err(form_cell.error(format!(
                    "`{other}` is not a demand form; write `isoelastic` (the default; also when empty) or `linear`"
                )))
            }
        };
        let quantity = t.number(row, "quantity_t_per_yr")?;
        if linear && quantity == 0.0 {
            return Err(t.cell(row, "quantity_t_per_yr").error(
                "a linear demand curve needs a reference quantity greater than 0 (its slope is P0/(e·Q0)); write a positive quantity or use `isoelastic`",
            ));
        }
        let price = t.number(row, "price_usd_per_t")?;
        let elasticity = t.number(row, "elasticity")?;
        let growth = t.number(row, "growth_per_yr")?;
        let long_run = t.opt_number(row, "long_run_elasticity")?;
        let adjustment = t.opt_number(row, "adjustment_per_yr")?;
        let adjust = match (long_run, adjustment) {
            (None, None) => None,
            (Some(e), Some(rate)) => {
                if rate > 1.0 {
                    return Err(t.cell(row, "adjustment_per_yr").error(format!(
                        "adjustment_per_yr = {rate} closes more than the whole gap in a year; write a fraction above 0 and at most 1 (0.3 = 30% a year)"
                    )));
                }
                if linear {
                    return Err(t.cell(row, "long_run_elasticity").error(
                        "partial adjustment applies to isoelastic demand; leave long_run_elasticity and adjustment_per_yr empty for a linear row",
                    ));
                }
                Some(Adjustment {
                    long_run_elasticity: e,
                    per_yr: rate,
                })
            }
            (Some(_), None) => {
                return Err(t.cell(row, "adjustment_per_yr").error(
                    "long_run_elasticity is given but adjustment_per_yr is empty; write the share of the gap closed each year, as `0.3`, or leave both empty",
                ))
            }
            (None, Some(_)) => {
                return Err(t.cell(row, "long_run_elasticity").error(
                    "adjustment_per_yr is given but long_run_elasticity is empty; write the long-run elasticity, as `-0.6`, or leave both empty",
                ))
            }
        };
        let choke = t.opt_number(row, "choke_usd_per_t")?;
        if let Some(c) = choke {
            if linear {
                return Err(t.cell(row, "choke_usd_per_t").error(
                    "a linear demand curve has no choke price (it runs down to zero price from P0 + P0/(-e)); leave choke_usd_per_t empty or use `isoelastic`",
                ));
            }
            if c <= price {
                return Err(t.cell(row, "choke_usd_per_t").error(format!(
                    "the choke price {c} is not above the reference price {price}; write a price above it (empty: 10 × the reference price, {})",
                    price * CHOKE_MULTIPLE
                )));
            }
        }
        if let Some(first) = seen.insert((region.clone(), commodity.clone()), row.line) {
            return Err(rcell.error(format!(
                "demand for `{commodity}` in `{region}` is already given on line {first}; give one row per region and commodity"
            )));
        }
        let form = if linear {
            DemandForm::Linear
        } else {
            DemandForm::Isoelastic {
                choke: UsdPerTonne(choke.unwrap_or(price * CHOKE_MULTIPLE)),
            }
        };
        out.push(Demand {
            region: RegionId::from(region),
            commodity: CommodityId::from(commodity),
            form,
            quantity: TonnesPerYear(quantity),
            price: UsdPerTonne(price),
            elasticity,
            growth_per_yr: growth,
            adjust,
        });
    }
    Ok(out)
}

/// A selector cell: `*` or an existing id.
fn check_sel<T: From<String>>(cell: Cell, known: &Known) -> Result<Sel<T>, ScenarioError> {
    if cell.text == "*" {
        return Ok(Sel::Any);
    }
    let id = check_ref(cell, known).map_err(|_| {
        let hint = known.check(cell.text).err().unwrap_or_default();
        cell.error(format!("{hint}; or write `*` for any {}", known.what))
    })?;
    Ok(Sel::One(T::from(id)))
}

fn sel_text<T: std::fmt::Display>(s: &Sel<T>) -> String {
    match s {
        Sel::Any => "*".to_string(),
        Sel::One(v) => v.to_string(),
    }
}

/// `transport.csv` → rules.
pub(crate) fn check_transport(
    t: &CsvTable,
    refs: &Refs,
) -> Result<Vec<TransportRule>, ScenarioError> {
    let mut out = Vec::new();
    for row in &t.rows {
        out.push(TransportRule {
            origin: check_sel(t.cell(row, "origin"), &refs.regions)?,
            destination: check_sel(t.cell(row, "destination"), &refs.regions)?,
            commodity: check_sel(t.cell(row, "commodity"), &refs.commodities)?,
            cost: UsdPerTonne(t.number(row, "cost_usd_per_t")?),
            line: row.line,
        });
    }
    let rules: Vec<SelRule> = out
        .iter()
        .map(|r| SelRule {
            sels: [
                sel_text(&r.origin),
                sel_text(&r.destination),
                sel_text(&r.commodity),
            ],
            value: [r.cost.0, 0.0],
            line: r.line,
        })
        .collect();
    check_rule_set(
        t,
        &rules,
        ["origin", "destination", "commodity"],
        "cost",
        refs,
    )?;
    Ok(out)
}

/// `tariffs.csv` → rules.
pub(crate) fn check_tariffs(t: &CsvTable, refs: &Refs) -> Result<Vec<TariffRule>, ScenarioError> {
    let mut out = Vec::new();
    for row in &t.rows {
        out.push(TariffRule {
            importer: check_sel(t.cell(row, "importer"), &refs.regions)?,
            exporter: check_sel(t.cell(row, "exporter"), &refs.regions)?,
            commodity: check_sel(t.cell(row, "commodity"), &refs.commodities)?,
            tariff: Tariff {
                ad_valorem: t.number(row, "ad_valorem")?,
                specific: UsdPerTonne(t.number(row, "specific_usd_per_t")?),
            },
            line: row.line,
        });
    }
    let rules: Vec<SelRule> = out
        .iter()
        .map(|r| SelRule {
            sels: [
                sel_text(&r.importer),
                sel_text(&r.exporter),
                sel_text(&r.commodity),
            ],
            value: [r.tariff.ad_valorem, r.tariff.specific.0],
            line: r.line,
        })
        .collect();
    check_rule_set(
        t,
        &rules,
        ["importer", "exporter", "commodity"],
        "tariff",
        refs,
    )?;
    Ok(out)
}

/// A wildcard rule reduced to what the checks need.
struct SelRule {
    sels: [String; 3],
    value: [f64; 2],
    line: usize,
}

impl SelRule {
    fn specificity(&self) -> usize {
        self.sels.iter().filter(|s| *s != "*").count()
    }
    fn matches(&self, triple: [&str; 3]) -> bool {
        self.sels
            .iter()
            .zip(triple)
            .all(|(s, x)| s == "*" || s == x)
    }
}

/// No two rules with the same selectors (`check_duplicate_rules`), and no concrete
/// (region, region, commodity) triple whose most specific matching rules tie with different
/// values (`check_ambiguous_rules`): "the most specific row wins" must name one row.
fn check_rule_set(
    t: &CsvTable,
    rules: &[SelRule],
    columns: [&'static str; 3],
    what: &str,
    refs: &Refs,
) -> Result<(), ScenarioError> {
    check_duplicate_rules(t, rules, columns)?;
    check_ambiguous_rules(t, rules, columns, what, refs)
}

fn check_duplicate_rules(
    t: &CsvTable,
    rules: &[SelRule],
    columns: [&'static str; 3],
) -> Result<(), ScenarioError> {
    let mut seen: BTreeMap<&[String; 3], usize> = BTreeMap::new();
    for r in rules {
        if let Some(first) = seen.insert(&r.sels, r.line) {
            return Err(ScenarioError::invalid(
                t.file.clone(),
                Some(r.line),
                Some(columns[0]),
                format!(
                    "the rule for {} `{}`, {} `{}`, {} `{}` is already given on line {first}; keep one row per combination",
                    columns[0], r.sels[0], columns[1], r.sels[1], columns[2], r.sels[2]
                ),
            ));
        }
    }
    Ok(())
}

fn check_ambiguous_rules(
    t: &CsvTable,
    rules: &[SelRule],
    columns: [&'static str; 3],
    what: &str,
    refs: &Refs,
) -> Result<(), ScenarioError> {
    let universe = [
        refs.regions.ids(),
        refs.regions.ids(),
        refs.commodities.ids(),
    ];
    for (i, a) in rules.iter().enumerate() {
        for b in &rules[i + 1..] {
            if a.specificity() != b.specificity() || a.value == b.value {
                continue;
            }
            let compatible =
                (0..3).all(|k| a.sels[k] == "*" || b.sels[k] == "*" || a.sels[k] == b.sels[k]);
            if !compatible {
                continue;
            }
            // The selectors both rules accept in each position (the overlap).
            let overlap: Vec<Vec<&str>> = universe
                .iter()
                .zip(a.sels.iter().zip(&b.sels))
                .map(|(all, (x, y))| match (x.as_str(), y.as_str()) {
                    ("*", "*") => all.iter().map(String::as_str).collect(),
                    ("*", v) | (v, "*") => vec![v],
                    (v, w) if v == w => vec![v],
                    _ => Vec::new(),
                })
                .collect();
            for o in &overlap[0] {
                for d in &overlap[1] {
                    if o == d {
                        continue; // no route, no tariff, from a region to itself
                    }
                    for c in &overlap[2] {
                        let triple = [*o, *d, *c];
                        let beaten = rules
                            .iter()
                            .any(|r| r.specificity() > a.specificity() && r.matches(triple));
                        if !beaten {
                            let col = (0..3).find(|&k| a.sels[k] != b.sels[k]).unwrap_or(0);
                            return Err(ScenarioError::invalid(
                                t.file.clone(),
                                Some(b.line),
                                Some(columns[col]),
                                format!(
                                    "this row and line {} both apply to {} `{o}`, {} `{d}`, {} `{c}` and are equally specific, but give different {what}s; add a more specific row for that combination or make the rows agree",
                                    a.line, columns[0], columns[1], columns[2]
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
