//! How fast the limits hold: the release binary serving the demo store with
//! `sparql.timeout_secs = 2` and `sparql.memory_budget_mib = 256`, sent
//! queries and updates that would run for ever or fill memory. For each:
//! when the 503 came, when its thread had stopped (`/health`), and the
//! process's peak resident memory meanwhile; then how long a SIGTERM takes
//! during a runaway query, and whether the store opens afterwards.
//!
//! `cargo bench --bench limits` (results in BENCHMARKS.md).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TIMEOUT_SECS: u64 = 2;

const RUNAWAYS: [(&str, &str, &str); 6] = [
    ("sorted cross product", "query", "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1"),
    ("three-way COUNT(*)", "query", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"),
    ("GROUP BY over a cross product", "query", "SELECT ?c (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f } GROUP BY ?c"),
    ("path closure joined", "query", "SELECT (COUNT(*) AS ?n) WHERE { ?a (<http://e/p>|!<http://e/p>)* ?b . ?c ?d ?e }"),
    ("VALUES cross product", "query", ""),
    (
        "update with a runaway WHERE",
        "update",
        "INSERT { <http://e/s> <http://e/p> ?n } WHERE { SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } }",
    ),
];

fn main() {
    let dir = std::env::temp_dir().join(format!("assetgraph-limits-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[alerts]\ninterval_secs = 0\n[sparql]\ntimeout_secs = {TIMEOUT_SECS}\nmemory_budget_mib = 256\n\
             [server]\nrequests_per_second = 0\n"
        ),
    )
    .unwrap();
    let data = dir.join("data");
    let values = {
        let list: Vec<String> = (0..3000).map(|n| n.to_string()).collect();
        format!(
            "SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {0} }} VALUES ?b {{ {0} }} VALUES ?c {{ {0} }} }}",
            list.join(" ")
        )
    };
    println!("limits: timeout {TIMEOUT_SECS} s, budget 256 MiB, the demo store (about 6,000 triples)");
    println!(
        "  {:<32} {:>8} {:>12} {:>9}  answer",
        "request", "503 at", "stopped at", "peak RSS"
    );
    for (name, kind, text) in RUNAWAYS {
        let text = if text.is_empty() { values.as_str() } else { text };
        let server = Server::start(&config, &data);
        let rss = server.watch_rss();
        let started = Instant::now();
        let answer = server.post(kind, text);
        let answered = started.elapsed();
        let stopped = server.wait_idle(Duration::from_secs(60)).map(|_| started.elapsed());
        let peak = rss.stop();
        let kind = answer
            .split("problems/")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("(not a problem)")
            .to_owned();
        println!(
            "  {name:<32} {:>7.2}s {:>11} {:>6} MiB  {} {kind}",
            answered.as_secs_f64(),
            stopped.map_or("never".into(), |d| format!("{:.2}s", d.as_secs_f64())),
            peak / 1024,
            &answer[9..12.min(answer.len())],
        );
    }

    let mut server = Server::start(&config, &data);
    let address = server.address.clone();
    let background = std::thread::spawn(move || {
        let _ = post(&address, "query", RUNAWAYS[1].2);
    });
    std::thread::sleep(Duration::from_millis(500));
    let signalled = Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    let status = server.child.wait().unwrap();
    let exit = signalled.elapsed();
    let _ = background.join();
    let reopened = Command::new(env!("CARGO_BIN_EXE_assetgraph"))
        .args(["query", "--data"])
        .arg(&data)
        .arg("ASK { ?s ?p ?o }")
        .output()
        .unwrap();
    println!(
        "  SIGTERM during a runaway COUNT(*): exited in {:.2}s ({status}); the store reopens: {}",
        exit.as_secs_f64(),
        reopened.status.success()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

struct Server {
    child: std::process::Child,
    address: String,
}

impl Server {
    fn start(config: &std::path::Path, data: &std::path::Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_assetgraph"))
            .arg("--config")
            .arg(config)
            .args([
                "--log-format",
                "json",
                "serve",
                "--demo",
                "--listen",
                "127.0.0.1:0",
                "--data",
            ])
            .arg(data)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let address = loop {
            let line = lines.next().expect("the server starts").unwrap();
            if let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) {
                if entry["fields"]["message"] == "assetgraph listening" {
                    break entry["fields"]["address"].as_str().unwrap().to_owned();
                }
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Server { child, address }
    }

    fn post(&self, kind: &str, text: &str) -> String {
        post(&self.address, kind, text)
    }

    /// Until `/health` says no query runs.
    fn wait_idle(&self, most: Duration) -> Option<()> {
        let started = Instant::now();
        while started.elapsed() < most {
            let health = get(&self.address, "/health");
            if health.contains("\"running\":0") {
                return Some(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    fn watch_rss(&self) -> Watch {
        let pid = self.child.id();
        let peak = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let (p, d) = (peak.clone(), done.clone());
        let thread = std::thread::spawn(move || {
            while !d.load(Ordering::Relaxed) {
                let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                if let Some(kib) = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                {
                    p.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Watch { peak, done, thread }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Watch {
    peak: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Watch {
    /// The peak resident memory seen, in KiB.
    fn stop(self) -> u64 {
        self.done.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.peak.load(Ordering::Relaxed)
    }
}

fn post(address: &str, kind: &str, text: &str) -> String {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair(kind, text)
        .finish();
    exchange(
        address,
        &format!(
            "POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

fn get(address: &str, path: &str) -> String {
    exchange(
        address,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
}

fn exchange(address: &str, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}
