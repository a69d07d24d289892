//! The UDP market-data feed decoder: any datagram is either refused with a reason or decodes to
//! ticks that encode back to a packet decoding to the same header and ticks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orion_bridge::wire::{WireTick, decode, encode};

fuzz_target!(|packet: &[u8]| {
    let mut ticks: Vec<WireTick> = Vec::new();
    let Ok(header) = decode(packet, |t| ticks.push(t)) else {
        assert!(
            ticks.is_empty(),
            "no tick is handed on from a refused packet"
        );
        return;
    };
    assert_eq!(usize::from(header.count), ticks.len());
    let mut again = Vec::new();
    encode(header.sequence, header.send_ts, &ticks, &mut again);
    let mut round: Vec<WireTick> = Vec::new();
    let header_again = decode(&again, |t| round.push(t)).expect("an encoded packet decodes");
    assert_eq!(header_again, header);
    assert_eq!(round, ticks);
});
