//! Replay of a recorded tick file into the pipeline at a speed factor.
//!
//! File format (UTF-8 text, one tick per line; `#` starts a comment line; blank lines ignored):
//!
//! ```text
//! # source_ts_ns,instrument,bid,ask
//! 1763712000000000000,EUR/USD,1.08425,1.08427
//! ```
//!
//! `source_ts_ns` is nanoseconds since the Unix epoch and must not decrease; `instrument` is a
//! symbol of the instrument table; `bid`/`ask` are decimals at the instrument's price scale.
//! A line that does not parse is counted and skipped. Replay keeps the recorded spacing divided
//! by the speed factor and re-bases timestamps to the replay's start, so replayed ticks are not
//! flagged late. `bridge/data/sample-ticks.csv` is a small sample.

use std::io::BufRead;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use orion_hotpath::{InputEvent, InstrumentTable, Price, Producer, RawTick, SourceId};

use crate::clock::unix_nanos;
use crate::simulator::publish_batch;
use crate::stats::SourceCounters;

/// One parsed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayRecord {
    /// Recorded source timestamp, ns.
    pub source_ts: u64,
    /// Dense instrument index.
    pub instrument: u32,
    /// Bid units.
    pub bid: i64,
    /// Ask units.
    pub ask: i64,
}

/// A loaded tick file.
#[derive(Debug, Clone, Default)]
pub struct ReplayFile {
    /// Records in file order.
    pub records: Vec<ReplayRecord>,
    /// Lines refused (bad fields, unknown instrument, time going backwards).
    pub malformed_lines: u64,
}

impl ReplayFile {
    /// Parses a tick file against `instruments`.
    pub fn parse(reader: impl BufRead, instruments: &InstrumentTable) -> std::io::Result<Self> {
        let mut file = ReplayFile::default();
        let mut last_ts = 0u64;
        for line in reader.lines() {
            let line = line?;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match parse_line(line, instruments) {
                Some(record) if record.source_ts >= last_ts => {
                    last_ts = record.source_ts;
                    file.records.push(record);
                }
                _ => file.malformed_lines += 1,
            }
        }
        Ok(file)
    }
}

fn parse_line(line: &str, instruments: &InstrumentTable) -> Option<ReplayRecord> {
    let mut fields = line.split(',').map(str::trim);
    let source_ts = fields.next()?.parse().ok()?;
    let id = instruments.id(fields.next()?)?;
    let scale = instruments.spec(id)?.price_scale;
    let bid = Price::parse(fields.next()?, scale).ok()?;
    let ask = Price::parse(fields.next()?, scale).ok()?;
    if fields.next().is_some() {
        return None;
    }
    Some(ReplayRecord {
        source_ts,
        instrument: id.raw(),
        bid: bid.units(),
        ask: ask.units(),
    })
}

/// Publishes `records` into `producer` at `speed` × the recorded pace, calling `progress` with
/// the number of records handled so far. Returns early when `stop` is set.
pub fn replay<P: Producer<InputEvent>>(
    records: &[ReplayRecord],
    speed: f64,
    producer: &mut P,
    counters: &SourceCounters,
    tap: Option<&crate::tap::TickTap>,
    stop: &AtomicBool,
    mut progress: impl FnMut(u64),
) {
    let Some(first) = records.first() else {
        return;
    };
    let speed = if speed.is_finite() && speed > 0.0 {
        speed
    } else {
        1.0
    };
    let (wall_start, epoch_start) = (Instant::now(), unix_nanos());
    let mut batch = Vec::with_capacity(64);
    let mut next = 0;
    while next < records.len() && !stop.load(Ordering::Relaxed) {
        let offset = |r: &ReplayRecord| ((r.source_ts - first.source_ts) as f64 / speed) as u64;
        let due = offset(&records[next]);
        let elapsed = wall_start.elapsed().as_nanos() as u64;
        if due > elapsed {
            std::thread::sleep(Duration::from_nanos((due - elapsed).min(50_000_000)));
            continue;
        }
        batch.clear();
        let now = unix_nanos();
        while next < records.len() && batch.len() < 64 && offset(&records[next]) <= elapsed {
            let r = &records[next];
            batch.push(RawTick {
                instrument: r.instrument,
                source: SourceId::Replay,
                bid: r.bid,
                ask: r.ask,
                source_ts: epoch_start + offset(r),
                receive_ts: now,
            });
            next += 1;
        }
        publish_batch(producer, &batch, counters, tap);
        progress(next as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{default_catalog, instrument_table};

    #[test]
    fn parses_and_counts_bad_lines() {
        let table = instrument_table(&default_catalog());
        let text = "# header\n\n10,EUR/USD,1.08425,1.08427\n11,NOPE/USD,1,2\n12,EUR/USD,1.084251,1.1\n5,EUR/USD,1.1,1.2\n13,USD/JPY,151.235,151.238\nbad line\n";
        let file = ReplayFile::parse(text.as_bytes(), &table).unwrap();
        assert_eq!(file.records.len(), 2);
        assert_eq!(file.malformed_lines, 4);
        assert_eq!(file.records[0].bid, 108_425);
        assert_eq!(file.records[1].ask, 151_238);
    }

    #[test]
    fn sample_file_is_valid() {
        let table = instrument_table(&default_catalog());
        let text = include_str!("../data/sample-ticks.csv");
        let file = ReplayFile::parse(text.as_bytes(), &table).unwrap();
        assert_eq!(file.malformed_lines, 0);
        assert!(file.records.len() >= 100);
    }
}
