//! Simulated devices against one `guard serve` on loopback (a benchmark,
//! not run in CI; `bench/device-loop.sh` drives it and prints the table of
//! `docs/benchmarks.md`).
//!
//! - `longpoll`: N devices hold `Prefer: wait` long-polls of one bundle;
//!   the server's CPU and RSS are sampled while they are held; then one
//!   change, and when each device heard of it (p50, p99, max).
//! - `poll`: the baseline, N devices polling with a plain `If-None-Match`
//!   every `interval` seconds (spread evenly), on keep-alive connections;
//!   the same CPU and RSS samples, and the 304 round trips.
//! - `reports`: C connections posting report batches back to back for
//!   `secs` seconds: batches and reports per second, latency.
//!
//! Raw HTTP/1.1 on keep-alive connections: a load generator measures the
//! server, so it does the least it can itself. Loopback only.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

#[derive(Debug, Parser)]
struct Cli {
    /// The server (loopback).
    #[arg(long)]
    addr: SocketAddr,
    /// The server's process id, for its CPU time and RSS (`/proc`).
    #[arg(long)]
    pid: u32,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Devices holding long-polls, then one change.
    Longpoll {
        #[arg(long, default_value_t = 10_000)]
        devices: usize,
        #[arg(long)]
        path: String,
        #[arg(long, default_value_t = 25)]
        wait: u64,
        /// Seconds the held requests are sampled for.
        #[arg(long, default_value_t = 10)]
        hold: u64,
        /// The change: `METHOD PATH JSON`, with `--token`.
        #[arg(long)]
        change: String,
        #[arg(long)]
        token: String,
    },
    /// Devices polling with a plain If-None-Match (the baseline); an
    /// interval of 0 polls back to back.
    Poll {
        #[arg(long, default_value_t = 10_000)]
        devices: usize,
        #[arg(long)]
        path: String,
        #[arg(long, default_value_t = 25)]
        interval: u64,
        /// Seconds sampled (after one interval of warm-up).
        #[arg(long, default_value_t = 10)]
        hold: u64,
    },
    /// Report batches posted back to back.
    Reports {
        #[arg(long, default_value_t = 16)]
        conns: usize,
        #[arg(long)]
        path: String,
        #[arg(long, default_value_t = 10)]
        secs: u64,
        /// Reports per batch.
        #[arg(long, default_value_t = 10)]
        batch: usize,
        /// Apps reported for: `<prefix>1` … `<prefix>N`.
        #[arg(long, default_value = "mp")]
        app_prefix: String,
        #[arg(long, default_value_t = 20)]
        apps: usize,
    },
}

struct Reply {
    status: u16,
    etag: Option<String>,
}

/// One request on a keep-alive connection; reads the whole answer.
async fn roundtrip(s: &mut BufStream<TcpStream>, req: &[u8]) -> io::Result<Reply> {
    send(s, req).await?;
    read_reply(s).await
}

async fn send(s: &mut BufStream<TcpStream>, req: &[u8]) -> io::Result<()> {
    s.write_all(req).await?;
    s.flush().await
}

async fn read_reply(s: &mut BufStream<TcpStream>) -> io::Result<Reply> {
    let mut line = String::new();
    s.read_line(&mut line).await?;
    let status = line
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| io::Error::other(format!("bad status line `{line}`")))?;
    let (mut len, mut etag) = (0usize, None);
    loop {
        line.clear();
        if s.read_line(&mut line).await? == 0 {
            return Err(io::Error::other("closed"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            } else if k.eq_ignore_ascii_case("etag") {
                etag = Some(v.trim().to_owned());
            }
        }
    }
    let mut body = vec![0; len];
    s.read_exact(&mut body).await?;
    Ok(Reply { status, etag })
}

async fn connect(addr: SocketAddr) -> io::Result<BufStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    Ok(BufStream::with_capacity(2048, 512, tcp))
}

fn get(path: &str, etag: &str, wait: Option<u64>) -> Vec<u8> {
    let prefer = wait
        .map(|w| format!("Prefer: wait={w}\r\n"))
        .unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: bench\r\nIf-None-Match: {etag}\r\n{prefer}\r\n")
        .into_bytes()
}

