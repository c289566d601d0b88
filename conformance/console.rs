//! The web console (`/_awsim/ui/`) in a real browser: headless Chromium driven over WebDriver
//! (chromedriver), against an in-process awsim. One scenario walks what a person does: create a
//! table, add an item, edit it, see a validation error as the server words it, page through 250
//! items (with the keyboard too), run a query, watch a stream record arrive, move the clock,
//! take a snapshot. Every page is captured under `target/console/` for review.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`;
//! `scripts/test`, the test command README documents, installs them when missing).
//! `CHROMEDRIVER` and `CHROMIUM` override the programs.
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long any one thing may take to appear (a debug build on a busy 2-core machine).
const PATIENCE: Duration = Duration::from_secs(30);

/// chromedriver on a free loopback port; killed (with its browser profile removed) on drop.
struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl Driver {
    fn start() -> Driver {
        let program = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {program}: {e}. The console test needs Chromium and its \
                     WebDriver: apt-get install chromium chromium-driver (scripts/test does)"
                )
            });
        let profile = std::env::temp_dir().join(format!(
            "awsim-console-chromium-{}-{port}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&profile);
        let mut driver = Driver {
            child,
            port,
            profile,
        };
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!("{program} exited at start-up ({status})");
            }
            assert!(Instant::now() < deadline, "{program} never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        driver
    }

    /// A browser session: headless Chromium with the flags this closed network needs (no
    /// background traffic, no QUIC) and a fresh profile.
    async fn connect(&self) -> Client {
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=1366,900".into(),
            format!("--user-data-dir={}", self.profile.display()),
        ];
        args.push("--force-device-scale-factor=1".into());
        let mut options = json!({ "args": args });
        let binary = std::env::var("CHROMIUM").ok().or_else(|| {
            ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
                .into_iter()
                .find(|p| std::path::Path::new(p).exists())
                .map(str::to_string)
        });
        if let Some(binary) = binary {
            options["binary"] = json!(binary);
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session from chromedriver")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Waits (bounded) until `probe` gives a value.
async fn until<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn text(c: &Client, css: &str) -> Option<String> {
    c.find(Locator::Css(css)).await.ok()?.text().await.ok()
}

/// Waits until the element at `css` shows a text containing `wanted`; returns the text.
async fn wait_text(c: &Client, css: &str, wanted: &str) -> String {
    until(&format!("{css} to show {wanted:?}"), || async {
        text(c, css).await.filter(|t| t.contains(wanted))
    })
    .await
}

async fn find(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

/// Replaces a field's content by typing.
async fn type_into(c: &Client, css: &str, value: &str) {
    let field = find(c, css).await;
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Goes to a console page and waits for its heading.
async fn open(c: &Client, base: &str, hash: &str, heading: &str) {
    c.goto(&format!("{base}{hash}")).await.unwrap();
    wait_text(c, "main h1", heading).await;
}

/// Screenshots go to `target/console/NN-name.png`.
struct Shots {
    dir: PathBuf,
    taken: Vec<PathBuf>,
}

impl Shots {
    fn new() -> Shots {
        let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let dir = target.parent().unwrap_or(&target).join("console");
        // Only this run's pictures.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Shots {
            dir,
            taken: Vec::new(),
        }
    }

    /// The whole page: the window is made as tall as the page (up to a bound) for the picture.
    async fn take(&mut self, c: &Client, name: &str) {
        let height = c
            .execute("return document.documentElement.scrollHeight", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(900);
        let (width, normal) = c.get_window_size().await.unwrap();
        c.set_window_size(width as u32, (height + 160).clamp(normal, 2400) as u32)
            .await
            .unwrap();
        let png = c.screenshot().await.unwrap();
        c.set_window_size(width as u32, normal as u32)
            .await
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let path = self
            .dir
            .join(format!("{:02}-{name}.png", self.taken.len() + 1));
        std::fs::write(&path, png).unwrap();
        self.taken.push(path);
    }
}

/// Adds the (pk, sk) of every row of the items table shown to `keys`; returns the row count.
async fn page_keys(c: &Client, keys: &mut std::collections::BTreeSet<(String, String)>) -> usize {
    let rows = c
        .find_all(Locator::Css("table[data-test=items] tbody tr"))
        .await
        .unwrap();
    let n = rows.len();
    for row in rows {
        let cells = row.find_all(Locator::Css("td")).await.unwrap();
        keys.insert((
            cells[1].text().await.unwrap(),
            cells[2].text().await.unwrap(),
        ));
    }
    n
}

/// Checks that nothing an item holds (a value, an attribute name) ran as script or became
/// markup anywhere on the page shown.
async fn nothing_injected(c: &Client, page: &str) {
    let clean = c
        .execute("return window.__pwned === undefined", vec![])
        .await
        .unwrap();
    assert_eq!(
        clean,
        json!(true),
        "an item ran as script on the {page} page"
    );
    let markup = c
        .find_all(Locator::Css("main img, main script"))
        .await
        .unwrap();
    assert!(
        markup.is_empty(),
        "an item became markup on the {page} page"
    );
}

/// How many cells of the items table show `hostile` as plain text; and checks that nothing an
/// item holds ran as script or became markup.
async fn hostile_shown_as_text(c: &Client, hostile: &str) -> usize {
    nothing_injected(c, "items").await;
    let mut shown = 0;
    for cell in c
        .find_all(Locator::Css("table[data-test=items] td.value"))
        .await
        .unwrap()
    {
        if cell.text().await.unwrap() == hostile {
            shown += 1;
        }
    }
    shown
}

/// A DynamoDB call outside the browser (setting up and checking what the console did).
async fn api(endpoint: &str, op: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(endpoint)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("DynamoDB_20120810.{op}"))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

// The console is the way many people will first see awsim, and its value is that a person can
// do these things in a browser; only a real browser proves the page's script, forms, paging,
// escaping and keyboard use work together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_in_a_real_browser() {
    let server = awsim::Server::start().unwrap();
    let driver = Driver::start();
    let client = driver.connect().await;
    let endpoint = server.endpoint_url();
    // Run the scenario as its own task so the browser session is closed even when it fails.
    let outcome = tokio::spawn(scenario(client.clone(), endpoint)).await;
    if outcome.is_err() {
        // What the browser showed when the scenario failed.
        let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let mut shots = Shots {
            dir: target.parent().unwrap_or(&target).join("console/failure"),
            taken: Vec::new(),
        };
        let _ = std::fs::create_dir_all(&shots.dir);
        shots.take(&client, "failure").await;
        if let Ok(source) = client.source().await {
            let _ = std::fs::write(shots.dir.join("failure.html"), source);
        }
    }
    let _ = client.close().await;
    match outcome {
        Ok(shots) => {
            for shot in shots {
                println!("screenshot: {}", shot.display());
            }
        }
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

async fn scenario(c: Client, endpoint: String) -> Vec<PathBuf> {
    let base = format!("{endpoint}/_awsim/ui/");
    let mut shots = Shots::new();

    // Create a table with the form, submitted from the keyboard.
    open(&c, &base, "#/create", "Create table").await;
    type_into(&c, "#create-name", "books").await;
    type_into(&c, "#create-pk", "pk").await;
    type_into(&c, "#create-sk", "sk").await;
    find(&c, "#create-sk-type")
        .await
        .select_by_value("N")
        .await
        .unwrap();
    find(&c, "#create-stream")
        .await
        .select_by_value("NEW_AND_OLD_IMAGES")
        .await
        .unwrap();
    wait_text(
        &c,
        "pre[data-test=request]",
        "\"StreamViewType\": \"NEW_AND_OLD_IMAGES\"",
    )
    .await;
    shots.take(&c, "create-table").await;
    find(&c, "#create-name")
        .await
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    wait_text(&c, "main h1", "books").await;
    wait_text(&c, "main", "NEW_AND_OLD_IMAGES").await;
    let (status, described) = api(&endpoint, "DescribeTable", json!({"TableName": "books"})).await;
    assert_eq!(status, 200, "the form created the table");
    assert_eq!(described["Table"]["KeySchema"][1]["AttributeName"], "sk");
    shots.take(&c, "table").await;

    // Add an item with the editor.
    open(&c, &base, "#/t/books/new", "New item").await;
    type_into(
        &c,
        "#item-json",
        r#"{"pk": {"S": "p1"}, "sk": {"N": "1000"}, "title": {"S": "First"}}"#,
    )
    .await;
    find(&c, "#item-save").await.click().await.unwrap();
    wait_text(&c, "[data-test=ok]", "Saved").await;
    let key = json!({"pk": {"S": "p1"}, "sk": {"N": "1000"}});
    let (_, got) = api(
        &endpoint,
        "GetItem",
        json!({"TableName": "books", "Key": key}),
    )
    .await;
    assert_eq!(got["Item"]["title"], json!({"S": "First"}));

    // Edit it: from the items list to the editor, change a value, save.
    open(&c, &base, "#/t/books/items", "items").await;
    find(&c, "a[data-test=edit-item]")
        .await
        .click()
        .await
        .unwrap();
    wait_text(&c, "main h1", "Edit item").await;
    let editor = find(&c, "#item-json").await;
    let loaded = until("the item in the editor", || async {
        editor
            .prop("value")
            .await
            .ok()
            .flatten()
            .filter(|v| v.contains("First"))
    })
    .await;
    assert!(loaded.contains("\"p1\""), "{loaded}");
    type_into(
        &c,
        "#item-json",
        r#"{"pk": {"S": "p1"}, "sk": {"N": "1000"}, "title": {"S": "Edited"}, "tags": {"SS": ["a", "b"]}}"#,
    )
    .await;
    find(&c, "#item-save").await.click().await.unwrap();
    wait_text(&c, "[data-test=ok]", "Saved.").await;
    let (_, got) = api(
        &endpoint,
        "GetItem",
        json!({"TableName": "books", "Key": key}),
    )
    .await;
    assert_eq!(got["Item"]["title"], json!({"S": "Edited"}));
    shots.take(&c, "item-editor").await;

    // A value the server refuses: its error type and message, word for word.
    let bad = r#"{"pk": {"S": "p1"}, "sk": {"N": "not a number"}}"#;
    type_into(&c, "#item-json", bad).await;
    find(&c, "#item-save").await.click().await.unwrap();
    let shown = wait_text(&c, "[data-test=error]", "ValidationException").await;
    let (status, refused) = api(
        &endpoint,
        "PutItem",
        json!({"TableName": "books", "Item": serde_json::from_str::<Value>(bad).unwrap()}),
    )
    .await;
    assert_eq!(status, 400);
    let message = refused["message"].as_str().unwrap();
    assert!(
        shown.contains(message),
        "the page shows the server's message {message:?}, not {shown:?}"
    );
    shots.take(&c, "validation-error").await;

    // 249 more items (250 in all), some of them hostile to a careless page: in a value, and
    // in an attribute name (which becomes a column heading).
    let hostile = r#"<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>"#;
    let hostile_name = r#"<img src=y onerror="window.__pwned=3">"#;
    let items: Vec<Value> = (0..249)
        .map(|i| {
            let mut item = json!({
                "pk": {"S": format!("p{}", i % 5)},
                "sk": {"N": i.to_string()},
                "title": {"S": if i % 50 == 0 { hostile.to_string() } else { format!("Book {i}") }},
            });
            if i % 50 == 0 {
                item[hostile_name] = json!({"S": "named"});
            }
            json!({"PutRequest": {"Item": item}})
        })
        .collect();
    for chunk in items.chunks(25) {
        let (status, _) = api(
            &endpoint,
            "BatchWriteItem",
            json!({"RequestItems": {"books": chunk}}),
        )
        .await;
        assert_eq!(status, 200);
    }

    // Page through them, 100 at a time: Next by keyboard ('n'), then by button.
    open(&c, &base, "#/t/books/items", "items").await;
    find(&c, "#page-size")
        .await
        .select_by_value("100")
        .await
        .unwrap();
    wait_text(&c, "[data-test=page-info]", "Page 1 · 100 items · more").await;
    let mut keys = std::collections::BTreeSet::new();
    assert_eq!(page_keys(&c, &mut keys).await, 100);
    shots.take(&c, "items").await;
    let mut hostile_seen = hostile_shown_as_text(&c, hostile).await;
    find(&c, "main h1").await.send_keys("n").await.unwrap();
    wait_text(&c, "[data-test=page-info]", "Page 2 · 100 items · more").await;
    assert_eq!(page_keys(&c, &mut keys).await, 100);
    hostile_seen += hostile_shown_as_text(&c, hostile).await;
    find(&c, "#next-page").await.click().await.unwrap();
    wait_text(&c, "[data-test=page-info]", "Page 3 · 50 items · end").await;
    assert_eq!(page_keys(&c, &mut keys).await, 50);
    hostile_seen += hostile_shown_as_text(&c, hostile).await;
    assert_eq!(hostile_seen, 5, "every hostile title shown, as text");
    let next = find(&c, "#next-page").await;
    assert!(!next.is_enabled().await.unwrap(), "no page after the last");
    assert_eq!(keys.len(), 250, "every item seen exactly once");
    find(&c, "#prev-page").await.click().await.unwrap();
    wait_text(&c, "[data-test=page-info]", "Page 2").await;

    // A query: partition p2, sort key >= 100, newest first, 10 per page.
    open(&c, &base, "#/t/books/query", "query and scan").await;
    type_into(&c, "#q-pk", "p2").await;
    find(&c, "#q-sk-op")
        .await
        .select_by_value(">=")
        .await
        .unwrap();
    type_into(&c, "#q-sk", "100").await;
    find(&c, "#q-direction")
        .await
        .select_by_value("desc")
        .await
        .unwrap();
    type_into(&c, "#q-limit", "10").await;
    let request = wait_text(&c, "pre[data-test=request]", "\"ScanIndexForward\": false").await;
    assert!(
        request.contains("\"KeyConditionExpression\": \"#pk = :pk AND #sk >= :sk\""),
        "{request}"
    );
    find(&c, "#q-run").await.click().await.unwrap();
    wait_text(
        &c,
        "[data-test=result-info]",
        "Count 10 · ScannedCount 10 · more",
    )
    .await;
    let first_sk = text(&c, "table[data-test=items] tbody tr td:nth-child(3)")
        .await
        .unwrap();
    assert_eq!(
        first_sk, "247",
        "descending from the largest sort key >= 100 in p2"
    );
    shots.take(&c, "query").await;
    find(&c, "#q-next").await.click().await.unwrap();
    wait_text(&c, "[data-test=result-info]", "Page 2 · Count 10").await;

    // The stream tail: records already there, then one arriving while the page is open.
    open(&c, &base, "#/t/books/stream", "stream").await;
    until("stream records", || async {
        let rows = c
            .find_all(Locator::Css("tr[data-test=stream-record]"))
            .await
            .ok()?;
        (!rows.is_empty()).then_some(())
    })
    .await;
    let (status, _) = api(
        &endpoint,
        "PutItem",
        json!({"TableName": "books", "Item": {"pk": {"S": "live"}, "sk": {"N": "1"}, "title": {"S": "Arrived"}}}),
    )
    .await;
    assert_eq!(status, 200);
    let newest = wait_text(&c, "tr[data-test=stream-record]", "Arrived").await;
    assert!(newest.contains("INSERT"), "{newest}");
    // The hostile items' records (their images) are on this page too.
    wait_text(&c, "main", hostile_name).await;
    nothing_injected(&c, "stream").await;
    shots.take(&c, "stream").await;

    // The clock.
    open(&c, &base, "#/clock", "Clock").await;
    type_into(&c, "#clock-seconds", "120").await;
    find(&c, "#clock-advance").await.click().await.unwrap();
    wait_text(&c, "[data-test=ok]", "Clock moved").await;
    shots.take(&c, "clock").await;

    // A snapshot of everything.
    open(&c, &base, "#/snapshots", "Snapshots").await;
    type_into(&c, "#snapshot-name", "after-console-test").await;
    find(&c, "#snapshot-take").await.click().await.unwrap();
    wait_text(&c, "main table", "after-console-test").await;
    shots.take(&c, "snapshots").await;

    // The tables page, with the counts.
    open(&c, &base, "#/", "Tables in").await;
    let row = wait_text(&c, "table[data-test=tables] tbody tr", "books").await;
    assert!(row.contains("251"), "250 items and the live one: {row}");
    shots.take(&c, "tables").await;

    shots.taken
}
