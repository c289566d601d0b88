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
