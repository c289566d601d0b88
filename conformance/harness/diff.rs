//! A structural JSON diff with readable paths, e.g.
//! `$.TableDescription.KeySchema[0].AttributeName: expected "pk", got "id"`. Object key order
//! never matters, array order does, numbers compare by value (`0` equals `0.0`). Differing
//! sentences (error messages) also get a word-level inline diff on a continuation line.
use serde_json::Value;
use std::fmt::Write;

/// Every difference between `expected` and `actual`, one line each (empty when equal).
pub fn diff(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk("$", expected, actual, &mut out);
    out
}

fn walk(path: &str, e: &Value, a: &Value, out: &mut Vec<String>) {
    match (e, a) {
        (Value::Object(em), Value::Object(am)) => {
            for (k, ev) in em {
                let p = key_path(path, k);
                match am.get(k) {
                    Some(av) => walk(&p, ev, av, out),
                    None => out.push(format!("{p}: missing, expected {}", show(ev))),
                }
            }
            for (k, av) in am.iter().filter(|(k, _)| !em.contains_key(*k)) {
                out.push(format!("{}: unexpected {}", key_path(path, k), show(av)));
            }
        }
        (Value::Array(ea), Value::Array(aa)) => {
            for (i, (ev, av)) in ea.iter().zip(aa).enumerate() {
                walk(&format!("{path}[{i}]"), ev, av, out);
            }
            for (i, ev) in ea.iter().enumerate().skip(aa.len()) {
                out.push(format!("{path}[{i}]: missing, expected {}", show(ev)));
            }
            for (i, av) in aa.iter().enumerate().skip(ea.len()) {
                out.push(format!("{path}[{i}]: unexpected {}", show(av)));
            }
        }
        (Value::String(es), Value::String(as_)) if es != as_ => {
            let mut line = format!("{path}: expected {}, got {}", show(e), show(a));
            let wordy = |s: &str| s.contains(' ') && s.len() > 40;
            if wordy(es) && wordy(as_) {
                line.push_str(&format!("\n  word diff: {}", inline(es, as_)));
            }
            out.push(line);
        }
        // Numbers compare by value: `0` and `0.0` are the same JSON number.
        (Value::Number(en), Value::Number(an))
            if en == an || (en.is_f64() || an.is_f64()) && en.as_f64() == an.as_f64() => {}
        _ if e != a => out.push(format!("{path}: expected {}, got {}", show(e), show(a))),
        _ => {}
    }
}

/// `$.a.b` for identifier-like keys, `$.a["odd key"]` otherwise.
fn key_path(path: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", Value::String(key.into()))
    }
}

/// Compact JSON, cut at 300 characters.
pub fn show(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(300) {
        Some((i, _)) => format!("{}... ({} bytes)", &s[..i], s.len()),
        None => s,
    }
}

/// `same [-old-]{+new+} same`, runs of equal tags merged.
pub fn inline(old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_words(old, new);
    let mut out = String::new();
    let mut run: Option<(similar::ChangeTag, String)> = None;
    let flush = |out: &mut String, run: Option<(similar::ChangeTag, String)>| {
        let _ = match run {
            Some((similar::ChangeTag::Delete, s)) => write!(out, "[-{s}-]"),
            Some((similar::ChangeTag::Insert, s)) => write!(out, "{{+{s}+}}"),
            Some((similar::ChangeTag::Equal, s)) => write!(out, "{s}"),
            None => Ok(()),
        };
    };
    for change in diff.iter_all_changes() {
        match &mut run {
            Some((tag, s)) if *tag == change.tag() => s.push_str(change.value()),
            _ => {
                flush(&mut out, run.take());
                run = Some((change.tag(), change.value().to_string()));
            }
        }
    }
    flush(&mut out, run);
    out
}

/// Self-checks, run as tests by the conformance test binary (see `replay::checks`).
pub mod checks {
    use super::*;
    use serde_json::json;

    /// Differences name JSON paths a reader can follow; numbers compare by value.
    pub fn paths_are_readable() {
        let e = json!({"TableDescription": {"KeySchema": [{"AttributeName": "pk"}], "a b": 1, "x": [1, 2]}});
        let a = json!({"TableDescription": {"KeySchema": [{"AttributeName": "id"}], "y": true, "x": [1]}});
        assert_eq!(
            diff(&e, &a),
            [
                r#"$.TableDescription.KeySchema[0].AttributeName: expected "pk", got "id""#,
                r#"$.TableDescription["a b"]: missing, expected 1"#,
                r#"$.TableDescription.x[1]: missing, expected 2"#,
                r#"$.TableDescription.y: unexpected true"#,
            ]
        );
        assert!(diff(&json!({"a": 1, "b": 2.0}), &json!({"b": 2, "a": 1})).is_empty());
        assert_eq!(diff(&json!(1), &json!(1.5)), ["$: expected 1, got 1.5"]);
        assert_eq!(inline("a b c", "a x c"), "a [-b-]{+x+} c");
    }
}
