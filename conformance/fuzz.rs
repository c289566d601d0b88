//! Fuzzing in `cargo test`: a short run of the wire fuzzer (conformance/fuzz/wire.rs, the same
//! one `cargo xtask fuzz-wire` runs a million times) against an in-process server, and the
//! parser corpus replay (conformance/fuzz/targets.rs, the bodies of the `cargo fuzz` targets
//! under fuzz/) over the committed corpus and generated inputs.
use std::sync::Arc;
use std::time::Duration;

mod support;
#[path = "fuzz/wire.rs"]
mod wire;

// Mutated requests (JSON trees, bytes, HTTP heads) each get a prompt answer that is not a 5xx,
// and the server is still answering at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_requests_never_get_a_5xx_or_hang() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = Arc::new(wire::seeds(&root.join("fixtures")));
    assert!(seeds.len() > 1000, "{} seeds", seeds.len());
    let server = support::start(None).await;
    wire::prepare(server.addr, &seeds).await;
    let opts = wire::Options {
        requests: 10_000,
        concurrency: 8,
        seed: 0xC0FFEE,
        // Generous: a debug build on a busy machine. `cargo xtask fuzz-wire` holds 1 s.
        timeout: Duration::from_secs(10),
    };
    let report = wire::run(server.addr, seeds, opts).await;
    let failures: Vec<String> = report
        .failures
        .iter()
        .map(|f| {
            format!(
                "{}\n{}",
                f.why,
                String::from_utf8_lossy(&f.request[..f.request.len().min(2000)])
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{}\n{}",
        report.summary(),
        failures.join("\n\n")
    );
    assert_eq!(report.sent, 10_000);
    // Most mutations are refused (4xx), some still succeed: both paths were exercised.
    assert!(
        report.statuses.get(&200).copied().unwrap_or(0) > 1000,
        "{}",
        report.summary()
    );
    assert!(
        report.statuses.get(&400).copied().unwrap_or(0) > 5000,
        "{}",
        report.summary()
    );
    server.shutdown().await;
}

#[path = "fuzz/targets.rs"]
mod targets;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

// The committed corpus of every parser target (seeds from the fixtures, and what coverage-
// guided runs of `cargo fuzz` found worth keeping) replays without a panic or a 500.
#[test]
fn the_fuzz_corpus_replays() {
    for (name, target) in targets::TARGETS {
        let inputs = corpus(name);
        assert!(!inputs.is_empty(), "fuzz/corpus/{name} is empty");
        for (i, input) in inputs.iter().enumerate() {
            if std::env::var_os("FUZZ_TRACE").is_some() {
                eprintln!("{name} {i}");
            }
            target(input);
        }
    }
}

// Stored items: every accepted attribute value of the corpus, encoded, then damaged byte by
// byte, decodes or is reported corrupt.
#[test]
fn damaged_stored_items_never_panic() {
    let mut rng = wire::Rng::new(7);
    for input in corpus("attribute_value") {
        let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&input) else {
            continue;
        };
        let Ok(item) = awsim::protocol::attr::parse_item(&doc) else {
            continue;
        };
        let stored = awsim::codec::item::encode_item(&item);
        targets::item_codec(&stored);
        for _ in 0..20 {
            let mut damaged = stored.clone();
            match rng.below(3) {
                0 if !damaged.is_empty() => {
                    let i = rng.below(damaged.len());
                    damaged[i] = rng.next() as u8;
                }
                1 => damaged.truncate(rng.below(damaged.len() + 1)),
                _ => damaged.insert(rng.below(damaged.len() + 1), rng.next() as u8),
            }
            targets::item_codec(&damaged);
        }
    }
}

use proptest::prelude::*;

/// Text built from the tokens of expressions and PartiQL, so generated inputs get past the
/// lexers into the parsers.
fn token_soup() -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(vec![
        "a",
        "b.c",
        "#n",
        ":v",
        "[0]",
        "[9999999999]",
        "(",
        ")",
        ",",
        ".",
        "=",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "AND",
        "OR",
        "NOT",
        "BETWEEN",
        "IN",
        "SET",
        "REMOVE",
        "ADD",
        "DELETE",
        "+",
        "-",
        "size",
        "attribute_exists",
        "attribute_not_exists",
        "attribute_type",
        "begins_with",
        "contains",
        "if_not_exists",
        "list_append",
        "SELECT",
        "*",
        "FROM",
        "\"t\"",
        "\"t\".\"i\"",
        "WHERE",
        "INSERT",
        "INTO",
        "VALUE",
        "UPDATE",
        "RETURNING",
        "ALL",
        "NEW",
        "OLD",
        "MODIFIED",
        "EXISTS",
        "MISSING",
        "ORDER",
        "BY",
        "DESC",
        "?",
        "'s'",
        "1",
        "-1.5e3",
        "{",
        "}",
        "<<",
        ">>",
        "[",
        "]",
        ":",
        "'",
        "\"",
        " ",
        "\u{0}",
        "🙂",
    ]);
    prop::collection::vec(tokens, 0..40).prop_map(|t| t.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn expressions_and_statements_never_panic(text in token_soup()) {
        targets::expression(text.as_bytes());
        targets::partiql(text.as_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..300)) {
        for (_, target) in targets::TARGETS {
            target(&data);
        }
    }

    #[test]
    fn mutated_requests_never_fault(seed in any::<u64>()) {
        static SEEDS: std::sync::OnceLock<Vec<wire::Seed>> = std::sync::OnceLock::new();
        let seeds = SEEDS.get_or_init(|| {
            wire::seeds(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
        });
        let mut rng = wire::Rng::new(seed);
        let (target, body) = wire::mutated_body(&mut rng, seeds);
        let op = target.rsplit('.').next().unwrap_or_default();
        let index = targets::operations().iter().position(|(_, o)| o == op).unwrap_or(0);
        let mut input = vec![index as u8];
        input.extend_from_slice(&body);
        targets::request(&input);
    }
}
