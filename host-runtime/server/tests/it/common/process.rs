//! Real `guard-server` processes for tests that need more than one server
//! (or a real listener): started on port 0, their stderr log collected
//! line by line so a test can await what a server says it did, killed on
//! drop. Raw HTTP/1.1 over loopback, one request per connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// A running server.
pub struct Server {
    pub child: Child,
    pub addr: String,
    /// The bootstrap admin token, printed on the first start only.
    pub token: Option<String>,
    log: Receiver<String>,
}

/// How a server is started: a PostgreSQL URL (else SQLite in `data`), the
/// KEK (base64), `RUST_LOG`, and extra arguments.
pub struct Spawn<'a> {
    pub pg: Option<&'a str>,
    pub data: &'a std::path::Path,
    pub kek: &'a str,
    pub log: &'a str,
    pub args: &'a [&'a str],
}

fn command(s: &Spawn<'_>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_guard-server"));
    cmd.args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(s.data)
        .args(s.args)
        .env("GUARD_KEK", s.kek)
        .env("RUST_LOG", s.log)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match s.pg {
        Some(url) => cmd.env("GUARD_DATABASE_URL", url),
        None => cmd.env_remove("GUARD_DATABASE_URL"),
    };
    cmd
}

/// Starts one server per spec, all spawned before any is waited for (so
/// they start together), and returns them once each listens.
pub fn start_together(specs: &[Spawn<'_>]) -> Vec<Server> {
    let children: Vec<Child> = specs.iter().map(|s| command(s).spawn().unwrap()).collect();
    children.into_iter().map(listening).collect()
}

/// Starts one server.
pub fn start(spec: Spawn<'_>) -> Server {
    start_together(&[spec]).pop().unwrap()
}

fn listening(mut child: Child) -> Server {
    let (tx, log) = channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut token = None;
    loop {
        let Some(line) = lines.next() else {
            let log: Vec<String> = log.try_iter().collect();
            panic!("server exited before listening: {log:?}");
        };
        let line = line.unwrap();
        if let Some(t) = line.strip_prefix("bootstrap admin token (shown once): ") {
            token = Some(t.to_owned());
        }
        if let Some(addr) = line.strip_prefix("listening on ") {
            return Server {
                child,
                addr: addr.to_owned(),
                token,
                log,
            };
        }
    }
}

impl Server {
    /// Waits (at most `within`) for a log line containing `needle`; lines
    /// before it are consumed.
    pub fn await_log(&self, needle: &str, within: Duration) {
        let end = Instant::now() + within;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return,
                Ok(_) => {}
                Err(e) => panic!("no log line with `{needle}` within {within:?}: {e}"),
            }
        }
    }

    /// Forgets the log so far.
    pub fn drain_log(&self) {
        while self.log.try_recv().is_ok() {}
    }

    /// `method path` with these headers (and a JSON body).
    pub fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        http(&self.addr, method, path, headers, body).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// One request on its own connection (`Connection: close`), read to the end.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Reply> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let body = body.unwrap_or("");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.get(9..12))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad response `{text}`")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Reply {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// A random KEK, base64.
pub fn kek() -> String {
    use base64::Engine as _;
    let mut k = [0u8; 32];
    getrandom::getrandom(&mut k).unwrap();
    base64::engine::general_purpose::STANDARD.encode(k)
}

/// Runs a future to completion on a runtime of its own (the process tests
/// are synchronous: they drive servers over blocking sockets).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
