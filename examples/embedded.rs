//! awsim inside a Rust program's tests: start it in process, point aws-sdk-dynamodb at it,
//! snapshot a known state and restore it between tests. `cargo run --example embedded`.
//! (`conformance/embedded.rs` runs this example as a test.)
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;

/// An SDK client for an embedded server: its endpoint, its region, any credentials.
pub fn client(server: &awsim::Server) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(server.endpoint_url())
        .region(Region::new(server.region().to_string()))
        .credentials_provider(Credentials::new("test", "test", None, None, "awsim"))
        // awsim speaks plain HTTP. This workspace builds the SDK without its default (TLS)
        // client, so it names a plain one; with the SDK's default features, leave this out.
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(config)
}

/// Creates a table, saves the state as a snapshot, changes it, restores it; returns the item
/// count before and after the restore.
pub async fn run() -> Result<(i32, i32), Box<dyn std::error::Error>> {
    // In memory, on a free port; stopped when `server` is dropped.
    let server = awsim::Server::start()?;
    let db = client(&server);
    db.create_table()
        .table_name("users")
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()?,
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await?;
    db.put_item()
        .table_name("users")
        .item("id", AttributeValue::S("alice".into()))
        .send()
        .await?;
    // The known state every test starts from.
    server.snapshot("fixture")?;

    // A test changes things...
    db.put_item()
        .table_name("users")
        .item("id", AttributeValue::S("bob".into()))
        .send()
        .await?;
    let changed = db.scan().table_name("users").send().await?.count();

    // ...and the next one starts from the fixture again, in milliseconds.
    server.restore("fixture")?;
    let restored = db.scan().table_name("users").send().await?.count();
    Ok((changed, restored))
}

#[tokio::main(flavor = "current_thread")]
#[allow(dead_code)] // run as a test too, where `main` is not called
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (changed, restored) = run().await?;
    println!("items after the change: {changed}; after the restore: {restored}");
    Ok(())
}
