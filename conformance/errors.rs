//! insta snapshot of every distinct error body awsim produces for the fixture requests, so a
//! change to any error text or `__type` shows up in review as one readable diff
//! (snapshots/errors__error_bodies.snap).
#[path = "harness/mod.rs"]
mod harness;

use harness::model::Body;
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn every_distinct_error_body_is_pinned() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let fixtures: Vec<_> = harness::load_fixtures(&root, None)
        .into_iter()
        .filter_map(|(_, f)| f.ok())
        .collect();
    assert!(
        !fixtures.is_empty(),
        "no fixtures to take error bodies from"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let bodies: BTreeSet<String> = runtime.block_on(async {
        let client = harness::replay::client();
        let mut bodies = BTreeSet::new();
        for fixture in &fixtures {
            // A fresh server per fixture, as the conformance replay does.
            let server = harness::replay::InProcess::start().await.unwrap();
            let base = server.base.clone();
            let signer = harness::replay::Signer::fixture("test");
            let mut previous = Vec::new();
            for ex in &fixture.exchanges {
                // `{{N:path}}` placeholders filled in from earlier answers, as the replay does.
                let request = harness::replay::substitute(&ex.request, &previous);
                let live = harness::replay::send(&client, &base, &request, &signer)
                    .await
                    .unwrap();
                previous.push(serde_json::from_slice(&live.bytes).unwrap_or_default());
                if live.status != 200 {
                    if let Body::Json(v) = live.response().body {
                        bodies.insert(format!("{} {}", live.status, v));
                    }
                }
            }
            assert_eq!(server.stop().await, None);
        }
        bodies
    });
    let bodies: Vec<String> = bodies.into_iter().collect();
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_yaml_snapshot!("error_bodies", bodies);
    });
}
