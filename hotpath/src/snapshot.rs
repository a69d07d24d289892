//! The latest-value table: one seqlock per instrument, read by any thread without locks.
//!
//! The coalesce stage is the single writer. A write bumps the slot's version to odd, stores the
//! words, and bumps it to even; a reader copies the words and retries when the version was odd
//! or changed meanwhile. All words are atomics (relaxed) ordered by fences, the construction of
//! Boehm's "Can seqlocks get along with programming language memory models?", so there is no
//! `unsafe` and no data race. A slot is one cache line (version + 7 words).
//!
//! Beside the slots a shared dirty bit set tells the bridge which instruments changed since its
//! last drain; the writer sets bits with `fetch_or` once per flush, the reader takes whole words
//! with `swap(0)`. Readers never block the writer and the writer never waits for readers.

use crossbeam_utils::CachePadded;

use crate::event::{QualityFlags, SourceId};
use crate::instrument::InstrumentId;
use crate::sync::{AtomicU64, Ordering, fence, spin_wait};

const WORDS: usize = 7;

/// A consistent copy of one instrument's latest value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// The instrument.
    pub instrument: InstrumentId,
    /// Per-instrument update sequence, starting at 1; increases with every published change
    /// (ticks and stale transitions).
    pub seq: u64,
    /// Best bid in price units.
    pub bid: i64,
    /// Best ask in price units.
    pub ask: i64,
    /// Source timestamp of the latest tick.
    pub source_ts: u64,
    /// Receive timestamp of the latest tick.
    pub receive_ts: u64,
    /// Quality flags, including [`QualityFlags::STALE`].
    pub flags: QualityFlags,
    /// Source of the latest tick.
    pub source: SourceId,
    /// How many ticks the coalesce stage applied to this instrument in total.
    pub applied: u64,
}

impl Snapshot {
    /// `bid + ask`: twice the mid, exact.
    pub fn mid_x2(&self) -> i64 {
        self.bid.saturating_add(self.ask)
    }

    /// `ask - bid`.
    pub fn spread(&self) -> i64 {
        self.ask.saturating_sub(self.bid)
    }

    /// True when the stale flag is set.
    pub fn is_stale(&self) -> bool {
        self.flags.contains(QualityFlags::STALE)
    }

    fn encode(&self) -> [u64; WORDS] {
        [
            self.seq,
            self.bid as u64,
            self.ask as u64,
            self.source_ts,
            self.receive_ts,
            u64::from(self.flags.bits()) | (u64::from(self.source as u8) << 8),
            self.applied,
        ]
    }

    fn decode(instrument: InstrumentId, w: [u64; WORDS]) -> Option<Self> {
        if w[0] == 0 {
            return None;
        }
        Some(Self {
            instrument,
            seq: w[0],
            bid: w[1] as i64,
            ask: w[2] as i64,
            source_ts: w[3],
            receive_ts: w[4],
            flags: QualityFlags::from_bits_truncate(w[5] as u8),
            source: SourceId::from_u8((w[5] >> 8) as u8).unwrap_or(SourceId::Harness),
            applied: w[6],
        })
    }
}

/// One instrument's seqlock: exactly one 64-byte cache line (version + 7 words), so 10,000
/// instruments take 640 KiB rather than the 1.25 MiB 128-byte padding would.
#[derive(Debug, Default)]
#[repr(C, align(64))]
struct SeqlockSlot {
    version: AtomicU64,
    words: [AtomicU64; WORDS],
}

/// The per-instrument latest-value table shared between the coalesce stage and readers.
#[derive(Debug)]
pub struct SnapshotTable {
    slots: Box<[SeqlockSlot]>,
    dirty: Box<[CachePadded<AtomicU64>]>,
}

