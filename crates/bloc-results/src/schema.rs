//! The header of each result file (design §4): its name, its columns in order, and how many
//! leading columns are its key. The writer, the report and the tests read columns by these.

/// A result file's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema {
    /// File name (`prices.csv`).
    pub file: &'static str,
    /// Column names.
    pub header: &'static [&'static str],
    /// How many leading columns form the sort key (the rest are values).
    pub key_columns: usize,
}

/// `prices.csv`.
pub const PRICES: Schema = Schema {
    file: "prices.csv",
    header: &["period", "region", "commodity", "price_usd_per_t"],
    key_columns: 3,
};

/// `flows.csv`.
pub const FLOWS: Schema = Schema {
    file: "flows.csv",
    header: &[
        "period",
        "commodity",
        "origin",
        "destination",
        "origin_class",
        "quantity_t",
        "transport_usd_per_t",
        "tariff_usd_per_t",
        "levy_usd_per_t",
    ],
    key_columns: 5,
};

/// `class_prices.csv`.
pub const CLASS_PRICES: Schema = Schema {
    file: "class_prices.csv",
    header: &[
        "period",
        "region",
        "commodity",
        "origin_class",
        "price_usd_per_t",
    ],
    key_columns: 4,
};

/// `production.csv`.
pub const PRODUCTION: Schema = Schema {
    file: "production.csv",
    header: &[
        "period",
        "region",
        "process",
        "commodity",
        "quantity_t",
        "capacity_t",
        "unit_cost_usd_per_t",
    ],
    key_columns: 4,
};

/// `consumption.csv`.
pub const CONSUMPTION: Schema = Schema {
    file: "consumption.csv",
    header: &[
        "period",
        "region",
        "commodity",
        "quantity_t",
        "reference_quantity_t",
        "unserved_t",
        "disposed_t",
    ],
    key_columns: 3,
};

/// `policy.csv`.
pub const POLICY: Schema = Schema {
    file: "policy.csv",
    header: &[
        "period",
        "commodity",
        "reference_price_usd_per_t",
        "floor_usd_per_t",
    ],
    key_columns: 2,
};

/// `floors.csv`.
pub const FLOORS: Schema = Schema {
    file: "floors.csv",
    header: &[
        "period",
        "commodity",
        "floor_usd_per_t",
        "members_price_usd_per_t",
        "levy_max_usd_per_t",
        "levied_imports_t",
        "levy_free_imports_t",
        "members_exports_t",
        "binding",
        "status",
    ],
    key_columns: 2,
};

/// `stockpile.csv`.
pub const STOCKPILE: Schema = Schema {
    file: "stockpile.csv",
    header: &[
        "period",
        "stockpile",
        "commodity",
        "bought_t",
        "released_t",
        "inventory_t",
        "spent_usd",
        "budget_left_usd",
    ],
    key_columns: 3,
};

/// `projects.csv`.
pub const PROJECTS: Schema = Schema {
    file: "projects.csv",
    header: &[
        "project",
        "region",
        "commodity",
        "decided",
        "online",
        "capacity_t_per_yr",
        "capital_usd",
        "capital_grant_usd",
        "support_usd",
        "margin_usd",
        "npv_usd",
        "irr",
        "stranded",
    ],
    key_columns: 1,
};

/// `indicators.csv`.
pub const INDICATORS: Schema = Schema {
    file: "indicators.csv",
    header: &["period", "indicator", "scope", "value"],
    key_columns: 3,
};

/// `strategy.csv`.
pub const STRATEGY: Schema = Schema {
    file: "strategy.csv",
    header: &[
        "period",
        "player",
        "side",
        "instrument",
        "value",
        "min",
        "max",
        "objective_usd",
        "evaluations",
        "failed_evaluations",
        "rounds",
        "converged",
        "note",
    ],
    key_columns: 4,
};
