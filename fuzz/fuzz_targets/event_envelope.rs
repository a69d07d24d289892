//! Event envelopes as every consumer reads them off the bus: any bytes are an event (JSON object,
//! valid envelope and payload) or a rejection that names why — never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use orion_services::consumer::schema::Schemas;

fuzz_target!(|bytes: &[u8]| {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(Schemas::default);
    if let Ok(event) = schemas.decode(bytes) {
        assert!(event.envelope.is_object());
    }
});
