//! Instruments interned to dense indexes.
//!
//! The universe is small and fixed at start-up, so every instrument is given a dense
//! [`InstrumentId`] (`0..len`) and per-instrument state everywhere on the hot path is a plain array
//! lookup. [`InstrumentTable`] is built once (it allocates; that is set-up, not per event) and is
//! then read-only.

use std::collections::HashMap;
use std::fmt;

use crate::fixed::{MAX_SCALE, pow10};

/// Dense index of an instrument in its [`InstrumentTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstrumentId(u32);

impl InstrumentId {
    /// The id with this index. The index is only meaningful against the table that issued it.
    pub const fn from_index(index: u32) -> Self {
        Self(index)
    }

    /// The dense index, for array lookups.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The raw value as carried in ring slots and on the wire.
    pub const fn raw(self) -> u32 {
        self.0
    }
}

/// The asset class an instrument trades in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AssetClass {
    /// Foreign exchange spot.
    Fx = 1,
    /// Government bonds and swaps, quoted in price.
    Rates = 2,
    /// Credit: indices and single names, quoted in spread or price.
    Credit = 3,
}

impl AssetClass {
    /// Lower-case name used in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            AssetClass::Fx => "fx",
            AssetClass::Rates => "rates",
            AssetClass::Credit => "credit",
        }
    }
}

/// Reference data for one instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentSpec {
    /// External id, e.g. `EUR/USD`.
    pub symbol: String,
    /// Asset class.
    pub asset_class: AssetClass,
    /// Decimal places of a price; prices are `i64` units of 10^-price_scale.
    pub price_scale: u8,
    /// Minimum price increment in price units (1 = one unit of the last decimal place).
    pub tick_size: i64,
    /// Decimal places of a size.
    pub size_scale: u8,
}

/// Why an instrument table could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstrumentError {
    /// Two specs share a symbol.
    #[error("duplicate instrument symbol {0}")]
    Duplicate(String),
    /// Scale above 18 or tick size not positive.
    #[error("invalid scale or tick size for {0}")]
    InvalidSpec(String),
    /// More instruments than a `u32` index can address.
    #[error("too many instruments")]
    TooMany,
}

/// The interned instrument universe: dense ids, specs by id, ids by symbol.
#[derive(Debug, Clone)]
pub struct InstrumentTable {
    specs: Vec<InstrumentSpec>,
    by_symbol: HashMap<String, InstrumentId>,
}

impl InstrumentTable {
    /// Interns `specs` in order: the first gets index 0.
    pub fn new(specs: Vec<InstrumentSpec>) -> Result<Self, InstrumentError> {
        if u32::try_from(specs.len()).is_err() {
            return Err(InstrumentError::TooMany);
        }
        let mut by_symbol = HashMap::with_capacity(specs.len());
        for (index, spec) in specs.iter().enumerate() {
            if spec.price_scale > MAX_SCALE || spec.size_scale > MAX_SCALE || spec.tick_size <= 0 {
                return Err(InstrumentError::InvalidSpec(spec.symbol.clone()));
            }
            let id = InstrumentId(index as u32);
            if by_symbol.insert(spec.symbol.clone(), id).is_some() {
                return Err(InstrumentError::Duplicate(spec.symbol.clone()));
            }
        }
        Ok(Self { specs, by_symbol })
    }

    /// Number of instruments; ids are `0..len`.
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// True when the table holds no instrument.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// The id of `symbol`.
    pub fn id(&self, symbol: &str) -> Option<InstrumentId> {
        self.by_symbol.get(symbol).copied()
    }

    /// The spec of `id`, `None` when the id is not from this table.
    pub fn spec(&self, id: InstrumentId) -> Option<&InstrumentSpec> {
        self.specs.get(id.index())
    }

    /// All specs, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (InstrumentId, &InstrumentSpec)> {
        self.specs
            .iter()
            .enumerate()
            .map(|(i, spec)| (InstrumentId(i as u32), spec))
    }
}

impl InstrumentSpec {
    /// The tick size as a decimal string (`0.00001`).
    pub fn tick_size_decimal(&self) -> String {
        crate::fixed::Price::new(self.tick_size, self.price_scale).to_string()
    }

    /// One whole unit of price (1.0) in price units.
    pub fn one(&self) -> i64 {
        pow10(self.price_scale)
    }
}

impl fmt::Display for InstrumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(symbol: &str) -> InstrumentSpec {
        InstrumentSpec {
            symbol: symbol.into(),
            asset_class: AssetClass::Fx,
            price_scale: 5,
            tick_size: 1,
            size_scale: 0,
        }
    }

    #[test]
    fn interns_densely_in_order() {
        let table = InstrumentTable::new(vec![spec("EUR/USD"), spec("GBP/USD")]).unwrap();
        assert_eq!(table.id("EUR/USD"), Some(InstrumentId::from_index(0)));
        assert_eq!(table.id("GBP/USD").map(InstrumentId::index), Some(1));
        assert_eq!(table.id("XAU/USD"), None);
        assert_eq!(table.spec(InstrumentId::from_index(7)), None);
    }

    #[test]
    fn refuses_duplicates_and_bad_specs() {
        let dup = InstrumentTable::new(vec![spec("A"), spec("A")]);
        assert_eq!(dup.unwrap_err(), InstrumentError::Duplicate("A".into()));
        let mut bad = spec("B");
        bad.tick_size = 0;
        assert!(InstrumentTable::new(vec![bad]).is_err());
    }
}
