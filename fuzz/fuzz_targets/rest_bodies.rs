//! REST command bodies as the BFF reads them: the JSON extractor of every command route (RFQ,
//! accept, order, amend) over arbitrary bytes either yields the command type or a 400/4xx with
//! the contract's JSON error object — never a panic, never a 5xx. Decimal fields of decoded
//! bodies go through the fixed-point parser the services use.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::Request;
use axum::response::IntoResponse;
use libfuzzer_sys::fuzz_target;
use orion_bff::http::error::Json;
use orion_bff::http::orders::{AmendBody, PlaceOrderBody};
use orion_bff::http::rfq::AcceptBody;
use orion_hotpath::Qty;
use orion_services::rfq::CreateRfq;
use serde::de::DeserializeOwned;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

/// Runs the extractor; on refusal checks the response is a 4xx JSON error object.
fn extract<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    let req = Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/json")
        .body(Body::from(body.to_vec()))
        .expect("a request");
    match runtime().block_on(Json::<T>::from_request(req, &())) {
        Ok(Json(value)) => Some(value),
        Err(refusal) => {
            let response = refusal.into_response();
            assert!(response.status().is_client_error(), "{}", response.status());
            let bytes = runtime()
                .block_on(axum::body::to_bytes(response.into_body(), 1 << 20))
                .expect("an error body");
            let error: serde_json::Value =
                serde_json::from_slice(&bytes).expect("the error object is JSON");
            assert!(error["error"]["code"].is_string() && error["error"]["message"].is_string());
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 4 {
        0 => {
            if let Some(rfq) = extract::<CreateRfq>(body) {
                let _ = Qty::parse(&rfq.size, 2);
                if let Some(min) = &rfq.min_size {
                    let _ = Qty::parse(min, 6);
                }
            }
        }
        1 => {
            let _ = extract::<AcceptBody>(body);
        }
        2 => {
            let _ = extract::<PlaceOrderBody>(body);
        }
        _ => {
            let _ = extract::<AmendBody>(body);
        }
    }
});
