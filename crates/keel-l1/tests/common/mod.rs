//! Helpers shared by keel-l1's integration tests: fixture paths and a tiny HTTP server.
#![allow(dead_code, unreachable_pub)]

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

/// Path of a file under this crate's `testdata/`.
pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// Contents of a file under `testdata/`.
pub fn read(rel: &str) -> Vec<u8> {
    std::fs::read(testdata(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// One HTTP request as the handler sees it.
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub body: Vec<u8>,
}

/// Serves HTTP/1.1 on a free loopback port until the runtime ends; every response closes
/// its connection. The handler returns (status, JSON body).
pub async fn serve<F>(handler: F) -> SocketAddr
where
    F: Fn(Request) -> (u16, Vec<u8>) + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    serve_async(move |req| {
        let handler = Arc::clone(&handler);
        async move { handler(req) }
    })
    .await
}

/// [`serve`] with an async handler (e.g. a proxy that forwards some requests).
pub async fn serve_async<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = (u16, Vec<u8>)> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let Some(req) = read_request(&mut sock).await else {
                    return;
                };
                let (status, body) = handler(req).await;
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    addr
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let len = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        target,
        body: buf[head_end..head_end + len].to_vec(),
    })
}

/// Wraps a JSON-RPC result for the request in `body` (echoing its id).
pub fn rpc_result(body: &[u8], result: &str) -> Vec<u8> {
    let req: serde_json::Value = serde_json::from_slice(body).unwrap();
    format!(
        r#"{{"jsonrpc":"2.0","id":{},"result":{result}}}"#,
        req["id"]
    )
    .into_bytes()
}

/// The JSON-RPC method of a request body.
pub fn rpc_method(body: &[u8]) -> String {
    let req: serde_json::Value = serde_json::from_slice(body).unwrap();
    req["method"].as_str().unwrap_or_default().to_string()
}