/// The server's CPU seconds (user + system) and RSS in KiB, from `/proc`.
fn sample(pid: u32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the `(comm)`: state is field 3; utime 14, stime 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // USER_HZ is 100 on Linux.
    let cpu = (ticks(14) + ticks(15)) / 100.0;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (cpu, rss)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

async fn current_etag(addr: SocketAddr, path: &str) -> io::Result<String> {
    let mut s = connect(addr).await?;
    let r = roundtrip(&mut s, &get(path, "\"none\"", None)).await?;
    r.etag
        .ok_or_else(|| io::Error::other(format!("no ETag (status {})", r.status)))
}

/// Opens `n` connections, at most 256 connecting at once.
async fn open(addr: SocketAddr, n: usize) -> Vec<BufStream<TcpStream>> {
    let gate = Arc::new(Semaphore::new(256));
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            let _p = gate.acquire().await;
            connect(addr).await
        }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        match t.await {
            Ok(Ok(s)) => out.push(s),
            Ok(Err(e)) => eprintln!("connect: {e}"),
            Err(e) => eprintln!("task: {e}"),
        }
    }
    out
}

async fn longpoll(
    cli: &Cli,
    devices: usize,
    path: &str,
    wait: u64,
    hold: u64,
    change: &str,
    token: &str,
) {
    let etag = current_etag(cli.addr, path).await.expect("the bundle");
    let (cpu0, rss0) = sample(cli.pid);
    let conns = open(cli.addr, devices).await;
    let n = conns.len();
    let sent = Arc::new(AtomicUsize::new(0));
    let req = Arc::new(get(path, &etag, Some(wait)));
    let mut tasks = Vec::with_capacity(n);
    for mut s in conns {
        let (req, sent) = (req.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let r = match send(&mut s, &req).await {
                Ok(()) => {
                    sent.fetch_add(1, Ordering::SeqCst);
                    read_reply(&mut s).await
                }
                Err(e) => {
                    sent.fetch_add(1, Ordering::SeqCst);
                    Err(e)
                }
            };
            (r.map(|r| r.status), Instant::now())
        }));
    }
    while sent.load(Ordering::SeqCst) < n {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the server take them all in before sampling.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu1, rss1) = sample(cli.pid);
    let t1 = Instant::now();
    tokio::time::sleep(Duration::from_secs(hold)).await;
    let (cpu2, rss2) = sample(cli.pid);
    let held_cpu = (cpu2 - cpu1) / t1.elapsed().as_secs_f64();
    // The change.
    let mut parts = change.splitn(3, ' ');
    let (method, cpath, body) = (
        parts.next().unwrap_or("PUT"),
        parts.next().unwrap_or("/"),
        parts.next().unwrap_or("{}"),
    );
    let creq = format!(
        "{method} {cpath} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut cs = connect(cli.addr).await.expect("connect for the change");
    let sent_at = Instant::now();
    let cr = roundtrip(&mut cs, creq.as_bytes())
        .await
        .expect("the change");
    let acked = sent_at.elapsed();
    assert!(
        (200..300).contains(&cr.status),
        "the change answered {}",
        cr.status
    );
    let mut lat = Vec::with_capacity(n);
    let mut ok = 0;
    for t in tasks {
        if let Ok((Ok(status), at)) = t.await {
            ok += usize::from(status == 200);
            lat.push(at.saturating_duration_since(sent_at));
        }
    }
    let all = sent_at.elapsed();
    let (cpu3, rss3) = sample(cli.pid);
    lat.sort();
    println!(
        "longpoll devices={n} held_cpu_pct={:.2} rss_before_kib={rss0} rss_held_kib={rss2} rss_per_device_bytes={} \
         change_acked_ms={} woken_200={ok} p50_ms={} p99_ms={} max_ms={} all_ms={} wake_cpu_s={:.2} rss_after_kib={rss3} setup_cpu_s={:.2} rss_at_hold_start_kib={rss1}",
        held_cpu * 100.0,
        (rss2.saturating_sub(rss0) * 1024) / u64::try_from(n.max(1)).unwrap_or(1),
        ms(acked),
        ms(pct(&lat, 0.5)),
        ms(pct(&lat, 0.99)),
        ms(lat.last().copied().unwrap_or_default()),
        ms(all),
        cpu3 - cpu2,
        cpu1 - cpu0,
    );
}

