//! The metrics HTTP endpoint on its own address (op-node's `--metrics.addr`,
//! `--metrics.port`). Like op-node's Prometheus handler it answers every path with the
//! exposition, so `/metrics` works as scrapers expect.

use std::{convert::Infallible, net::SocketAddr, sync::Arc, time::Duration};

use http_body_util::Full;
use hyper::{
    Method, Request, Response, StatusCode,
    body::{Bytes, Incoming},
    server::conn::http1,
    service::service_fn,
};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    net::TcpListener,
    sync::{Semaphore, oneshot},
    task::JoinHandle,
};

use super::Metrics;

/// Most scrapes served at once; further connections are closed unanswered.
pub const MAX_METRICS_CONNECTIONS: usize = 16;
/// A client must send its request headers within this time (slow clients hold a slot).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Why the metrics server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsServerError {
    /// Binding the listening socket failed.
    #[error("cannot listen for metrics on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// A running metrics endpoint.
#[derive(Debug)]
pub struct MetricsServer {
    local_addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

fn respond(metrics: &Metrics, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match *req.method() {
        Method::GET | Method::HEAD => (StatusCode::OK, CONTENT_TYPE, metrics.encode()),
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "only GET\n".to_owned(),
        ),
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    resp
}

impl MetricsServer {
    /// Serves `metrics` on `addr` (port 0 picks a free port). Must be called inside a tokio
    /// runtime.
    pub async fn start(addr: SocketAddr, metrics: Metrics) -> Result<Self, MetricsServerError> {
        let bind = |source| MetricsServerError::Bind { addr, source };
        let listener = TcpListener::bind(addr).await.map_err(bind)?;
        let local_addr = listener.local_addr().map_err(bind)?;
        let (shutdown, mut stop) = oneshot::channel();
        let slots = Arc::new(Semaphore::new(MAX_METRICS_CONNECTIONS));
        let task = tokio::spawn(async move {
            loop {
                let stream = tokio::select! {
                    _ = &mut stop => break,
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => stream,
                        // Per-connection failures (reset before accept, fd pressure): the
                        // listener itself stays usable.
                        Err(_) => continue,
                    },
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    continue; // over the bound: drop the connection
                };
                let metrics = metrics.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let resp = respond(&metrics, &req);
                        async move { Ok::<_, Infallible>(resp) }
                    });
                    // A client that hangs up mid-request is its own problem.
                    let _ = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(HEADER_READ_TIMEOUT)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                    drop(slot);
                });
            }
        });
        Ok(Self {
            local_addr,
            shutdown,
            task,
        })
    }

    /// The bound address.
    pub const fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL of the metrics endpoint (`http://addr/metrics`).
    pub fn url(&self) -> String {
        format!("http://{}/metrics", self.local_addr)
    }

    /// Stops accepting connections and waits for the accept loop to end (scrapes in
    /// flight finish on their own).
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.task.await;
    }
}
