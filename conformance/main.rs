//! The conformance test (`harness = false`, run by libtest-mimic): one test per recorded fixture
//! under fixtures/, named `area/case`, each replayed against a fresh in-process awsim (so
//! `cargo test --test conformance -- query/` replays only the query fixtures), plus the checks
//! that the fixtures are current (every fixture's requests are its scenario's) and the harness's
//! own self-checks. `cargo xtask conformance` runs the same replay with a per-area table.
mod harness;

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;
use std::sync::Arc;

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = harness::load_fixtures(&root.join("fixtures"), None);
    // One runtime and one HTTP client for every fixture; each fixture still gets its own server
    // (and so its own in-memory store), started and stopped on this runtime.
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime"),
    );
    let client = runtime.block_on(async { harness::replay::client() });

    let mut trials = vec![
        // A suite that checks nothing must not pass.
        Trial::test("fixtures_exist", {
            let count = fixtures.len();
            move || match count {
                0 => Err("no fixtures under fixtures/".into()),
                _ => Ok(()),
            }
        }),
        // A fixture is only evidence for the scenario it was recorded from: a scenario edited
        // without re-recording (or never recorded) would replay stale requests.
        Trial::test("fixtures_equal_their_scenarios", move || {
            let drift = harness::drift(&root.join("fixtures"), &root.join("conformance/scenarios"));
            match drift.is_empty() {
                true => Ok(()),
                false => Err(drift.join("\n").into()),
            }
        }),
        // The replayer's own parts: a wrong checksum or normaliser would hide real failures.
        // (A panicking check fails its trial: libtest-mimic catches it.)
        Trial::test("harness_crc32_matches_zlib", || {
            harness::replay::checks::crc32_matches_zlib();
            Ok(())
        }),
        Trial::test("harness_requests_are_signed_with_sigv4", || {
            harness::replay::checks::requests_are_signed_with_sigv4();
            Ok(())
        }),
        Trial::test("harness_diff_paths_are_readable", || {
            harness::diff::checks::paths_are_readable();
            Ok(())
        }),
        Trial::test(
            "harness_normalisation_rules_apply_and_are_idempotent",
            || {
                harness::normalise::checks::rules_apply_and_are_idempotent();
                Ok(())
            },
        ),
    ];
    for (name, fixture) in fixtures {
        let (runtime, client) = (runtime.clone(), client.clone());
        trials.push(Trial::test(name, move || {
            let fixture = fixture.map_err(|e| Failed::from(format!("cannot load: {e}")))?;
            let failures = runtime
                .block_on(harness::replay::replay_in_process(&client, &fixture))
                .failures;
            match failures.is_empty() {
                true => Ok(()),
                false => Err(failures.join("\n").into()),
            }
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}
