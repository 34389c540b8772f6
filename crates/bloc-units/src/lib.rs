//! Units and identifiers shared by every `bloc` crate.
//!
//! No bare `f64` crosses a crate boundary where a unit is meant: a tonnage is [`Tonnes`],
//! a price is [`UsdPerTonne`], a sum of money is [`Usd`]. The newtypes are thin (`Copy`,
//! one public field) so arithmetic stays readable, but a price can no longer be passed
//! where a quantity is expected.
#![deny(missing_docs)]

pub mod border;
mod id;
mod period;
mod quantity;

pub use id::{CommodityId, ProcessId, RegionId};
pub use period::{Period, PeriodError, PeriodLabel, Step};
pub use quantity::{Share, Tonnes, TonnesPerYear, Usd, UsdPerTonne};
