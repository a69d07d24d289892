//! The UDP feed publisher: sends the wire format of `orion_bridge::wire` at a fixed rate,
//! random-walking every instrument of the demo catalog on its tick grid.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use orion_bridge::catalog::default_catalog;
use orion_bridge::clock::unix_nanos;
use orion_bridge::wire::{MAX_TICKS, WireTick, encode};

/// What was sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct FeedReport {
    /// Datagrams sent.
    pub packets: u64,
    /// Ticks sent.
    pub ticks: u64,
}

/// Sends `rate` ticks per second for `duration` to `target`, `per_packet` ticks per datagram,
/// each stamped with the send time as its source timestamp.
pub fn publish(
    target: SocketAddr,
    rate: u64,
    duration: Duration,
    per_packet: usize,
) -> std::io::Result<FeedReport> {
    let catalog = default_catalog();
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    let per_packet = per_packet.clamp(1, MAX_TICKS);
    let mut mids: Vec<i64> = catalog.iter().map(|e| e.initial_mid.units()).collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut buf = Vec::with_capacity(1_500);
    let mut ticks = Vec::with_capacity(per_packet);
    let mut report = FeedReport::default();
    let start = Instant::now();
    let packet_interval = Duration::from_secs_f64(per_packet as f64 / rate.max(1) as f64);
    while start.elapsed() < duration {
        let due = start + packet_interval.mul_f64(report.packets as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        ticks.clear();
        let now = unix_nanos();
        for _ in 0..per_packet {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let index = (state % catalog.len() as u64) as usize;
            let entry = &catalog[index];
            let tick = entry.spec.tick_size;
            let step = (state >> 32) as i64 % 3 - 1;
            mids[index] = (mids[index] + step * tick).max(tick * 16);
            let bid = mids[index] - tick * entry.spread_ticks.max(1);
            ticks.push(WireTick {
                instrument: index as u32,
                bid,
                ask: bid + 2 * tick * entry.spread_ticks.max(1),
                source_ts: now,
            });
        }
        encode(report.packets + 1, now, &ticks, &mut buf);
        socket.send_to(&buf, target)?;
        report.packets += 1;
        report.ticks += ticks.len() as u64;
    }
    Ok(report)
}
