//! B9: the emulator's own throughput on loopback.

use std::time::Instant;

use super::*;

/// B9: emulator throughput on loopback with limiter and latency off. The load comes from a
/// minimal keep-alive HTTP/1.1 client (prebuilt signed requests), so the figure is the server's.
pub fn run(_: &Work, s: &Sizes, rt: &tokio::runtime::Runtime) -> Vec<Figure> {
    vec![throughput(s, rt)]
}

fn throughput(s: &Sizes, rt: &tokio::runtime::Runtime) -> Figure {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let serve = Serve::spawn(&["--rate-limit", "0"], &[]);
    let addr = serve.url.trim_start_matches("http://").to_owned();
    let sig =
        timx::usersig::generate(SDKAPPID, &timx::usersig::SecretKey::new(KEY), ADMIN, timx::clock::unix_now(), 86_400);
    let body = r#"{"To_Account":["u0000001"]}"#;
    let request = format!(
        "POST /v4/timpush/get_tag?sdkappid={SDKAPPID}&identifier={ADMIN}&usersig={sig}&random=7&contenttype=json HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let connections = 32;
    let per = (s.b9_calls / connections).max(1);
    let per_sec = rt.block_on(async {
        let t = Instant::now();
        let tasks: Vec<_> = (0..connections)
            .map(|_| {
                let (addr, request) = (addr.clone(), request.clone());
                tokio::spawn(async move {
                    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    let mut buf = vec![0u8; 64 * 1024];
                    for _ in 0..per {
                        stream.write_all(request.as_bytes()).await.unwrap();
                        // One response: headers, then Content-Length bytes of body.
                        let mut have = 0;
                        loop {
                            let n = stream.read(&mut buf[have..]).await.unwrap();
                            assert!(n > 0, "the server closed the connection");
                            have += n;
                            let text = &buf[..have];
                            if let Some(end) = text.windows(4).position(|w| w == b"\r\n\r\n") {
                                let head = String::from_utf8_lossy(&text[..end]).to_ascii_lowercase();
                                let len: usize = head
                                    .lines()
                                    .find_map(|l| {
                                        l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0))
                                    })
                                    .unwrap_or(0);
                                if have >= end + 4 + len {
                                    assert!(text.starts_with(b"HTTP/1.1 200"));
                                    break;
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        (per * connections) as f64 / t.elapsed().as_secs_f64()
    });
    // Every call was a real, accepted, signed call (timpush answers 70107 for the unknown account
    // inside an OK answer, so the OK count must cover them all).
    let stats = stats(&serve, rt);
    let ok = count_code(&stats, 0) == (per * connections) as u64;
    fig(
        "B9",
        "emulator calls/s on loopback (limiter, latency off)",
        per_sec,
        "calls/s",
        "≥ 20000 calls/s",
        Some(ok && (per_sec >= 20_000.0 || s.quick)),
    )
}
