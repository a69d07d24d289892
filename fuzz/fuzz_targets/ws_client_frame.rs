//! WebSocket client frames: any text is a protocol message or a refusal whose message is short
//! enough for an ERROR frame; a refusal frame listing what a SUBSCRIBE named is valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orion_bff::stream::protocol::{ClientMessage, ErrorCode, Refusal, parse, refusal_frame};

fuzz_target!(|text: &str| {
    match parse(text) {
        Err(reason) => assert!(reason.len() <= 200),
        Ok(ClientMessage::Subscribe(req)) | Ok(ClientMessage::Unsubscribe(req)) => {
            let refused: Vec<Refusal<'_>> = req
                .instrument_ids
                .iter()
                .map(|id| Refusal {
                    instrument_id: id,
                    code: ErrorCode::UnknownInstrument,
                })
                .collect();
            if let Some(frame) = refusal_frame(&refused, refused.len()) {
                let frame: serde_json::Value = serde_json::from_str(&frame).expect("JSON");
                assert_eq!(
                    frame["refused"].as_array().map(Vec::len),
                    Some(refused.len())
                );
            }
        }
        Ok(_) => {}
    }
});
