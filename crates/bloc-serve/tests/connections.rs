//! Issue 15, item 9: no single caller can make the service unreachable. Before, there were no
//! timeouts (400 stalled uploads stayed open for 45 s) and no connection limit (1,100 idle
//! connections made the service unreachable). These tests drive the real accept loop of
//! `bloc serve` with short limits over raw TCP.

mod common;

use common::Server;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn limits() -> bloc_serve::Limits {
    bloc_serve::Limits {
        header_timeout: Duration::from_millis(800),
        request_timeout: Duration::from_millis(800),
        max_connections: 1024,
        max_connections_per_ip: 8,
    }
}

fn start(l: bloc_serve::Limits) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bloc-serve.sqlite");
    Server::start_with(dir, db, l)
}

fn addr(srv: &Server) -> String {
    srv.base.trim_start_matches("http://").to_string()
}

/// Reads until the peer closes (or 10 s pass): what the server sent.
fn read_all(s: &mut TcpStream) -> String {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut out = vec![];
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn get_ok(srv: &Server) -> bool {
    let mut s = TcpStream::connect(addr(srv)).unwrap();
    s.write_all(b"GET /v1/methodology HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .unwrap();
    read_all(&mut s).starts_with("HTTP/1.1 200")
}

#[test]
fn a_stalled_upload_gets_408_and_is_closed() {
    let srv = start(limits());
    let jpn = srv.token("reporter", Some("JPN"), "JPN-METI");
    let mut s = TcpStream::connect(addr(&srv)).unwrap();
    // Headers promise 1,000 bytes; 10 are sent, then nothing.
    write!(s, "POST /v1/reports HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {jpn}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{{\"commodi")
        .unwrap();
    let t = Instant::now();
    let got = read_all(&mut s);
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains("\"error\":\"request_timeout\""), "{got}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn headers_that_never_end_and_idle_keep_alive_connections_are_closed() {
    let srv = start(limits());
    // Half a request line, then silence.
    let mut half = TcpStream::connect(addr(&srv)).unwrap();
    half.write_all(b"GET /v1/metho").unwrap();
    // A kept-alive connection that answered one request and then sits idle.
    let mut idle = TcpStream::connect(addr(&srv)).unwrap();
    idle.write_all(b"GET /v1/methodology HTTP/1.1\r\nhost: x\r\n\r\n")
        .unwrap();
    let t = Instant::now();
    let got = read_all(&mut half);
    assert!(!got.contains("200 OK"), "{got}");
    let got = read_all(&mut idle);
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    // read_all returned: the server closed both, well before the 10 s read timeout.
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn idle_connections_over_the_limit_get_503_and_others_still_get_in() {
    let srv = start(bloc_serve::Limits {
        header_timeout: Duration::from_secs(3),
        ..limits()
    });
    // Fill one address's quota with idle connections.
    let held: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(addr(&srv)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut over = TcpStream::connect(addr(&srv)).unwrap();
    let _ = over.write_all(b"GET /v1/methodology HTTP/1.1\r\nhost: x\r\n\r\n");
    let got = read_all(&mut over);
    assert!(got.starts_with("HTTP/1.1 503"), "{got}");
    assert!(got.contains("\"error\":\"unavailable\""), "{got}");
    assert!(got.contains("retry-after: 1"), "{got}");
    // The idle ones time out and are closed; then the service answers again.
    std::thread::sleep(Duration::from_millis(3500));
    assert!(
        get_ok(&srv),
        "the service stayed unreachable after the idle timeout"
    );
    drop(held);
}

#[test]
fn the_defaults_are_finite_and_documented() {
    let l = bloc_serve::Limits::default();
    assert_eq!(l.header_timeout, Duration::from_secs(10));
    assert_eq!(l.request_timeout, Duration::from_secs(30));
    assert!(l.max_connections_per_ip < l.max_connections);
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    for s in ["10 s", "30 s", "1,024", "128"] {
        assert!(
            readme.contains(s),
            "the README's service limits do not say {s}"
        );
    }
}
