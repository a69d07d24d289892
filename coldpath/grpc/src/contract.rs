//! The breaking-change check of `proto/v1`: every message field (name → number, type, label)
//! and every RPC (name → request, response, streaming) of the committed baseline must still be
//! there, unchanged; additions are free.

use std::collections::BTreeMap;

use prost::Message;
use serde_json::{Value, json};

const BASELINE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../proto/baseline/v1/descriptors.json"
);

/// The contract as a flat map: `message.field` / `service.rpc` → what must not change.
fn contract() -> BTreeMap<String, Value> {
    let set = prost_types::FileDescriptorSet::decode(crate::pb::FILE_DESCRIPTOR_SET)
        .expect("the build wrote a descriptor set");
    let mut out = BTreeMap::new();
    for file in &set.file {
        let package = file.package();
        let mut messages: Vec<(String, &prost_types::DescriptorProto)> = file
            .message_type
            .iter()
            .map(|m| (format!("{package}.{}", m.name()), m))
            .collect();
        while let Some((name, message)) = messages.pop() {
            for field in &message.field {
                out.insert(
                    format!("{name}.{}", field.name()),
                    json!({"number": field.number(), "type": field.r#type, "typeName": field.type_name(),
                           "label": field.label, "oneof": field.oneof_index}),
                );
            }
            for enumeration in &message.enum_type {
                for value in &enumeration.value {
                    out.insert(
                        format!("{name}.{}.{}", enumeration.name(), value.name()),
                        json!({"number": value.number()}),
                    );
                }
            }
            messages.extend(
                message
                    .nested_type
                    .iter()
                    .map(|m| (format!("{name}.{}", m.name()), m)),
            );
        }
        for enumeration in &file.enum_type {
            for value in &enumeration.value {
                out.insert(
                    format!("{package}.{}.{}", enumeration.name(), value.name()),
                    json!({"number": value.number()}),
                );
            }
        }
        for service in &file.service {
            for method in &service.method {
                out.insert(
                    format!("{package}.{}/{}", service.name(), method.name()),
                    json!({"input": method.input_type(), "output": method.output_type(),
                           "clientStreaming": method.client_streaming(), "serverStreaming": method.server_streaming()}),
                );
            }
        }
    }
    out
}

/// What `current` removed or changed of `baseline`.
fn breaking(baseline: &BTreeMap<String, Value>, current: &BTreeMap<String, Value>) -> Vec<String> {
    baseline
        .iter()
        .filter_map(|(name, old)| match current.get(name) {
            None => Some(format!("{name}: removed")),
            Some(new) if new != old => Some(format!("{name}: changed from {old} to {new}")),
            Some(_) => None,
        })
        .collect()
}

#[test]
fn proto_v1_keeps_every_baseline_field_and_rpc() {
    let current = contract();
    if std::env::var_os("ORION_UPDATE_PROTO_BASELINE").is_some() {
        let text = serde_json::to_string_pretty(&current).unwrap();
        std::fs::write(BASELINE, text + "\n").unwrap();
    }
    let baseline: BTreeMap<String, Value> = serde_json::from_str(
        &std::fs::read_to_string(BASELINE).expect("the baseline is committed"),
    )
    .unwrap();
    let broken = breaking(&baseline, &current);
    assert!(
        broken.is_empty(),
        "breaking proto/v1 changes:\n{}",
        broken.join("\n")
    );
}

#[test]
fn renumbered_retyped_and_removed_fields_are_caught_and_additions_are_not() {
    let baseline = contract();
    let mut changed = baseline.clone();
    changed.insert("orion.v1.Zebra.stripes".into(), json!({"number": 1}));
    assert!(
        breaking(&baseline, &changed).is_empty(),
        "an addition is compatible"
    );
    let qty = "orion.v1.Order.qty";
    let mut renumbered = changed.clone();
    renumbered.get_mut(qty).unwrap()["number"] = json!(99);
    let rpc = "orion.v1.OrderService/PlaceOrder";
    renumbered.remove(rpc);
    let broken = breaking(&baseline, &renumbered);
    assert_eq!(broken.len(), 2, "{broken:?}");
    assert!(
        broken
            .iter()
            .any(|b| b.starts_with(&format!("{qty}: changed")))
    );
    assert!(broken.iter().any(|b| b == &format!("{rpc}: removed")));
}
