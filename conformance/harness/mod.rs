//! The conformance harness, shared by the `conformance` test (conformance/main.rs) and by xtask
//! (`#[path]`-included): the scenario and fixture formats, the normaliser, the JSON diff, the
//! replayer and the per-area report. The formats are specified in conformance/README.md.
// Each of the two crates that include this module uses only part of it.
#![allow(dead_code)]

pub mod diff;
pub mod model;
pub mod normalise;
pub mod replay;
pub mod report;

use model::Fixture;
use std::path::Path;

/// Loads every fixture below `root` whose `area/case` name contains `filter`. A file that does
/// not load is kept as an error naming the file, so it is reported as a failure.
pub fn load_fixtures(root: &Path, filter: Option<&str>) -> Vec<(String, Result<Fixture, String>)> {
    match model::json_files(root) {
        Err(e) => vec![(root.display().to_string(), Err(e))],
        Ok(files) => files
            .into_iter()
            .filter(|(name, _)| filter.is_none_or(|f| name.contains(f)))
            .map(|(name, path)| {
                let fixture = Fixture::load(&name, &path);
                (name, fixture)
            })
            .collect(),
    }
}

/// Differences between the recorded fixtures and the scenarios they come from: a scenario
/// without a fixture, a fixture without a scenario, or a fixture whose requests are not the
/// scenario's (a scenario edited without re-recording). Empty when every fixture is current.
pub fn drift(fixtures_root: &Path, scenarios_root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let (fixtures, scenarios) = match (
        model::json_files(fixtures_root),
        model::json_files(scenarios_root),
    ) {
        (Ok(f), Ok(s)) => (f, s),
        (Err(e), _) | (_, Err(e)) => return vec![e],
    };
    let scenario_names: std::collections::BTreeSet<&str> =
        scenarios.iter().map(|(n, _)| n.as_str()).collect();
    let fixture_names: std::collections::BTreeSet<&str> =
        fixtures.iter().map(|(n, _)| n.as_str()).collect();
    for name in scenario_names.difference(&fixture_names) {
        out.push(format!(
            "{name}: scenario never recorded (cargo xtask record {name})"
        ));
    }
    for name in fixture_names.difference(&scenario_names) {
        out.push(format!("{name}: fixture without a scenario"));
    }
    for (name, path) in &fixtures {
        let Some((_, scenario_path)) = scenarios.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let (fixture, scenario) = match (
            Fixture::load(name, path),
            model::Scenario::load(name, scenario_path),
        ) {
            (Ok(f), Ok(s)) => (f, s),
            (Err(e), _) | (_, Err(e)) => {
                out.push(e);
                continue;
            }
        };
        let recorded: Vec<&model::Request> = fixture.exchanges.iter().map(|x| &x.request).collect();
        let written: Vec<&model::Request> = scenario.steps.iter().map(|s| &s.request).collect();
        if recorded.len() != written.len() {
            out.push(format!(
                "{name}: {} requests recorded, the scenario has {} (cargo xtask record {name})",
                recorded.len(),
                written.len()
            ));
            continue;
        }
        for (i, (r, w)) in recorded.iter().zip(&written).enumerate() {
            if !r.same_as(w) {
                out.push(format!(
                    "{name}: request {} differs from the scenario's (cargo xtask record {name}): recorded {}, scenario {}",
                    i + 1,
                    r.to_json(),
                    w.to_json()
                ));
            }
        }
    }
    out
}

/// `n` decimal digits that differ from run to run (clock and pid; no RNG dependency).
pub fn random_digits(n: usize) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    let mut x = nanos ^ (std::process::id() as u64).rotate_left(29) ^ 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            // xorshift64*
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            char::from(b'0' + (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 60) as u8 % 10)
        })
        .collect()
}
