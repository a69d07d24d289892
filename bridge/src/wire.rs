//! The UDP market-data wire format, version 1. All integers little-endian.
//!
//! ```text
//! header, 24 bytes
//!   0  u16  magic      0x4E4F ("ON")
//!   2  u8   version    1
//!   3  u8   count      ticks in this packet, 1..=45
//!   4  u32  reserved   0
//!   8  u64  sequence   per-sender packet sequence, +1 per packet (gaps are counted)
//!  16  u64  send_ts    sender clock, ns since the Unix epoch
//! tick, 32 bytes, `count` times
//!   0  u32  instrument dense instrument index (GET /instruments lists them in order)
//!   4  u32  reserved   0
//!   8  i64  bid        price units at the instrument's scale
//!  16  i64  ask        price units at the instrument's scale
//!  24  u64  source_ts  ns since the Unix epoch
//! ```
//! A datagram is exactly `24 + 32 × count` bytes (≤ 1,464, under a 1,500-byte MTU). Anything
//! else is refused with a [`DecodeError`] and counted; decoding never panics.

/// Wire magic.
pub const MAGIC: u16 = 0x4E4F;
/// The only version this build reads.
pub const VERSION: u8 = 1;
/// Header length.
pub const HEADER_LEN: usize = 24;
/// Length of one tick record.
pub const TICK_LEN: usize = 32;
/// Most ticks per datagram.
pub const MAX_TICKS: usize = 45;
/// Largest valid datagram.
pub const MAX_PACKET: usize = HEADER_LEN + TICK_LEN * MAX_TICKS;

/// A decoded tick record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireTick {
    /// Dense instrument index.
    pub instrument: u32,
    /// Bid units.
    pub bid: i64,
    /// Ask units.
    pub ask: i64,
    /// Source timestamp, ns.
    pub source_ts: u64,
}

/// A decoded packet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Number of tick records.
    pub count: u8,
    /// Sender's packet sequence.
    pub sequence: u64,
    /// Sender's clock at send time.
    pub send_ts: u64,
}

/// Why a datagram was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Shorter than the header or than the tick count requires.
    #[error("truncated packet")]
    Truncated,
    /// Not an Orion feed packet.
    #[error("bad magic")]
    BadMagic,
    /// A version this build does not read.
    #[error("unsupported version {0}")]
    BadVersion(u8),
    /// Zero or too many ticks, or bytes after the last tick.
    #[error("bad length")]
    BadLength,
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// Decodes `packet`, handing each tick to `visit` only once the whole packet is known valid.
pub fn decode(packet: &[u8], mut visit: impl FnMut(WireTick)) -> Result<Header, DecodeError> {
    if packet.len() < HEADER_LEN {
        return Err(DecodeError::Truncated);
    }
    if u16::from_le_bytes([packet[0], packet[1]]) != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    if packet[2] != VERSION {
        return Err(DecodeError::BadVersion(packet[2]));
    }
    let count = packet[3];
    if count == 0 || usize::from(count) > MAX_TICKS {
        return Err(DecodeError::BadLength);
    }
    let expected = HEADER_LEN + TICK_LEN * usize::from(count);
    if packet.len() < expected {
        return Err(DecodeError::Truncated);
    }
    if packet.len() > expected {
        return Err(DecodeError::BadLength);
    }
    for record in packet[HEADER_LEN..].chunks_exact(TICK_LEN) {
        visit(WireTick {
            instrument: u32::from_le_bytes([record[0], record[1], record[2], record[3]]),
            bid: u64_at(record, 8) as i64,
            ask: u64_at(record, 16) as i64,
            source_ts: u64_at(record, 24),
        });
    }
    Ok(Header {
        count,
        sequence: u64_at(packet, 8),
        send_ts: u64_at(packet, 16),
    })
}

/// Encodes a packet into `out` (cleared first). `ticks` longer than [`MAX_TICKS`] are cut.
pub fn encode(sequence: u64, send_ts: u64, ticks: &[WireTick], out: &mut Vec<u8>) {
    let ticks = &ticks[..ticks.len().min(MAX_TICKS)];
    out.clear();
    out.extend_from_slice(&MAGIC.to_le_bytes());
    out.push(VERSION);
    out.push(ticks.len() as u8);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&sequence.to_le_bytes());
    out.extend_from_slice(&send_ts.to_le_bytes());
    for tick in ticks {
        out.extend_from_slice(&tick.instrument.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&tick.bid.to_le_bytes());
        out.extend_from_slice(&tick.ask.to_le_bytes());
        out.extend_from_slice(&tick.source_ts.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(i: u32) -> WireTick {
        WireTick {
            instrument: i,
            bid: 100 + i64::from(i),
            ask: 103 + i64::from(i),
            source_ts: 7,
        }
    }

    #[test]
    fn round_trips() {
        let mut buf = Vec::new();
        encode(9, 11, &[tick(1), tick(2)], &mut buf);
        assert_eq!(buf.len(), HEADER_LEN + 2 * TICK_LEN);
        let mut seen = Vec::new();
        let header = decode(&buf, |t| seen.push(t)).unwrap();
        assert_eq!((header.count, header.sequence, header.send_ts), (2, 9, 11));
        assert_eq!(seen, [tick(1), tick(2)]);
    }

    #[test]
    fn refuses_bad_packets_without_visiting() {
        let mut buf = Vec::new();
        encode(1, 1, &[tick(1)], &mut buf);
        let mut visited = 0;
        let mut check = |bytes: &[u8], want: DecodeError| {
            assert_eq!(decode(bytes, |_| visited += 1), Err(want));
        };
        check(&buf[..10], DecodeError::Truncated);
        check(&buf[..buf.len() - 1], DecodeError::Truncated);
        let mut longer = buf.clone();
        longer.push(0);
        check(&longer, DecodeError::BadLength);
        let mut version = buf.clone();
        version[2] = 2;
        check(&version, DecodeError::BadVersion(2));
        let mut magic = buf.clone();
        magic[0] ^= 0xFF;
        check(&magic, DecodeError::BadMagic);
        let mut zero = buf.clone();
        zero[3] = 0;
        check(&zero, DecodeError::BadLength);
        assert_eq!(visited, 0);
    }
}

#[cfg(test)]
mod property_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1600)) {
            let _ = decode(&bytes, |_| {});
        }

        #[test]
        fn prop_valid_header_with_random_body_round_trips(
            ticks in proptest::collection::vec((any::<u32>(), any::<i64>(), any::<i64>(), any::<u64>()), 1..=45),
            sequence in any::<u64>(),
        ) {
            let ticks: Vec<_> = ticks.into_iter().map(|(instrument, bid, ask, source_ts)| WireTick { instrument, bid, ask, source_ts }).collect();
            let mut buf = Vec::new();
            encode(sequence, 5, &ticks, &mut buf);
            let mut seen = Vec::new();
            prop_assert_eq!(decode(&buf, |t| seen.push(t)).map(|h| h.sequence), Ok(sequence));
            prop_assert_eq!(seen, ticks);
        }
    }
}
