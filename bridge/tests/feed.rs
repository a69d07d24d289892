//! The UDP feed handler against a real socket: bad packets are counted, good ones still flow.

use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

use orion_bridge::catalog::{default_catalog, instrument_table};
use orion_bridge::clock::unix_nanos;
use orion_bridge::feed::FeedHandler;
use orion_bridge::stats::{FeedCounters, SourceCounters};
use orion_bridge::wire::{WireTick, encode};
use orion_hotpath::{InstrumentId, Layout, Pipeline, PipelineConfig, WaitStrategyKind};

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn malformed_packets_are_counted_and_the_pipeline_keeps_running() {
    let table = instrument_table(&default_catalog());
    let config = PipelineConfig {
        layout: Layout::Fused { core: None },
        wait: WaitStrategyKind::Yield,
        ..PipelineConfig::default()
    };
    let pipeline = Pipeline::start_multi_producer(&config, &table, None, ()).unwrap();
    let (feed, source) = (
        Arc::new(FeedCounters::default()),
        Arc::new(SourceCounters::default()),
    );
    let (tap, tapped) = orion_bridge::tap::tick_tap(16);
    let handler = FeedHandler::start(
        "127.0.0.1:0".parse().unwrap(),
        pipeline.input.clone(),
        Arc::clone(&feed),
        Arc::clone(&source),
        Some(tap),
    )
    .unwrap();
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = handler.local_addr();
    let eur = table.id("EUR/USD").unwrap();
    let tick = |bid: i64| WireTick {
        instrument: eur.raw(),
        bid,
        ask: bid + 2,
        source_ts: unix_nanos(),
    };

    let mut good = Vec::new();
    encode(1, unix_nanos(), &[tick(108_000)], &mut good);
    let mut wrong_version = good.clone();
    wrong_version[2] = 9;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut random = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (0..(seed % 200) as usize + 24)
            .map(|i| (seed >> (i % 56)) as u8)
            .collect::<Vec<u8>>()
    };
    sender.send_to(&good, target).unwrap();
    sender.send_to(&good[..good.len() - 5], target).unwrap();
    sender.send_to(&good[..3], target).unwrap();
    sender.send_to(&wrong_version, target).unwrap();
    let randoms = 50;
    for _ in 0..randoms {
        sender.send_to(&random(), target).unwrap();
    }
    encode(2, unix_nanos(), &[tick(108_100)], &mut good);
    sender.send_to(&good, target).unwrap();

    wait_until("all datagrams", || feed.packets.get() == 4 + randoms + 1);
    assert_eq!(feed.truncated.get(), 2, "two truncated packets");
    assert_eq!(feed.bad_version.get(), 1, "one wrong-version packet");
    assert_eq!(feed.malformed(), 3 + randoms, "every random packet refused");
    assert_eq!(feed.ticks.get(), 2);
    wait_until("the good tick after the garbage", || {
        pipeline
            .snapshots
            .read(InstrumentId::from_index(eur.raw()))
            .is_some_and(|s| s.bid == 108_100 && s.seq == 2)
    });
    assert_eq!(source.published.get(), 2);
    // The two good ticks, and only they, were copied to the tap.
    let copies: Vec<i64> = tapped.try_iter().map(|t| t.bid).collect();
    assert_eq!(copies, [108_000, 108_100]);
}
