//! `[origin]` (design §8): `rule`, `track`, `processing` and `content_stages`, with their
//! defaults resolved against the measures the scenario declares.

use super::bloc::{check_region, BlocCtx};
use super::de::Located;
use crate::model::Stage;
use crate::policy::{BlocConfig, Counterpolicies, OriginRule, OriginRules, Processing};
use crate::strategy::Strategy;
use crate::ScenarioError;
use serde::Deserialize;

/// `[origin]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OriginRaw {
    pub rule: Option<Located<String>>,
    pub track: Option<Located<Vec<Located<String>>>>,
    pub processing: Option<Located<String>>,
    pub content_stages: Option<Located<Vec<Located<String>>>>,
}

/// `[origin]` → [`OriginRules`]. Without the table, or without `rule`: `origin` when an export
/// control, a strategy, a floor or a framework is declared, `last_shipper` otherwise (the two agree when
/// no measure is declared). Without `track`: every exporter named by an export control or playing a strategy.
pub(crate) fn check_origin(
    raw: Option<&OriginRaw>,
    bloc: &BlocConfig,
    counter: &Counterpolicies,
    strategies: &[Strategy],
    ctx: &BlocCtx,
) -> Result<OriginRules, ScenarioError> {
    let measures = !counter.export_controls.is_empty()
        || !strategies.is_empty()
        || !bloc.floors.is_empty()
        || !bloc.frameworks.is_empty();
    let rule = match raw.and_then(|r| r.rule.as_ref()) {
        None if measures => OriginRule::Origin,
        None => OriginRule::LastShipper,
        Some(r) => match r.value.trim() {
            "origin" => OriginRule::Origin,
            "last_shipper" => OriginRule::LastShipper,
            other => {
                return Err(r.error(format!(
                    "`{other}` is not a rule of origin; write `rule = \"origin\"` (measures follow where goods come from) or `rule = \"last_shipper\"` (they follow the last country that shipped them)"
                )))
            }
        },
    };
    let track = match raw.and_then(|r| r.track.as_ref()) {
        None => {
            let mut t = Vec::new();
            let exporters = counter.export_controls.iter().map(|c| &c.exporter);
            for x in exporters.chain(strategies.iter().map(|s| &s.player)) {
                if !t.contains(x) {
                    t.push(x.clone());
                }
            }
            t
        }
        Some(list) => {
            let mut t = Vec::new();
            for id in &list.value {
                let r = check_region(id, ctx)?;
                if t.contains(&r) {
                    return Err(id.error(format!(
                        "`{r}` is tracked twice; name each region once, as `track = [\"CHN\"]`"
                    )));
                }
                t.push(r);
            }
            t
        }
    };
    let processing = match raw.and_then(|r| r.processing.as_ref()) {
        None => Processing::Transforms,
        Some(p) => match p.value.trim() {
            "transforms" => Processing::Transforms,
            "content" => Processing::Content,
            other => {
                return Err(p.error(format!(
                    "`{other}` is not a processing rule; write `processing = \"transforms\"` (processing abroad confers the processor's origin) or `processing = \"content\"` (a processed good keeps the tracked origin of its inputs)"
                )))
            }
        },
    };
    if processing == Processing::Content && track.is_empty() {
        let p = raw
            .and_then(|r| r.processing.as_ref())
            .expect("content is only ever written");
        return Err(p.error(
            "`processing = \"content\"` follows tracked origins through processing, but no origin is tracked (no `track` and no export control names an exporter); add `track = [\"CHN\"]` or write `processing = \"transforms\"`",
        ));
    }
    let content_stages = match raw.and_then(|r| r.content_stages.as_ref()) {
        None => Stage::ALL.to_vec(),
        Some(list) => {
            if processing != Processing::Content {
                return Err(list.error(
                    "`content_stages` applies only under `processing = \"content\"`; remove it or add `processing = \"content\"`",
                ));
            }
            if list.value.is_empty() {
                return Err(list.error(format!(
                    "the list names no stage; name the stages whose plants keep the origin of their inputs, as `content_stages = [\"metal\", \"component\"]` (stages: {})",
                    stage_words()
                )));
            }
            let mut v = Vec::new();
            for w in &list.value {
                let st = Stage::parse(w.value.trim()).ok_or_else(|| {
                    w.error(format!(
                        "`{}` is not a stage; write one of {}",
                        w.value,
                        stage_words()
                    ))
                })?;
                if !v.contains(&st) {
                    v.push(st);
                }
            }
            v
        }
    };
    Ok(OriginRules {
        rule,
        track,
        processing,
        content_stages,
        declared: raw.is_some(),
    })
}

fn stage_words() -> String {
    Stage::ALL
        .iter()
        .map(|s| format!("`{}`", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}
