//! The demo instrument universe: 25 instruments across FX, rates and credit with the tick
//! sizes and price conventions those markets quote in, plus the simulator's starting levels.

use orion_hotpath::{AssetClass, InstrumentSpec, InstrumentTable, Price};

/// One instrument of the catalog with the simulator's parameters for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    /// Reference data.
    pub spec: InstrumentSpec,
    /// Starting mid, on the tick grid.
    pub initial_mid: Price,
    /// Typical bid/ask spread in ticks (calm regime).
    pub spread_ticks: i64,
    /// Standard deviation of a random-walk step in ticks (calm regime), in hundredths.
    pub step_centiticks: i64,
}

#[allow(clippy::too_many_arguments)]
fn entry(
    symbol: &str,
    asset_class: AssetClass,
    price_scale: u8,
    tick_size: i64,
    initial_mid: &str,
    spread_ticks: i64,
    step_centiticks: i64,
) -> CatalogEntry {
    let mid = Price::parse(initial_mid, price_scale).expect("catalog mid is a valid decimal");
    let on_grid = mid.units() - mid.units() % tick_size;
    CatalogEntry {
        spec: InstrumentSpec {
            symbol: symbol.to_owned(),
            asset_class,
            price_scale,
            tick_size,
            size_scale: 2,
        },
        initial_mid: Price::new(on_grid, price_scale),
        spread_ticks,
        step_centiticks,
    }
}

/// The 25-instrument demo universe, in a fixed order (ids are positions).
pub fn default_catalog() -> Vec<CatalogEntry> {
    use AssetClass::{Credit, Fx, Rates};
    vec![
        entry("EUR/USD", Fx, 5, 1, "1.08425", 2, 120),
        entry("GBP/USD", Fx, 5, 1, "1.26510", 3, 140),
        entry("USD/JPY", Fx, 3, 1, "151.235", 3, 150),
        entry("USD/CHF", Fx, 5, 1, "0.88120", 3, 120),
        entry("AUD/USD", Fx, 5, 1, "0.65840", 3, 110),
        entry("USD/CAD", Fx, 5, 1, "1.36550", 3, 110),
        entry("NZD/USD", Fx, 5, 1, "0.59870", 4, 110),
        entry("EUR/GBP", Fx, 5, 1, "0.85710", 3, 90),
        entry("EUR/JPY", Fx, 3, 1, "163.970", 4, 160),
        entry("EUR/CHF", Fx, 5, 1, "0.95530", 4, 90),
        entry("USD/SEK", Fx, 4, 1, "10.5234", 20, 300),
        entry("USD/NOK", Fx, 4, 1, "10.7812", 25, 300),
        entry("USD/MXN", Fx, 4, 1, "17.0520", 30, 400),
        entry("USD/SGD", Fx, 5, 1, "1.34210", 5, 120),
        // US Treasuries quoted in 32nds and their fractions, as decimals.
        entry("UST 2Y", Rates, 7, 78_125, "99.8125", 1, 60),
        entry("UST 5Y", Rates, 7, 78_125, "98.6250", 1, 80),
        entry("UST 10Y", Rates, 6, 15_625, "97.531250", 1, 80),
        entry("UST 30Y", Rates, 5, 3_125, "94.43750", 1, 90),
        entry("DE 10Y", Rates, 2, 1, "131.45", 1, 60),
        entry("USD SOFR 5Y", Rates, 4, 5, "3.9125", 2, 50),
        // Credit indices: IG and Main in basis points of spread, HY in price.
        entry("CDX.NA.IG", Credit, 3, 125, "52.250", 2, 60),
        entry("CDX.NA.HY", Credit, 5, 3_125, "106.12500", 2, 60),
        entry("ITRAXX MAIN", Credit, 2, 25, "58.50", 2, 60),
        entry("ITRAXX XOVER", Credit, 1, 5, "310.5", 2, 80),
        entry("AAPL 4.65 2046", Credit, 3, 1, "96.375", 50, 300),
    ]
}

/// Interns the catalog's specs, in catalog order.
pub fn instrument_table(catalog: &[CatalogEntry]) -> InstrumentTable {
    instrument_table_with_room(catalog, 0)
}

/// Interns the catalog's specs, in catalog order, with `spare` slots for instruments defined
/// at runtime.
pub fn instrument_table_with_room(catalog: &[CatalogEntry], spare: usize) -> InstrumentTable {
    InstrumentTable::with_spare(catalog.iter().map(|e| e.spec.clone()).collect(), spare)
        .expect("the catalog has unique symbols and valid specs")
}

/// A catalog entry for an instrument defined at runtime: the simulator starts it at
/// `reference_price` (snapped to the tick grid) with a two-tick spread.
pub fn runtime_entry(spec: InstrumentSpec, reference_price: Price) -> CatalogEntry {
    let units = reference_price.units();
    CatalogEntry {
        initial_mid: Price::new(units - units % spec.tick_size, spec.price_scale),
        spec,
        spread_ticks: 2,
        step_centiticks: 100,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_three_asset_classes_with_twenty_plus_instruments() {
        let catalog = default_catalog();
        assert!(catalog.len() >= 20);
        for class in [AssetClass::Fx, AssetClass::Rates, AssetClass::Credit] {
            assert!(
                catalog
                    .iter()
                    .filter(|e| e.spec.asset_class == class)
                    .count()
                    >= 5
            );
        }
        let table = instrument_table(&catalog);
        assert_eq!(table.len(), catalog.len());
        for e in &catalog {
            assert_eq!(
                e.initial_mid.units() % e.spec.tick_size,
                0,
                "{} on grid",
                e.spec.symbol
            );
        }
        assert_eq!(catalog[16].spec.tick_size_decimal(), "0.015625");
    }
}
