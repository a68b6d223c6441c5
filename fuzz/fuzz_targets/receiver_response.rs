//! Receivers' responses: a loopback receiver answers with the fuzzer's bytes (status line, headers, body,
//! or garbage) and hookd's sender makes of it a reply within its timeout, with an excerpt no longer than
//! its limit and an error whenever there is no status.
#![no_main]

use std::{
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

use hookd::{
    config::DeliveryConfig,
    delivery::{formats::Rendered, sender::Sender, ssrf::Guard},
    domain::ExtraHeaders,
};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const EXCERPT: usize = 256;

struct Receiver {
    runtime: tokio::runtime::Runtime,
    url: String,
    sender: Sender,
    answer: &'static Mutex<Vec<u8>>,
}

fn receiver() -> &'static Receiver {
    static RECEIVER: OnceLock<Receiver> = OnceLock::new();
    static ANSWER: Mutex<Vec<u8>> = Mutex::new(Vec::new());
    RECEIVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("address"));
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let answer = ANSWER.lock().expect("lock").clone();
                tokio::spawn(async move {
                    // The request's head ends with an empty line; its body is not needed.
                    let mut stream = BufReader::new(stream);
                    let mut line = String::new();
                    loop {
                        line.clear();
                        match stream.read_line(&mut line).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) if line == "\r\n" => break,
                            Ok(_) => {}
                        }
                    }
                    let _ = stream.write_all(&answer).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        let config = DeliveryConfig {
            timeout_ms: 300,
            response_excerpt_bytes: EXCERPT,
            ..DeliveryConfig::default()
        };
        let guard = Guard::new(vec!["127.0.0.0/8".parse().expect("cidr")]);
        let sender = Sender::new(&config, guard, None).expect("sender");
        Receiver {
            runtime,
            url,
            sender,
            answer: &ANSWER,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let r = receiver();
    *r.answer.lock().expect("lock") = data.to_vec();
    let rendered = Rendered {
        body: b"{}".to_vec(),
        headers: vec![("content-type", "application/json".to_owned())],
    };
    let started = Instant::now();
    let reply = r.runtime.block_on(r.sender.send_url(
        &r.url,
        "dlv_fuzz",
        &rendered,
        &ExtraHeaders::default(),
        None,
    ));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "an attempt outlived its timeout"
    );
    assert!(
        reply.excerpt.as_ref().map_or(0, |e| e.len()) <= EXCERPT * 3,
        "excerpt beyond its limit"
    );
    if reply.status.is_none() {
        assert!(reply.error.is_some(), "no status and no error");
    }
});
