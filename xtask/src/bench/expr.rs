//! `cargo xtask bench --expr`: the in-process cost of the expression language on a typical
//! request (parse, validate against the placeholders, evaluate / apply), without HTTP or
//! storage, in nanoseconds per expression. Runs in the release-mode load generator.
use awsim::expr::eval::eval_condition;
use awsim::expr::parser::{parse_condition, parse_update};
use awsim::expr::update::{apply_update, Dialect};
use awsim::expr::validate::{validate_condition, validate_update, Ctx, Used};
use awsim::model::{AttributeValue, Item, Number};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

const CONDITION: &str =
    "attribute_exists(pk) AND #s = :active AND size(tags) > :zero AND (price BETWEEN :lo AND :hi OR begins_with(sku, :prefix))";
const UPDATE: &str = "SET #s = :active, price = price + :one, history = list_append(if_not_exists(history, :empty), :entry) REMOVE legacy ADD tags :tag";

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(v).expect("a number"))
}

/// Best of five timed runs of `iterations` calls, in ns per call.
fn measure(iterations: u32, mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed().as_nanos() as f64 / iterations as f64
        })
        .fold(f64::INFINITY, f64::min)
}

pub fn run() -> String {
    let names: BTreeMap<String, String> = [("#s".to_string(), "status".to_string())].into();
    let values: BTreeMap<String, AttributeValue> = [
        (":active", AttributeValue::S("active".into())),
        (":zero", n("0")),
        (":one", n("1")),
        (":lo", n("10")),
        (":hi", n("99.5")),
        (":prefix", AttributeValue::S("AB-".into())),
        (":empty", AttributeValue::L(vec![])),
        (
            ":entry",
            AttributeValue::L(vec![AttributeValue::S("bought".into())]),
        ),
        (":tag", AttributeValue::Ss(vec!["new".into()])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let ctx = Ctx {
        names: &names,
        values: &values,
    };
    let item: Item = [
        ("pk", AttributeValue::S("order#1".into())),
        ("status", AttributeValue::S("active".into())),
        ("tags", AttributeValue::Ss(vec!["a".into(), "b".into()])),
        ("price", n("42.5")),
        ("sku", AttributeValue::S("AB-123".into())),
        ("legacy", AttributeValue::Bool(true)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();

    let cond = parse_condition(CONDITION).expect("the condition parses");
    let update = parse_update(UPDATE).expect("the update parses");
    let paths = validate_update(&ctx, &update, &mut Used::default()).expect("valid update");

    let parse_eval = measure(100_000, || {
        let c = parse_condition(black_box(CONDITION)).unwrap();
        validate_condition(&ctx, &c, &mut Used::default()).unwrap();
        black_box(eval_condition(&c, black_box(&item), &ctx));
    });
    let eval_only = measure(200_000, || {
        black_box(eval_condition(&cond, black_box(&item), &ctx));
    });
    let update_all = measure(50_000, || {
        let u = parse_update(black_box(UPDATE)).unwrap();
        let p = validate_update(&ctx, &u, &mut Used::default()).unwrap();
        black_box(apply_update(&u, &p, black_box(&item), &ctx, Dialect::Expression).unwrap());
    });
    let apply_only = measure(50_000, || {
        black_box(
            apply_update(&update, &paths, black_box(&item), &ctx, Dialect::Expression).unwrap(),
        );
    });
    format!(
        "## Expression language, in process (best of 5)\n\n\
         | what | ns per expression |\n|---|---:|\n\
         | condition: parse + validate + evaluate | {parse_eval:.0} |\n\
         | condition: evaluate only | {eval_only:.0} |\n\
         | update: parse + validate + apply | {update_all:.0} |\n\
         | update: apply only | {apply_only:.0} |\n\n\
         condition: `{CONDITION}`\n\nupdate: `{UPDATE}`\n"
    )
}
