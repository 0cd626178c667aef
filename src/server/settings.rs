//! Editor settings: the `berth` section of `initializationOptions`, `workspace/configuration` and
//! `workspace/didChangeConfiguration`, read into a configuration layer that goes over the
//! configuration file (see editors/settings.json for the agreed names).
//!
//! Settings arrive as JSON from many editors, so everything is lenient: unknown keys are ignored
//! (clients send their own, such as `path` and `trace`), values of the wrong type and unknown
//! rules are logged and skipped. Empty lists mean "not set" because editors send every default.

use serde_json::{Map, Value};

use crate::config::{FailureThreshold, Options, parse_severity_level, selector_problem};

/// Reads editor settings: `{ "berth": { ... } }` or the bare section. `None` when `value` holds
/// no settings object (a client answering `workspace/configuration` with `null`).
pub(crate) fn options_from_json(value: &Value) -> Option<Options> {
    let section = match value.get("berth") {
        Some(Value::Object(section)) => section,
        Some(_) => return None,
        None => value.as_object()?,
    };
    let mut options = Options::default();
    let select = selectors(section, &["select"]);
    options.select = (!select.is_empty()).then_some(select);
    options.extend_select = selectors(section, &["extendSelect", "extend-select", "extend_select"]);
    options.ignore = selectors(section, &["ignore"]);
    if let Some(Value::Object(levels)) = get(section, &["severity"]) {
        for (selector, level) in levels {
            let level = level.as_str().and_then(parse_severity_level);
            match (level, selector_problem(selector)) {
                (Some(level), None) => options.severity.push((selector.clone(), level)),
                (None, _) => tracing::warn!("berth.severity.{selector}: not one of error, warning, info, hint, off"),
                (_, Some(problem)) => tracing::warn!("berth.severity: {problem}"),
            }
        }
    }
    if let Some(threshold) = get(section, &["failureThreshold", "failure-threshold", "failure_threshold"]) {
        options.failure_threshold = threshold.as_str().and_then(FailureThreshold::from_name);
        if options.failure_threshold.is_none() {
            tracing::warn!("berth.failureThreshold: {threshold} is not a severity");
        }
    }
    let registries = strings(section, &["trustedRegistries", "trusted-registries", "trusted_registries"]);
    options.trusted_registries = (!registries.is_empty()).then_some(registries);
    let network = match section.get("network") {
        Some(Value::Object(network)) => network.get("enabled"),
        _ => section.get("network.enabled"),
    };
    options.network_enabled = network.and_then(Value::as_bool);
    Some(options)
}

fn get<'a>(section: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|name| section.get(*name))
}

fn strings(section: &Map<String, Value>, names: &[&str]) -> Vec<String> {
    match get(section, names) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Null) | None => Vec::new(),
        Some(other) => {
            tracing::warn!("berth.{}: expected a list of strings, got {other}", names[0]);
            Vec::new()
        }
    }
}

/// Rule selectors; ones that match no rule are logged and dropped.
fn selectors(section: &Map<String, Value>, names: &[&str]) -> Vec<String> {
    let mut res = strings(section, names);
    res.retain(|selector| match selector_problem(selector) {
        None => true,
        Some(problem) => {
            tracing::warn!("berth.{}: {problem}", names[0]);
            false
        }
    });
    res
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::diagnostic::Severity;

    use super::*;

    #[test]
    fn wrapped_and_bare_sections() {
        let wrapped = options_from_json(&json!({ "berth": { "ignore": ["UV001"] } })).unwrap();
        let bare = options_from_json(&json!({ "ignore": ["UV001"], "path": "/usr/bin/berth" })).unwrap();
        assert_eq!(wrapped, bare);
        assert_eq!(wrapped.ignore, ["UV001"]);
        assert_eq!(options_from_json(&Value::Null), None);
        assert_eq!(options_from_json(&json!({ "berth": null })), None);
    }

    #[test]
    fn every_setting_is_read() {
        let options = options_from_json(&json!({ "berth": {
            "select": ["DF", "UV001"],
            "ignore": ["DF002", "NOPE1"],
            "extendSelect": ["PY"],
            "severity": { "UV001": "error", "DF": "off", "PY001": "loud" },
            "failureThreshold": "info",
            "network": { "enabled": true },
            "trustedRegistries": ["ghcr.io"],
        }}))
        .unwrap();
        assert_eq!(options.select, Some(vec!["DF".to_owned(), "UV001".to_owned()]));
        assert_eq!(options.ignore, ["DF002"], "unknown codes are dropped");
        assert_eq!(options.extend_select, ["PY"]);
        assert_eq!(options.severity, [("DF".to_owned(), None), ("UV001".to_owned(), Some(Severity::Error))]);
        assert_eq!(options.failure_threshold, Some(FailureThreshold::At(Severity::Info)));
        assert_eq!(options.network_enabled, Some(true));
        assert_eq!(options.trusted_registries, Some(vec!["ghcr.io".to_owned()]));
    }

    #[test]
    fn the_defaults_editors_send_change_nothing() {
        let defaults = json!({ "berth": {
            "select": [], "ignore": [], "extendSelect": [], "severity": {},
            "failureThreshold": "warning", "network": { "enabled": false }, "trustedRegistries": [],
        }});
        let options = options_from_json(&defaults).unwrap();
        assert_eq!(options.select, None);
        assert_eq!(options.trusted_registries, None);
        assert!(options.ignore.is_empty() && options.extend_select.is_empty() && options.severity.is_empty());
    }
}
