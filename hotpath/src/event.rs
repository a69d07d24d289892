//! The ring slot types.
//!
//! Every ring carries one fixed-size, `Copy`, cache-line-aligned slot type with no heap
//! pointers: [`InputEvent`] on the input ring (what producers publish), [`StageEvent`] between
//! the normalize and coalesce stages when they run on separate cores, and [`OutputEvent`] on the
//! output ring drained by the bridge. Ticks, timers and engine commands share the input slot. Timestamps are nanoseconds since the Unix epoch, stamped
//! by whoever publishes; stages never read a clock.

use crate::instrument::InstrumentId;
use crate::rfq::{EngineCommand, RfqEvent};

/// Where a tick came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SourceId {
    /// The built-in market-data simulator.
    Simulator = 1,
    /// Replay of a recorded tick file.
    Replay = 2,
    /// The UDP market-data feed.
    UdpFeed = 3,
    /// A benchmark or test harness.
    Harness = 4,
}

impl SourceId {
    /// Lower-case name used in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            SourceId::Simulator => "simulator",
            SourceId::Replay => "replay",
            SourceId::UdpFeed => "udp",
            SourceId::Harness => "harness",
        }
    }

    /// The source with this wire value.
    pub const fn from_u8(value: u8) -> Option<Self> {
        match value {
            1 => Some(SourceId::Simulator),
            2 => Some(SourceId::Replay),
            3 => Some(SourceId::UdpFeed),
            4 => Some(SourceId::Harness),
            _ => None,
        }
    }
}

/// Data-quality flags carried by a tick and its snapshot (a bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct QualityFlags(u8);

impl QualityFlags {
    /// Bid above ask.
    pub const CROSSED: QualityFlags = QualityFlags(1);
    /// A price that is not a whole number of ticks.
    pub const OFF_TICK: QualityFlags = QualityFlags(1 << 1);
    /// Source timestamp behind the receive time by more than the late threshold.
    pub const LATE: QualityFlags = QualityFlags(1 << 2);
    /// No update for longer than the stale threshold (set by the coalesce stage).
    pub const STALE: QualityFlags = QualityFlags(1 << 3);

    const NAMES: [(QualityFlags, &'static str); 4] = [
        (Self::CROSSED, "crossed"),
        (Self::OFF_TICK, "off_tick"),
        (Self::LATE, "late"),
        (Self::STALE, "stale"),
    ];

    /// No flag set.
    pub const fn empty() -> Self {
        QualityFlags(0)
    }

    /// The raw bits.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Flags from raw bits; unknown bits are dropped.
    pub const fn from_bits_truncate(bits: u8) -> Self {
        QualityFlags(bits & 0b1111)
    }

    /// True when every flag of `other` is set.
    pub const fn contains(self, other: QualityFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Sets or clears `other`.
    pub fn set(&mut self, other: QualityFlags, on: bool) {
        if on {
            self.0 |= other.0;
        } else {
            self.0 &= !other.0;
        }
    }

    /// The names of the set flags, in a fixed order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(flag, _)| self.contains(*flag))
            .map(|(_, name)| name)
    }
}

/// A tick as a source published it: raw prices in units of the instrument's price scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawTick {
    /// Dense instrument index as the source knows it; validated by the normalize stage.
    pub instrument: u32,
    /// Source that produced the tick.
    pub source: SourceId,
    /// Best bid in price units.
    pub bid: i64,
    /// Best ask in price units.
    pub ask: i64,
    /// When the source says the price was observed.
    pub source_ts: u64,
    /// When Orion received it (stamped by the publisher, not by a stage).
    pub receive_ts: u64,
}

/// The canonical tick after normalization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// Validated instrument.
    pub instrument: InstrumentId,
    /// Source that produced the tick.
    pub source: SourceId,
    /// Quality flags found by the normalize stage.
    pub flags: QualityFlags,
    /// Best bid in price units.
    pub bid: i64,
    /// Best ask in price units.
    pub ask: i64,
    /// `bid + ask`: the mid in half units, exact (the mid is this over two).
    pub mid_x2: i64,
    /// `ask - bid` in price units.
    pub spread: i64,
    /// Source timestamp.
    pub source_ts: u64,
    /// Receive timestamp.
    pub receive_ts: u64,
}

/// A timer event: the publisher's clock, handed to the stages (stale detection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timer {
    /// Now, in nanoseconds since the Unix epoch.
    pub now: u64,
}

/// A slot of the input ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C, align(64))]
pub struct InputEvent {
    /// What the slot holds.
    pub payload: InputPayload,
}

/// What an input slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputPayload {
    /// A freshly allocated slot that was never written (ignored by stages).
    #[default]
    Empty,
    /// A market-data tick.
    Tick(RawTick),
    /// Time passing.
    Timer(Timer),
    /// A command for the RFQ engine, from the bridge's command gateway.
    Command(EngineCommand),
}

/// A slot of the ring between normalize and coalesce (split layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C, align(64))]
pub struct StageEvent {
    /// What the slot holds.
    pub payload: StagePayload,
}

/// What a stage slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StagePayload {
    /// Never written.
    #[default]
    Empty,
    /// A normalized tick.
    Tick(Tick),
    /// Time passing.
    Timer(Timer),
    /// A command for the RFQ engine, passed through unchanged.
    Command(EngineCommand),
}

/// A slot of the output ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C, align(64))]
pub struct OutputEvent {
    /// What the slot holds.
    pub payload: OutputPayload,
}

/// What an output slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputPayload {
    /// Never written.
    #[default]
    Empty,
    /// `MarketDataStaleDetected`: no update for `instrument` within the stale threshold.
    MarketDataStaleDetected {
        /// The instrument that went quiet.
        instrument: InstrumentId,
        /// Receive time of its last tick.
        last_update_ts: u64,
        /// Timer value at which staleness was detected.
        detected_at: u64,
    },
    /// A stale instrument ticked again.
    MarketDataRecovered {
        /// The instrument.
        instrument: InstrumentId,
        /// Receive time of the tick that revived it.
        at: u64,
    },
    /// A decision of the RFQ engine.
    Rfq(RfqEvent),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, size_of};

    #[test]
    fn slots_are_cache_line_sized() {
        assert_eq!(
            size_of::<InputEvent>(),
            64,
            "ticks, timers and commands share one line"
        );
        assert_eq!(size_of::<StageEvent>(), 64);
        assert_eq!(
            size_of::<OutputEvent>(),
            128,
            "engine decisions take two lines"
        );
        assert_eq!(align_of::<InputEvent>(), 64);
    }

    #[test]
    fn flag_names_are_stable() {
        let mut flags = QualityFlags::empty();
        flags.set(QualityFlags::LATE, true);
        flags.set(QualityFlags::CROSSED, true);
        assert_eq!(flags.names().collect::<Vec<_>>(), ["crossed", "late"]);
        flags.set(QualityFlags::CROSSED, false);
        assert_eq!(flags, QualityFlags::LATE);
    }
}
