//! Concurrent transactions against one awsim (file-backed, so reads run on their own WAL
//! connections while the single writer commits): tasks move amounts between accounts with
//! conditional TransactWriteItems, others append to a journal with BatchWriteItem, others take
//! TransactGetItems snapshots of every account. Whatever the interleaving, the outcome must be
//! some serial order: the total never changes, no balance goes negative, every committed
//! transfer and journal entry is there exactly once, and no snapshot sees half a transfer.
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::*;
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const ACCOUNTS: usize = 8;
const START_BALANCE: i64 = 100;
const MOVERS: usize = 8;
const MOVES_PER_TASK: usize = 40;
const JOURNALERS: usize = 4;
const BATCHES_PER_TASK: usize = 10;
const READERS: usize = 4;
const READS_PER_TASK: usize = 40;

mod support;

/// A file-backed server on a free port (a fresh directory under the system temp dir).
async fn start() -> (Client, support::Server, std::path::PathBuf) {
    let dir = support::temp_dir("concurrency");
    let server = support::start(Some(dir.clone())).await;
    (server.dynamodb(), server, dir)
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn account(i: usize) -> HashMap<String, AttributeValue> {
    [("pk".to_string(), s(&format!("acct{i}")))].into()
}

async fn create(client: &Client, name: &str) {
    support::hash_table(client, name).send().await.unwrap();
}

/// A small deterministic generator per task (no RNG dependency; the interleaving is the
/// randomness that matters here).
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Moves `amount` from one account to another if the source can afford it; records the
/// transfer in the same transaction. Ok(true) when committed, Ok(false) when cancelled.
async fn transfer(client: &Client, from: usize, to: usize, amount: i64, id: &str) -> bool {
    let debit = Update::builder()
        .table_name("accounts")
        .set_key(Some(account(from)))
        .update_expression("SET bal = bal - :a")
        .condition_expression("bal >= :a")
        .expression_attribute_values(":a", n(amount))
        .build()
        .unwrap();
    let credit = Update::builder()
        .table_name("accounts")
        .set_key(Some(account(to)))
        .update_expression("SET bal = bal + :a")
        .expression_attribute_values(":a", n(amount))
        .build()
        .unwrap();
    let record = Put::builder()
        .table_name("transfers")
        .item("pk", s(id))
        .item("amount", n(amount))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .unwrap();
    let out = client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(debit).build())
        .transact_items(TransactWriteItem::builder().update(credit).build())
        .transact_items(TransactWriteItem::builder().put(record).build())
        .send()
        .await;
    match out {
        Ok(_) => true,
        Err(e) => match e.into_service_error() {
            TransactWriteItemsError::TransactionCanceledException(c) => {
                let codes: Vec<&str> = c
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or(""))
                    .collect();
                // Only the balance condition can fail.
                assert_eq!(codes, ["ConditionalCheckFailed", "None", "None"]);
                false
            }
            other => panic!("unexpected transfer error: {other:?}"),
        },
    }
}

/// Every balance in one TransactGetItems snapshot.
async fn balances(client: &Client) -> Vec<i64> {
    let mut req = client.transact_get_items();
    for i in 0..ACCOUNTS {
        req = req.transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("accounts")
                        .set_key(Some(account(i)))
                        .build()
                        .unwrap(),
                )
                .build(),
        );
    }
    let out = req.send().await.unwrap();
    out.responses()
        .iter()
        .map(|r| r.item().unwrap()["bal"].as_n().unwrap().parse().unwrap())
        .collect()
}

// The invariant test: see the module doc.
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_transactions_and_batches_are_serializable() {
    let (client, _stop, dir) = start().await;
    for t in ["accounts", "transfers", "journal"] {
        create(&client, t).await;
    }
    for i in 0..ACCOUNTS {
        client
            .put_item()
            .table_name("accounts")
            .set_item(Some(account(i)))
            .item("bal", n(START_BALANCE))
            .send()
            .await
            .unwrap();
    }
    let total = START_BALANCE * ACCOUNTS as i64;
    let committed = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for task in 0..MOVERS {
        let (client, committed) = (client.clone(), committed.clone());
        tasks.push(tokio::spawn(async move {
            let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ (task as u64 + 1);
            for m in 0..MOVES_PER_TASK {
                let from = next(&mut state) as usize % ACCOUNTS;
                let to = (from + 1 + next(&mut state) as usize % (ACCOUNTS - 1)) % ACCOUNTS;
                let amount = 1 + (next(&mut state) % 60) as i64;
                if transfer(&client, from, to, amount, &format!("t{task}-{m}")).await {
                    committed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for task in 0..JOURNALERS {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for b in 0..BATCHES_PER_TASK {
                let requests: Vec<WriteRequest> = (0..25)
                    .map(|i| {
                        WriteRequest::builder()
                            .put_request(
                                PutRequest::builder()
                                    .item("pk", s(&format!("j{task}-{b}-{i}")))
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                    })
                    .collect();
                let out = client
                    .batch_write_item()
                    .request_items("journal", requests)
                    .send()
                    .await
                    .unwrap();
                assert!(out.unprocessed_items().unwrap().is_empty());
            }
        }));
    }
    for _ in 0..READERS {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..READS_PER_TASK {
                let b = balances(&client).await;
                // A snapshot never shows a debit without its credit.
                assert_eq!(b.iter().sum::<i64>(), total, "torn snapshot: {b:?}");
                assert!(b.iter().all(|x| *x >= 0), "negative balance: {b:?}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }

    let end = balances(&client).await;
    assert_eq!(end.iter().sum::<i64>(), total);
    assert!(end.iter().all(|x| *x >= 0));
    let committed = committed.load(Ordering::Relaxed);
    assert!(committed > 0, "some transfers must commit");
    let count = |table: &'static str| {
        let client = client.clone();
        async move {
            let pages: Vec<_> = client
                .scan()
                .table_name(table)
                .select(Select::Count)
                .into_paginator()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .unwrap();
            pages.iter().map(|p| p.count() as usize).sum::<usize>()
        }
    };
    // Each committed transfer wrote its record exactly once, each cancelled one nothing.
    assert_eq!(count("transfers").await, committed);
    assert_eq!(count("journal").await, JOURNALERS * BATCHES_PER_TASK * 25);
    println!(
        "{committed} of {} transfers committed; final balances {end:?}",
        MOVERS * MOVES_PER_TASK
    );
    let _ = std::fs::remove_dir_all(dir);
}
