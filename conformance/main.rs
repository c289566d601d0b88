//! The conformance test: replays every recorded fixture under fixtures/ against a fresh
//! in-process awsim each, prints the per-area table and the differences, and fails on any
//! mismatch (or when there is nothing to check). `cargo xtask conformance` runs the same replay.
mod harness;

use std::path::Path;

#[test]
fn every_fixture_replays_against_awsim() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let fixtures = harness::load_fixtures(&root, None);
    assert!(
        !fixtures.is_empty(),
        "no fixtures under {}: a suite that checks nothing must not pass",
        root.display()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let outcomes = runtime.block_on(harness::replay::run(&fixtures, None, true));
    println!("{}", harness::report::render(&outcomes));
    let failing: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.passed())
        .map(|o| o.name.as_str())
        .collect();
    assert!(
        failing.is_empty(),
        "{} of {} fixtures failed: {}",
        failing.len(),
        outcomes.len(),
        failing.join(", ")
    );
}
