//! What a number may be, by what it measures: every number a scenario gives (a CSV cell or a
//! TOML value) must lie within the physically meaningful range of its unit, which is read off
//! its name (`…_usd_per_t` is a price or cost per tonne, `…_t_per_yr` a flow, `…_yr` a
//! duration). The ranges are generous (ten times anything real) and exist so that no input can
//! overflow what the engine derives from it: growth compounded over the horizon, a cost curve
//! squared in the objective, a lead time cast to periods. The README's format reference
//! lists them (section "Limits"); a test checks that the two agree.

/// The largest magnitude of a number of one kind, and what the message calls it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Limit {
    /// The largest allowed value (the smallest is `-max` unless the field says otherwise).
    pub max: f64,
    /// The smallest allowed value.
    pub min: f64,
    /// What the limit is, for the message (`10,000,000,000 USD/t (ten times ...)`).
    pub why: &'static str,
}

/// Magnitude limits by the end of a field's name, most specific first. `(suffix, min, max, why)`.
pub(crate) const LIMITS: &[(&str, f64, f64, &str)] = &[
    (
        "growth_per_yr",
        -1.0,
        1.0,
        "a growth rate is a fraction per year, at most 1 (100% a year)",
    ),
    (
        "_usd_per_t_per_yr",
        -1e10,
        1e10,
        "capital per tonne of yearly capacity is at most 1e10 USD",
    ),
    (
        "_usd_per_t_yr",
        -1e10,
        1e10,
        "a yearly cost per tonne is at most 1e10 USD",
    ),
    (
        "_usd_per_t",
        -1e10,
        1e10,
        "a price or cost is at most 1e10 USD/t (10,000 USD/g, over ten times any traded metal)",
    ),
    (
        "_usd",
        -1e15,
        1e15,
        "a sum of money is at most 1e15 USD (ten times world output)",
    ),
    (
        "_t_per_yr",
        -1e10,
        1e10,
        "a yearly quantity is at most 1e10 t (four times world iron-ore output)",
    ),
    (
        "per_yr",
        -1.0,
        1.0,
        "a rate is a fraction per year, at most 1 (100% a year)",
    ),
    (
        "_t_per_period",
        -1e10,
        1e10,
        "a quantity is at most 1e10 t (four times world iron-ore output)",
    ),
    (
        "t_per_t_output",
        0.0,
        1e6,
        "an input coefficient is at most 1e6 t per t of output",
    ),
    (
        "_t",
        -1e10,
        1e10,
        "a quantity is at most 1e10 t (four times world iron-ore output)",
    ),
    ("_yr", -200.0, 200.0, "a duration is at most 200 years"),
    (
        "elasticity",
        -20.0,
        20.0,
        "an elasticity is at most 20 in size",
    ),
    (
        "multiplier",
        -1000.0,
        1000.0,
        "a multiplier is at most 1000",
    ),
    ("ratio", -1000.0, 1000.0, "a ratio is at most 1000"),
    (
        "margin",
        -100.0,
        100.0,
        "a margin is a fraction, at most 100",
    ),
    (
        "ad_valorem",
        -100.0,
        100.0,
        "an ad valorem rate is a fraction of the customs value, at most 100 (10,000%)",
    ),
    (
        "discount_rate",
        -1.0,
        10.0,
        "a discount rate is a fraction per year, at most 10",
    ),
];

/// The smallest non-zero multiplier (shocks): a demand shock of 1e-100 once gave the solver a
/// market too ill-scaled to solve (issue 15).
pub(crate) const MIN_MULTIPLIER: f64 = 1e-9;

/// Any other number: at most 1e15 in size.
pub(crate) const ANY: Limit = Limit {
    min: -1e15,
    max: 1e15,
    why: "a number is at most 1e15 in size",
};

/// The limit of the field `name` (a CSV column or the last key of a TOML path such as
/// `bloc.stockpile[0].budget_usd`).
pub(crate) fn limit_for(name: &str) -> Limit {
    let key = name.rsplit('.').next().unwrap_or(name);
    let key = key.split('[').next().unwrap_or(key);
    LIMITS
        .iter()
        .find(|(suffix, ..)| key.ends_with(suffix))
        .map(|&(_, min, max, why)| Limit { min, max, why })
        .unwrap_or(ANY)
}

/// `Err(message)` when `v` lies outside the limit of the field `name`.
pub(crate) fn check(name: &str, v: f64) -> Result<(), String> {
    let l = limit_for(name);
    if !v.is_finite() {
        return Err(format!(
            "`{v}` is not allowed; write a finite number ({})",
            l.why
        ));
    }
    if name
        .rsplit('.')
        .next()
        .unwrap_or(name)
        .starts_with("multiplier")
        && v != 0.0
        && v.abs() < MIN_MULTIPLIER
    {
        return Err(format!(
            "`{v}` is out of range: a multiplier is 0 or at least {MIN_MULTIPLIER:e} in size (a smaller one is no physical change, and it leaves the market too ill-scaled to solve exactly); write 0 to remove the demand or capacity"
        ));
    }
    if v > l.max || v < l.min {
        return Err(format!(
            "`{v}` is out of range: {} must lie between {} and {} ({})",
            name, l.min, l.max, l.why
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_unit_in_the_name() {
        assert_eq!(limit_for("price_usd_per_t").max, 1e10);
        assert_eq!(limit_for("capital_usd_per_t_per_yr").max, 1e10);
        assert_eq!(limit_for("growth_per_yr").max, 1.0);
        assert_eq!(limit_for("bloc.stockpile[0].budget_usd").max, 1e15);
        assert_eq!(limit_for("lead_time_yr").max, 200.0);
        assert_eq!(limit_for("shock.demand[1].multiplier").max, 1000.0);
        assert_eq!(limit_for("mean"), ANY);
        // A yearly tonnage is not a yearly rate, nor a storage cost a duration.
        assert_eq!(limit_for("volume_t_per_yr").max, 1e10);
        assert_eq!(limit_for("capacity_t_per_yr").max, 1e10);
        assert_eq!(limit_for("storage_usd_per_t_yr").max, 1e10);
        assert_eq!(limit_for("demand_growth[0].per_yr").max, 1.0);
        assert_eq!(limit_for("max_inventory_t").max, 1e10);
        assert_eq!(limit_for("quota_t_per_period").max, 1e10);
        assert!(check("growth_per_yr", 1e307).is_err());
        assert!(check("shock.demand[0].multiplier", 1e-100).is_err());
        assert!(check("shock.demand[0].multiplier", 0.0).is_ok());
        assert!(check("shock.demand[0].multiplier", 1e-9).is_ok());
        assert!(check("growth_per_yr", 0.05).is_ok());
        assert!(check("lead_time_yr", 1e300)
            .unwrap_err()
            .contains("200 years"));
    }
}