impl SnapshotTable {
    /// A table for `instruments` instruments, all empty.
    pub fn new(instruments: usize) -> Self {
        Self {
            slots: (0..instruments).map(|_| SeqlockSlot::default()).collect(),
            dirty: (0..instruments.div_ceil(64))
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
        }
    }

    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when the table has no slot.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Publishes `snapshot` into its slot. Single writer: only the coalesce stage calls this.
    pub(crate) fn write(&self, snapshot: &Snapshot) {
        let Some(slot) = self.slots.get(snapshot.instrument.index()) else {
            return;
        };
        let version = slot.version.load(Ordering::Relaxed);
        slot.version
            .store(version.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        for (word, value) in slot.words.iter().zip(snapshot.encode()) {
            word.store(value, Ordering::Relaxed);
        }
        slot.version
            .store(version.wrapping_add(2), Ordering::Release);
    }

    /// Publishes `snapshot` and marks it changed, in a table that mirrors another process's
    /// (a BFF replica fed by the core's tick stream). The same single-writer rule holds: only
    /// the one task reading that stream calls this.
    pub fn mirror(&self, snapshot: &Snapshot) {
        let index = snapshot.instrument.index();
        if index >= self.slots.len() {
            return;
        }
        self.write(snapshot);
        self.mark_dirty(index / 64, 1 << (index % 64));
    }

    /// Marks the instruments whose bits are set in `bits` (word `word`) as changed.
    pub(crate) fn mark_dirty(&self, word: usize, bits: u64) {
        if let Some(cell) = self.dirty.get(word) {
            cell.fetch_or(bits, Ordering::Release);
        }
    }

    /// A consistent copy of the latest value of `instrument`, `None` before its first tick.
    pub fn read(&self, instrument: InstrumentId) -> Option<Snapshot> {
        let slot = self.slots.get(instrument.index())?;
        loop {
            let before = slot.version.load(Ordering::Acquire);
            if before & 1 == 1 {
                spin_wait();
                continue;
            }
            let words: [u64; WORDS] =
                std::array::from_fn(|i| slot.words[i].load(Ordering::Relaxed));
            fence(Ordering::Acquire);
            if slot.version.load(Ordering::Relaxed) == before {
                return Snapshot::decode(instrument, words);
            }
            spin_wait();
        }
    }

    /// Takes the set of instruments changed since the last call and hands each one's latest
    /// value to `visit`. Meant for one draining reader (the bridge); never blocks the writer.
    pub fn drain_dirty(&self, mut visit: impl FnMut(Snapshot)) {
        for (word_index, cell) in self.dirty.iter().enumerate() {
            if cell.load(Ordering::Relaxed) == 0 {
                continue;
            }
            let mut bits = cell.swap(0, Ordering::Acquire);
            while bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let id = InstrumentId::from_index((word_index * 64 + bit) as u32);
                if let Some(snapshot) = self.read(id) {
                    visit(snapshot);
                }
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    fn snap(instrument: u32, seq: u64, bid: i64) -> Snapshot {
        Snapshot {
            instrument: InstrumentId::from_index(instrument),
            seq,
            bid,
            ask: bid + 3,
            source_ts: seq * 10,
            receive_ts: seq * 10 + 1,
            flags: QualityFlags::LATE,
            source: SourceId::UdpFeed,
            applied: seq,
        }
    }

    #[test]
    fn a_slot_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<SeqlockSlot>(), 64);
    }

    #[test]
    fn reads_back_what_was_written() {
        let table = SnapshotTable::new(130);
        assert_eq!(table.read(InstrumentId::from_index(3)), None);
        table.write(&snap(3, 1, 100));
        assert_eq!(
            table.read(InstrumentId::from_index(3)),
            Some(snap(3, 1, 100))
        );
        assert_eq!(table.read(InstrumentId::from_index(999)), None);
    }

    #[test]
    fn drain_visits_each_dirty_instrument_once() {
        let table = SnapshotTable::new(130);
        for id in [1u32, 64, 129] {
            table.write(&snap(id, 1, 7));
            table.mark_dirty(id as usize / 64, 1 << (id % 64));
        }
        let mut seen = Vec::new();
        table.drain_dirty(|s| seen.push(s.instrument.raw()));
        assert_eq!(seen, [1, 64, 129]);
        seen.clear();
        table.drain_dirty(|s| seen.push(s.instrument.raw()));
        assert!(seen.is_empty());
    }

    #[test]
    fn a_mirrored_value_is_readable_and_drained_once() {
        let table = SnapshotTable::new(70);
        table.mirror(&snap(65, 4, 11));
        table.mirror(&snap(500, 1, 1)); // out of range: ignored
        assert_eq!(
            table.read(InstrumentId::from_index(65)),
            Some(snap(65, 4, 11))
        );
        let mut seen = Vec::new();
        table.drain_dirty(|s| seen.push((s.instrument.raw(), s.seq)));
        assert_eq!(seen, [(65, 4)]);
        table.drain_dirty(|s| seen.push((s.instrument.raw(), s.seq)));
        assert_eq!(seen.len(), 1);
    }

    /// A reader racing a writer only ever sees whole snapshots: every word derived from the
    /// same sequence number.
    #[test]
    fn concurrent_reads_are_never_torn() {
        let table = Arc::new(SnapshotTable::new(1));
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (table, stop) = (Arc::clone(&table), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut seq = 1u64;
                while !stop.load(std::sync::atomic::Ordering::Acquire) {
                    table.write(&snap(0, seq, seq as i64 * 2));
                    seq += 1;
                }
                seq
            })
        };
        let (mut reads, mut distinct, mut last) = (0u64, 0u64, 0u64);
        while reads < 200_000 || distinct < 100 {
            if let Some(s) = table.read(InstrumentId::from_index(0)) {
                assert_eq!(s, snap(0, s.seq, s.seq as i64 * 2), "torn read");
                reads += 1;
                if s.seq != last {
                    distinct += 1;
                    last = s.seq;
                }
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Release);
        let written = writer.join().unwrap();
        assert!(
            written > 1 && distinct > 1,
            "reads overlapped writes ({distinct} distinct values seen)"
        );
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    #[test]
    fn loom_seqlock_reader_sees_whole_writes() {
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(3);
        model.check(|| {
            let table = Arc::new(SnapshotTable::new(1));
            let writer = {
                let table = Arc::clone(&table);
                loom::thread::spawn(move || {
                    for seq in 1..=1u64 {
                        table.write(&Snapshot {
                            instrument: InstrumentId::from_index(0),
                            seq,
                            bid: seq as i64,
                            ask: seq as i64,
                            source_ts: seq,
                            receive_ts: seq,
                            flags: QualityFlags::empty(),
                            source: SourceId::Harness,
                            applied: seq,
                        });
                    }
                })
            };
            if let Some(s) = table.read(InstrumentId::from_index(0)) {
                assert_eq!(s.bid as u64, s.seq);
                assert_eq!(s.applied, s.seq);
            }
            writer.join().unwrap();
        });
    }
}
