//! `awsim::Server`, the in-process embedding for Rust tests: the example under `examples/` run
//! as a test, a server on a data directory seen again by the next one, the server stopping on
//! drop, and use from a plain synchronous test.
#[path = "../examples/embedded.rs"]
mod example;

// The README points people at this example; if it breaks, so does their first test.
#[tokio::test]
async fn the_embedding_example_runs() {
    let (changed, restored) = example::run().await.unwrap();
    assert_eq!((changed, restored), (2, 1));
}

fn temp_dir(what: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!(
        "awsim-embedded-{what}-{}-{nanos}",
        std::process::id()
    ))
}

// A server on a directory persists: dropping it closes the store cleanly, and the next server
// on the same directory (even on the same port) sees the data.
#[tokio::test]
async fn a_server_on_a_directory_keeps_its_data_across_a_restart_and_frees_its_port() {
    let dir = temp_dir("restart");
    let port;
    {
        let server = awsim::Server::builder().data_dir(&dir).start().unwrap();
        port = server.addr().port();
        let db = example::client(&server);
        db.create_table()
            .table_name("kept")
            .key_schema(
                aws_sdk_dynamodb::types::KeySchemaElement::builder()
                    .attribute_name("id")
                    .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .attribute_definitions(
                aws_sdk_dynamodb::types::AttributeDefinition::builder()
                    .attribute_name("id")
                    .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
            .send()
            .await
            .unwrap();
        server.stop().unwrap();
    }
    // The port is free again once the server is stopped, and the data is still there.
    let server = awsim::Server::builder()
        .data_dir(&dir)
        .port(port)
        .start()
        .unwrap();
    assert_eq!(server.addr().port(), port);
    let names = example::client(&server)
        .list_tables()
        .send()
        .await
        .unwrap()
        .table_names()
        .to_vec();
    assert_eq!(names, ["kept"]);
    drop(server);
    // A client configured from a server's region sees that region's tables (none in eu-west-1).
    let server = awsim::Server::builder()
        .data_dir(&dir)
        .region("eu-west-1")
        .start()
        .unwrap();
    assert_eq!(server.region(), "eu-west-1");
    let names = example::client(&server)
        .list_tables()
        .send()
        .await
        .unwrap()
        .table_names()
        .to_vec();
    assert!(names.is_empty(), "{names:?}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

// Not every test suite is async: a plain #[test] starts and uses the server too (it runs on
// its own threads), here over raw HTTP.
#[test]
fn a_synchronous_test_can_use_a_server_and_a_missing_snapshot_is_not_found() {
    let server = awsim::Server::start().unwrap();
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    use std::io::{Read, Write};
    let body = "{}";
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("{\"TableNames\":[]}"), "{answer}");
    let missing = server.restore("never-taken").unwrap_err();
    assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    let invalid = server.snapshot("../escape").unwrap_err();
    assert!(
        invalid.to_string().contains("invalid snapshot name"),
        "{invalid}"
    );
}
