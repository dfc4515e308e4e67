//! A PostgreSQL server for the tests, started from the machine's own binaries (`initdb` and
//! `postgres`, Debian's `postgresql` package) on a temporary directory and a free port, once
//! per test run; each test gets a database of its own. The server goes when the tests end: it
//! is told to stop (SIGQUIT) the moment the process that started it dies, however it dies.
//!
//! Without the binaries the tests that need them fail, saying what to install.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct Server {
    port: u16,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// A new, empty database on the tests' server, as a `postgres://` URL.
pub async fn fresh_database() -> String {
    let server = match SERVER.get_or_init(start) {
        Ok(server) => server,
        Err(reason) => panic!("{reason}"),
    };
    let name = format!(
        "t{}_{}",
        std::process::id(),
        DATABASES.fetch_add(1, Ordering::SeqCst)
    );
    let admin = format!("postgres://releasebot@127.0.0.1:{}/postgres", server.port);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        // The server may still be starting up ("the database system is starting up").
        match tokio_postgres::connect(&admin, tokio_postgres::NoTls).await {
            Ok((client, connection)) => {
                tokio::spawn(connection);
                client
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("the test database is created");
                break;
            }
            Err(error) if Instant::now() < deadline => {
                let _ = error;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("the tests' PostgreSQL does not answer: {error}"),
        }
    }
    format!(
        "postgres://releasebot:unused@127.0.0.1:{}/{name}",
        server.port
    )
}

/// The directory of `initdb` and `postgres`: the newest Debian version, else the PATH.
fn binaries() -> Result<PathBuf, String> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
        .ok_or_else(|| {
            "PostgreSQL's server binaries (initdb, postgres) are not on this machine, and the \
             queue's PostgreSQL tests need them: install the distribution's package \
             (Debian: apt-get install postgresql); .ci/run does this when they are missing"
                .to_string()
        })
}

/// PostgreSQL will not run as root: as root, the tests run it as the `postgres` user the
/// package creates (or `nobody`).
fn run_as() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for name in ["postgres", "nobody"] {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() > 3 && fields[0] == name {
                if let (Ok(uid), Ok(gid)) = (fields[2].parse(), fields[3].parse()) {
                    return Some((uid, gid));
                }
            }
        }
    }
    None
}

fn command(bin: &Path, program: &str, user: Option<(u32, u32)>) -> Command {
    let mut command = Command::new(bin.join(program));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            if let Some((uid, gid)) = user {
                if libc::setgid(gid) != 0 || libc::setuid(uid) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            // After the change of user, which would clear it: stop when the tests' process
            // (the thread that started us, which lives as long as it does) ends.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

/// `target/tmp/postgres-<pid>`, after removing those of earlier runs whose process is gone (the
/// server cannot remove its own: it outlives every destructor).
fn data_directory() -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("postgres-")) else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = root.join(format!("postgres-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

fn start() -> Result<Server, String> {
    let bin = binaries()?;
    let user = run_as();
    let dir = data_directory()?;
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
    }
    let data = dir.join("data");
    let initdb = command(&bin, "initdb", user)
        .args([
            "-A",
            "trust",
            "-U",
            "releasebot",
            "-E",
            "UTF8",
            "--no-sync",
            "-D",
        ])
        .arg(&data)
        .output()
        .map_err(|e| format!("initdb cannot run: {e}"))?;
    if !initdb.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr)
        ));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    // Started from a thread that never ends, so the death signal comes only with the process.
    let (started, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let child = command(&bin, "postgres", user)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "unix_socket_directories="])
            .args(["-c", "max_connections=400"])
            // What is tested is releasebot's use of the database, not the disk under it.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off"])
            .stderr(Stdio::null())
            .spawn();
        let _ = started.send(child.map(|_| ()).map_err(|e| e.to_string()));
        loop {
            std::thread::park();
        }
    });
    result
        .recv()
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("postgres cannot start: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!(
                "postgres did not listen on port {port} within 30 s"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Server { port })
}
