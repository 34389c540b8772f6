//! What a tonne pays at the border: the tariff and the levy to the floor. One formula each,
//! here in the lowest crate, so that the engine (`bloc_market::Route`), the policies
//! (`bloc_policy::floor`), the scenario's tariff rows (`bloc_scenario::Tariff`) and the
//! secretariat's duty lookup (`bloc-serve`) cannot disagree.

use crate::UsdPerTonne;

/// The tariff per tonne: `specific + ad_valorem × customs value`, where the customs value is
/// `p_origin` (the fob price: origin price + any export tax) + transport, taken as 0 when it is negative (a negative origin price, possible
/// for a by-product the market must pay to take, has no customs value).
pub fn tariff(
    specific: UsdPerTonne,
    ad_valorem: f64,
    p_origin: UsdPerTonne,
    transport: UsdPerTonne,
) -> UsdPerTonne {
    UsdPerTonne(specific.0 + ad_valorem * (p_origin.0 + transport.0).max(0.0))
}

/// The export tax per tonne: `rate × origin price`, the origin price (the exporter's own
/// market price, the value it taxes) taken as 0 when it is negative. What the exporter's
/// government collects; the importer's customs value is then origin price + export tax +
/// transport ([`fob`] + transport).
pub fn export_tax(rate: f64, p_origin: UsdPerTonne) -> UsdPerTonne {
    UsdPerTonne(rate * p_origin.0.max(0.0))
}

/// The price free on board: origin price + export tax at `rate`.
pub fn fob(rate: f64, p_origin: UsdPerTonne) -> UsdPerTonne {
    UsdPerTonne(p_origin.0 + export_tax(rate, p_origin).0)
}

/// The levy to the floor per tonne: `clamp(floor − landed, 0, cap)`, landed = `p_origin` (the
/// fob price, origin price + any export tax) + transport + tariff; a negative cap is 0. Never NaN-panics (`max`/`min`, not `clamp`).
pub fn levy_to_floor(
    floor: UsdPerTonne,
    p_origin: UsdPerTonne,
    transport: UsdPerTonne,
    tariff: UsdPerTonne,
    cap: UsdPerTonne,
) -> UsdPerTonne {
    let landed = p_origin.0 + transport.0 + tariff.0;
    UsdPerTonne((floor.0 - landed).max(0.0).min(cap.0.max(0.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(x: f64) -> UsdPerTonne {
        UsdPerTonne(x)
    }

    #[test]
    fn tariff_is_specific_plus_ad_valorem_on_the_customs_value() {
        // 100 + 0.25 × (1,000 + 200) = 400.
        assert_eq!(tariff(u(100.0), 0.25, u(1000.0), u(200.0)), u(400.0));
        // Customs value −50 + 20 < 0 counts as 0: only the specific part.
        assert_eq!(tariff(u(7.0), 0.5, u(-50.0), u(20.0)), u(7.0));
    }

    #[test]
    fn export_tax_is_a_rate_on_the_origin_price_and_enters_the_fob_price() {
        // 25% of 1,000 = 250; fob 1,250; a negative origin price is taxed as 0.
        assert_eq!(export_tax(0.25, u(1000.0)), u(250.0));
        assert_eq!(fob(0.25, u(1000.0)), u(1250.0));
        assert_eq!(export_tax(0.5, u(-40.0)), u(0.0));
        assert_eq!(fob(0.5, u(-40.0)), u(-40.0));
    }

    #[test]
    fn levy_fills_the_gap_to_the_floor_within_the_cap() {
        // floor 45, landed 34 + 5 + 3 = 42: levy 3; landed 41: 4; above the floor: 0.
        assert_eq!(
            levy_to_floor(u(45.0), u(34.0), u(5.0), u(3.0), u(1000.0)),
            u(3.0)
        );
        assert_eq!(
            levy_to_floor(u(45.0), u(33.0), u(5.0), u(3.0), u(1000.0)),
            u(4.0)
        );
        assert_eq!(
            levy_to_floor(u(45.0), u(50.0), u(5.0), u(3.0), u(1000.0)),
            u(0.0)
        );
        // Gap 37, cap 10: 10; a negative cap is 0.
        assert_eq!(
            levy_to_floor(u(45.0), u(0.0), u(5.0), u(3.0), u(10.0)),
            u(10.0)
        );
        assert_eq!(
            levy_to_floor(u(45.0), u(0.0), u(5.0), u(3.0), u(-1.0)),
            u(0.0)
        );
    }
}
