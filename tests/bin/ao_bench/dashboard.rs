//! The dashboard's costs against a real daemon: how long a change takes to
//! reach a viewer's event stream, the board API with 200 sessions, and the
//! daemon's memory and CPU with 50 viewers connected.

use crate::sessions::{Bench, proc_usage};
use crate::{fmt, median};
use ao_core::state::{Store, Transition};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// An SSE viewer of `/api/board/stream`: yields each board's JSON text.
struct Viewer {
    reader: BufReader<TcpStream>,
}

impl Viewer {
    fn connect(port: u16) -> Viewer {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "GET /api/board/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        Viewer {
            reader: BufReader::new(s),
        }
    }

    /// The next board pushed.
    fn next_board(&mut self) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            if self.reader.read_line(&mut line).unwrap_or(0) == 0 {
                panic!("the stream ended");
            }
            // Chunked encoding: the data line is inside a chunk.
            if let Some(at) = line.find("data: ") {
                return line[at + 6..].trim().to_string();
            }
        }
    }
}

/// Writes a new reason on `id` (as any `ao` command would) and returns the
/// time until `viewer` gets a board showing it.
fn change_to_view(store: &mut Store, viewer: &mut Viewer, id: &str, n: usize) -> Duration {
    let reason = format!("bench change {n}");
    let t = Instant::now();
    store
        .transition(
            id,
            &Transition {
                reason: Some(reason.clone()),
                event: "bench.change".into(),
                ..Transition::default()
            },
        )
        .unwrap();
    while !viewer.next_board().contains(&reason) {}
    t.elapsed()
}

fn board_request(port: u16) -> (Duration, usize) {
    let t = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET /api/board HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut body = Vec::new();
    s.read_to_end(&mut body).unwrap();
    (t.elapsed(), body.len())
}

pub fn run(quick: bool) {
    let runs = if quick { 5 } else { 15 };
    println!("| dashboard | result |");
    println!("|---|---|");
    let bench = Bench::new();
    bench.fill(200, 20);
    let (mut daemon, port) = bench.start_daemon();

    let (_, size) = board_request(port);
    let times: Vec<Duration> = (0..runs * 4).map(|_| board_request(port).0).collect();
    println!(
        "| `GET /api/board`, 200 sessions (20 running) | {} ({} KiB) |",
        fmt(median(times)),
        size / 1024
    );

    let mut store = Store::open(&bench.data()).unwrap();
    let mut viewer = Viewer::connect(port);
    viewer.next_board();
    let latencies: Vec<Duration> = (0..runs)
        .map(|n| change_to_view(&mut store, &mut viewer, "web-1", n))
        .collect();
    println!(
        "| a change in the store → a viewer's stream has it (1 viewer) | {} median, {} max |",
        fmt(median(latencies.clone())),
        fmt(*latencies.iter().max().unwrap())
    );

    // 50 more viewers, each reading everything pushed on its own thread.
    let boards = Arc::new(AtomicU64::new(0));
    let mut viewers = Vec::new();
    for _ in 0..50 {
        let mut v = Viewer::connect(port);
        let boards = boards.clone();
        viewers.push(std::thread::spawn(move || {
            loop {
                let mut line = String::new();
                match v.reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line.contains("data: ") => {
                        boards.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_secs(1));
    let window = Duration::from_secs(if quick { 6 } else { 20 });
    let (ticks_before, _) = proc_usage(daemon.id());
    let pushed_before = boards.load(Ordering::Relaxed);
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut n = 1000;
    // One change a second, as a busy set of agents would make.
    while started.elapsed() < window {
        latencies.push(change_to_view(&mut store, &mut viewer, "web-2", n));
        n += 1;
        std::thread::sleep(Duration::from_secs(1));
    }
    let elapsed = started.elapsed();
    let (ticks_after, rss_kib) = proc_usage(daemon.id());
    let pushed = boards.load(Ordering::Relaxed) - pushed_before;
    let cpu = (ticks_after - ticks_before) as f64 / 100.0 / elapsed.as_secs_f64() * 100.0;
    println!(
        "| a change → a viewer's stream, 51 viewers connected | {} median, {} max |",
        fmt(median(latencies.clone())),
        fmt(*latencies.iter().max().unwrap())
    );
    println!(
        "| daemon with 51 viewers, 200 sessions, a change a second | {:.1} MiB RSS, {cpu:.1} % of one core ({pushed} boards pushed) |",
        rss_kib as f64 / 1024.0
    );
    bench.run(&["stop"]);
    let _ = daemon.wait();
    for v in viewers {
        let _ = v.join();
    }
}
