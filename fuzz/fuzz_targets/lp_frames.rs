//! LP protobuf frames as the QUIC gateway reads them (length-delimited): any byte stream yields
//! whole messages, a wait for more, or `Malformed`, and how the bytes are cut into reads changes
//! nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orion_lp::frame::split;
use orion_proto::v1::{LpHello, QuoteSubmission};

fn drain<M: prost::Message + Default>(bytes: &[u8], cut: usize) -> usize {
    let mut buf = Vec::new();
    let mut messages = 0;
    for chunk in bytes.chunks(cut.max(1)) {
        buf.extend_from_slice(chunk);
        loop {
            match split::<M>(&mut buf) {
                Ok(Some(_)) => messages += 1,
                Ok(None) => break,
                Err(_) => return messages,
            }
        }
    }
    messages
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, bytes)) = data.split_first() else {
        return;
    };
    let whole = drain::<QuoteSubmission>(bytes, bytes.len());
    let pieces = drain::<QuoteSubmission>(bytes, usize::from(cut));
    assert_eq!(
        whole, pieces,
        "how bytes are cut into reads changes nothing"
    );
    drain::<LpHello>(bytes, usize::from(cut));
});