async fn poll(cli: &Cli, devices: usize, path: &str, interval: u64, hold: u64) {
    let etag = current_etag(cli.addr, path).await.expect("the bundle");
    let (_, rss0) = sample(cli.pid);
    let conns = open(cli.addr, devices).await;
    let n = conns.len();
    let req = Arc::new(get(path, &etag, None));
    let start = Instant::now() + Duration::from_secs(1);
    let period = Duration::from_secs(interval);
    let stop = start + period + Duration::from_secs(hold) + Duration::from_secs(1);
    let mut tasks = Vec::with_capacity(n);
    for (i, mut s) in conns.into_iter().enumerate() {
        let req = req.clone();
        // Spread evenly over the interval, as devices' timers would be.
        let offset = period.mul_f64(i as f64 / n as f64);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut next = tokio::time::Instant::from_std(start + offset);
            // `now` too: with an interval of 0, `next` never advances.
            while next.into_std() < stop && Instant::now() < stop {
                tokio::time::sleep_until(next).await;
                let t = Instant::now();
                match roundtrip(&mut s, &req).await {
                    Ok(r) if r.status == 304 => lat.push((t, t.elapsed())),
                    Ok(r) => eprintln!("poll answered {}", r.status),
                    Err(e) => {
                        eprintln!("poll: {e}");
                        break;
                    }
                }
                next += period;
            }
            lat
        }));
    }
    // Warm-up: one whole interval, so every device polls at its pace.
    tokio::time::sleep_until(tokio::time::Instant::from_std(start + period)).await;
    let (cpu1, _) = sample(cli.pid);
    let t1 = Instant::now();
    tokio::time::sleep(Duration::from_secs(hold)).await;
    let (cpu2, rss2) = sample(cli.pid);
    let secs = t1.elapsed().as_secs_f64();
    let mut lat = Vec::new();
    for t in tasks {
        if let Ok(l) = t.await {
            lat.extend(l.into_iter().filter(|(at, _)| *at >= t1).map(|(_, d)| d));
        }
    }
    lat.sort();
    println!(
        "poll devices={n} interval_s={interval} polls_per_s={:.0} cpu_pct={:.2} rss_before_kib={rss0} rss_kib={rss2} rss_per_device_bytes={} p50_ms={} p99_ms={}",
        lat.len() as f64 / secs,
        (cpu2 - cpu1) / secs * 100.0,
        (rss2.saturating_sub(rss0) * 1024) / u64::try_from(n.max(1)).unwrap_or(1),
        ms(pct(&lat, 0.5)),
        ms(pct(&lat, 0.99)),
    );
}

fn batch_body(k: usize, batch: usize, prefix: &str, apps: usize) -> Vec<u8> {
    let reports: Vec<String> = (0..batch)
        .map(|i| {
            let app = (k + i) % apps + 1;
            let host = (k * 7 + i) % 50;
            format!(
                r#"{{"app":"{prefix}{app}","kind":"request","host":"h{host}.evil.example","code":"domain_not_whitelisted","mode":"enforce","policy_version":1,"count":3,"first_seen":1796000000,"last_seen":1796000042}}"#
            )
        })
        .collect();
    format!(r#"{{"reports":[{}],"dropped":0}}"#, reports.join(",")).into_bytes()
}

async fn reports(
    cli: &Cli,
    conns: usize,
    path: &str,
    secs: u64,
    batch: usize,
    prefix: &str,
    apps: usize,
) {
    let streams = open(cli.addr, conns).await;
    let (cpu0, _) = sample(cli.pid);
    let t0 = Instant::now();
    let stop = t0 + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for (c, mut s) in streams.into_iter().enumerate() {
        let (path, prefix) = (path.to_owned(), prefix.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut other = 0usize;
            let mut k = c * 1000;
            while Instant::now() < stop {
                let body = batch_body(k, batch, &prefix, apps);
                let mut req = format!(
                    "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                req.extend_from_slice(&body);
                let t = Instant::now();
                match roundtrip(&mut s, &req).await {
                    Ok(r) if r.status == 202 => lat.push(t.elapsed()),
                    Ok(_) => other += 1,
                    Err(e) => {
                        eprintln!("reports: {e}");
                        break;
                    }
                }
                k += 1;
            }
            (lat, other)
        }));
    }
    let mut lat = Vec::new();
    let mut other = 0;
    for t in tasks {
        if let Ok((l, o)) = t.await {
            lat.extend(l);
            other += o;
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let (cpu1, rss) = sample(cli.pid);
    lat.sort();
    println!(
        "reports conns={conns} batch={batch} batches_per_s={:.0} reports_per_s={:.0} not_202={other} p50_ms={} p99_ms={} cpu_pct={:.1} rss_kib={rss}",
        lat.len() as f64 / elapsed,
        (lat.len() * batch) as f64 / elapsed,
        ms(pct(&lat, 0.5)),
        ms(pct(&lat, 0.99)),
        (cpu1 - cpu0) / elapsed * 100.0,
    );
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    assert!(cli.addr.ip().is_loopback(), "loopback only");
    match &cli.mode {
        Mode::Longpoll {
            devices,
            path,
            wait,
            hold,
            change,
            token,
        } => {
            longpoll(&cli, *devices, path, *wait, *hold, change, token).await;
        }
        Mode::Poll {
            devices,
            path,
            interval,
            hold,
        } => poll(&cli, *devices, path, *interval, *hold).await,
        Mode::Reports {
            conns,
            path,
            secs,
            batch,
            app_prefix,
            apps,
        } => {
            reports(&cli, *conns, path, *secs, *batch, app_prefix, *apps).await;
        }
    }
}
