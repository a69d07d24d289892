//! Schema compatibility within a major version: what a new `v1` schema may not do to an old
//! one, so that every reader of the old shape still reads the new events.
//!
//! Breaking: removing a schema or a field; changing a field's `type`, `format`, `pattern`,
//! `enum` or `const`; making an optional field required; closing an open object. Compatible:
//! new optional fields, new event types, looser descriptions.

use serde_json::Value;

/// The keys whose change retypes a field.
const TYPE_KEYS: &[&str] = &["type", "format", "pattern", "enum", "const"];

/// Every breaking change from `old` to `new` (one schema), as `path: what`.
pub fn breaking_changes(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    compare("", old, new, &mut out);
    out
}

fn compare(path: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
    for key in TYPE_KEYS {
        if old.get(key) != new.get(key) {
            out.push(format!(
                "{}: {key} changed from {} to {}",
                display(path),
                old.get(key).unwrap_or(&Value::Null),
                new.get(key).unwrap_or(&Value::Null)
            ));
        }
    }
    let required = |v: &Value| -> Vec<String> {
        v.get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old_required, new_required) = (required(old), required(new));
    for field in &new_required {
        if !old_required.contains(field) && old["properties"].get(field).is_some() {
            out.push(format!(
                "{}.{field}: optional field made required",
                display(path)
            ));
        }
        if !old_required.contains(field) && old["properties"].get(field).is_none() {
            out.push(format!(
                "{}.{field}: new field is required (new fields must be optional)",
                display(path)
            ));
        }
    }
    if old.get("additionalProperties") != Some(&Value::Bool(false))
        && new.get("additionalProperties") == Some(&Value::Bool(false))
        && old.get("type") == Some(&Value::String("object".into()))
    {
        out.push(format!("{}: an open object was closed", display(path)));
    }
    if let Some(properties) = old.get("properties").and_then(Value::as_object) {
        for (name, old_field) in properties {
            match new["properties"].get(name) {
                None => out.push(format!("{path}.{name}: field removed")),
                Some(new_field) => compare(&format!("{path}.{name}"), old_field, new_field, out),
            }
        }
    }
    if let (Some(old_items), Some(new_items)) = (old.get("items"), new.get("items")) {
        compare(&format!("{path}[]"), old_items, new_items, out);
    }
}

fn display(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas(dir: &str) -> std::collections::BTreeMap<String, Value> {
        let dir = format!("{}/../../proto/schemas/{dir}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .map(|e| {
                let text = std::fs::read_to_string(e.path()).unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    serde_json::from_str(&text).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn schema_compat_v1_keeps_every_baseline_field_and_type() {
        let (baseline, current) = (schemas("baseline/v1"), schemas("v1"));
        assert!(!baseline.is_empty(), "the baseline is committed");
        let mut problems = Vec::new();
        for (name, old) in &baseline {
            match current.get(name) {
                None => problems.push(format!("{name}: schema removed")),
                Some(new) => problems.extend(
                    breaking_changes(old, new)
                        .into_iter()
                        .map(|p| format!("{name} {p}")),
                ),
            }
        }
        // An event type the envelope accepted must stay accepted.
        let (old, new) = (&baseline["envelope.json"], &current["envelope.json"]);
        let types = |v: &Value| -> Vec<Value> {
            v["properties"]["eventType"]["enum"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        };
        for t in types(old) {
            if !types(new).contains(&t) {
                problems.push(format!("envelope.json: event type {t} dropped"));
            }
        }
        problems.retain(|p| !p.starts_with("envelope.json .eventType: enum changed"));
        assert!(
            problems.is_empty(),
            "breaking v1 schema changes:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn removals_retypes_and_new_requirements_are_caught_and_additions_are_not() {
        let old = json!({
            "type": "object", "additionalProperties": false, "required": ["a"],
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "object", "properties": {"d": {"type": "string"}}}},
        });
        let added = json!({
            "type": "object", "additionalProperties": false, "required": ["a"],
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "object", "properties": {"d": {"type": "string"}}}, "e": {"type": "string"}},
        });
        assert!(breaking_changes(&old, &added).is_empty());
        let broken = json!({
            "type": "object", "additionalProperties": false, "required": ["a", "b", "f"],
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}, "c": {"type": "object", "properties": {}}, "f": {"type": "string"}},
        });
        let problems = breaking_changes(&old, &broken);
        assert_eq!(
            problems,
            [
                "(root).b: optional field made required",
                "(root).f: new field is required (new fields must be optional)",
                ".a: type changed from \"string\" to \"integer\"",
                ".c.d: field removed",
            ],
            "{problems:#?}"
        );
    }
}
