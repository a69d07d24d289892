//! Instruments interned to dense indexes.
//!
//! The universe is small, so every instrument is given a dense [`InstrumentId`] (`0..len`) and
//! per-instrument state everywhere on the hot path is a plain array lookup. [`InstrumentTable`]
//! is built once (it allocates; that is set-up, not per event) with room for instruments
//! defined later: spare slots, vacant until [`InstrumentTable::activate`] fills one. Every
//! per-instrument array on the hot path is sized to all slots at start, so a new instrument
//! never reallocates anything there; the stages learn its parameters from a `DefineInstrument`
//! command travelling the ring. A slot is filled once (`OnceLock`: readers never wait) and never
//! emptied.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

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

    /// The asset class named by [`AssetClass::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        [AssetClass::Fx, AssetClass::Rates, AssetClass::Credit]
            .into_iter()
            .find(|class| class.as_str() == name)
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
    /// Every spare slot is taken.
    #[error("no room for another instrument")]
    Full,
    /// The slot asked for is not a vacant spare slot.
    #[error("slot {0} is not vacant")]
    SlotTaken(u32),
}

/// The interned instrument universe: dense ids, specs by id, ids by symbol, and spare slots
/// for instruments defined at runtime.
#[derive(Debug)]
pub struct InstrumentTable {
    specs: Vec<InstrumentSpec>,
    by_symbol: HashMap<String, InstrumentId>,
    /// Ids `specs.len()..`: filled by [`InstrumentTable::activate`].
    spare: Box<[OnceLock<InstrumentSpec>]>,
}

fn check(spec: &InstrumentSpec) -> Result<(), InstrumentError> {
    if spec.symbol.is_empty()
        || spec.price_scale > MAX_SCALE
        || spec.size_scale > MAX_SCALE
        || spec.tick_size <= 0
    {
        return Err(InstrumentError::InvalidSpec(spec.symbol.clone()));
    }
    Ok(())
}

impl InstrumentTable {
    /// Interns `specs` in order: the first gets index 0. No room for more.
    pub fn new(specs: Vec<InstrumentSpec>) -> Result<Self, InstrumentError> {
        Self::with_spare(specs, 0)
    }

    /// Interns `specs` in order and keeps `spare` vacant slots after them.
    pub fn with_spare(specs: Vec<InstrumentSpec>, spare: usize) -> Result<Self, InstrumentError> {
        if u32::try_from(specs.len() + spare).is_err() {
            return Err(InstrumentError::TooMany);
        }
        let mut by_symbol = HashMap::with_capacity(specs.len());
        for (index, spec) in specs.iter().enumerate() {
            check(spec)?;
            let id = InstrumentId(index as u32);
            if by_symbol.insert(spec.symbol.clone(), id).is_some() {
                return Err(InstrumentError::Duplicate(spec.symbol.clone()));
            }
        }
        Ok(Self {
            specs,
            by_symbol,
            spare: (0..spare).map(|_| OnceLock::new()).collect(),
        })
    }

    /// Number of slots, spare ones included; ids are `0..len`. Per-instrument arrays are sized
    /// to this.
    pub fn len(&self) -> usize {
        self.specs.len() + self.spare.len()
    }

    /// True when the table has no slot at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id of `symbol`.
    pub fn id(&self, symbol: &str) -> Option<InstrumentId> {
        self.by_symbol.get(symbol).copied().or_else(|| {
            self.spare
                .iter()
                .position(|s| s.get().is_some_and(|spec| spec.symbol == symbol))
                .map(|i| InstrumentId((self.specs.len() + i) as u32))
        })
    }

    /// The spec of `id`; `None` for a vacant slot or an id not from this table.
    pub fn spec(&self, id: InstrumentId) -> Option<&InstrumentSpec> {
        match self.specs.get(id.index()) {
            Some(spec) => Some(spec),
            None => self.spare.get(id.index() - self.specs.len())?.get(),
        }
    }

    /// Every defined instrument, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (InstrumentId, &InstrumentSpec)> {
        (0..self.len() as u32).filter_map(|i| {
            let id = InstrumentId(i);
            Some((id, self.spec(id)?))
        })
    }

    /// Defines an instrument in the first vacant slot.
    pub fn activate(&self, spec: InstrumentSpec) -> Result<InstrumentId, InstrumentError> {
        let next = self.spare.iter().position(|s| s.get().is_none());
        let id = InstrumentId((self.specs.len() + next.ok_or(InstrumentError::Full)?) as u32);
        self.activate_at(id, spec)?;
        Ok(id)
    }

    /// Defines an instrument in the vacant slot `id` (recovery puts instruments defined before
    /// a restart back where they were).
    pub fn activate_at(
        &self,
        id: InstrumentId,
        spec: InstrumentSpec,
    ) -> Result<(), InstrumentError> {
        check(&spec)?;
        if self.id(&spec.symbol).is_some() {
            return Err(InstrumentError::Duplicate(spec.symbol));
        }
        let slot = id
            .index()
            .checked_sub(self.specs.len())
            .and_then(|i| self.spare.get(i))
            .ok_or(InstrumentError::SlotTaken(id.raw()))?;
        slot.set(spec)
            .map_err(|_| InstrumentError::SlotTaken(id.raw()))
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
    fn spare_slots_fill_in_order_and_once() {
        let table = InstrumentTable::with_spare(vec![spec("EUR/USD")], 2).unwrap();
        assert_eq!(table.len(), 3, "slots, spare ones included");
        assert_eq!(table.iter().count(), 1, "only defined instruments");
        let sek = table.activate(spec("EUR/SEK")).unwrap();
        assert_eq!(sek.index(), 1);
        assert_eq!(table.id("EUR/SEK"), Some(sek));
        assert_eq!(table.spec(sek).unwrap().symbol, "EUR/SEK");
        assert_eq!(
            table.activate(spec("EUR/SEK")),
            Err(InstrumentError::Duplicate("EUR/SEK".into()))
        );
        assert_eq!(
            table.activate_at(sek, spec("EUR/NOK")),
            Err(InstrumentError::SlotTaken(1))
        );
        table
            .activate_at(InstrumentId::from_index(2), spec("EUR/NOK"))
            .unwrap();
        assert_eq!(table.activate(spec("EUR/DKK")), Err(InstrumentError::Full));
        let ids: Vec<usize> = table.iter().map(|(id, _)| id.index()).collect();
        assert_eq!(ids, [0, 1, 2]);
        assert_eq!(table.spec(InstrumentId::from_index(9)), None);
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
