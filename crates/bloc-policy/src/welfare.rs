//! A region's welfare in a period (design §4): the market's surpluses, and what the
//! instruments collect and pay, each added by the instrument that owns it
//! ([`crate::Instrument::welfare`]).

/// One region's welfare components in a period (USD).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Welfare {
    /// Consumer surplus.
    pub consumer_surplus: f64,
    /// Producer surplus.
    pub producer_surplus: f64,
    /// Tariff revenue.
    pub tariff_revenue: f64,
    /// Levy revenue.
    pub levy_revenue: f64,
    /// Export-tax revenue and quota rent.
    pub export_revenue: f64,
    /// Subsidies and guarantees paid.
    pub support_cost: f64,
    /// Stockpile purchases − releases + storage.
    pub stockpile_cost: f64,
}

impl Welfare {
    /// The sum.
    pub fn total(&self) -> f64 {
        self.consumer_surplus
            + self.producer_surplus
            + self.tariff_revenue
            + self.levy_revenue
            + self.export_revenue
            - self.support_cost
            - self.stockpile_cost
    }
    /// Adds `o`, component by component.
    pub fn add(&mut self, o: &Welfare) {
        self.consumer_surplus += o.consumer_surplus;
        self.producer_surplus += o.producer_surplus;
        self.tariff_revenue += o.tariff_revenue;
        self.levy_revenue += o.levy_revenue;
        self.export_revenue += o.export_revenue;
        self.support_cost += o.support_cost;
        self.stockpile_cost += o.stockpile_cost;
    }
    /// The components and the total, as indicator names and values.
    pub fn rows(&self) -> [(&'static str, f64); 8] {
        [
            ("welfare_consumer_surplus_usd", self.consumer_surplus),
            ("welfare_producer_surplus_usd", self.producer_surplus),
            ("welfare_tariff_revenue_usd", self.tariff_revenue),
            ("welfare_levy_revenue_usd", self.levy_revenue),
            ("welfare_export_revenue_usd", self.export_revenue),
            ("welfare_support_cost_usd", self.support_cost),
            ("welfare_stockpile_cost_usd", self.stockpile_cost),
            ("welfare_total_usd", self.total()),
        ]
    }
}
