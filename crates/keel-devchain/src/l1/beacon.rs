//! A beacon-API-compatible HTTP endpoint over the L1 dev chain, on loopback, serving what
//! an OP node reads from a beacon node: `/eth/v1/beacon/genesis`, `/eth/v1/config/spec`,
//! `/eth/v1/beacon/blob_sidecars/{block_id}` (`?indices=`) and `/eth/v1/beacon/blobs/{block_id}`
//! (`?versioned_hashes=`).
//!
//! Slot = (block timestamp − genesis time) / block time. `{block_id}` is a slot number, or
//! `head`, `genesis` or `finalized`. A slot without a block answers 404, as a beacon node
//! does for a missed slot; so do blobs no longer kept.
//!
//! There is no beacon chain behind this: each sidecar's `signed_block_header` carries the
//! slot, the execution block's parent beacon root (its parent's hash, see
//! [`L1Chain::build_block`]) as `parent_root`, its state root and, as `body_root`, its own
//! hash; the signature and the commitment inclusion proof are zeros. Blobs, commitments and
//! proofs are the real ones, so KZG verification works.

use std::{convert::Infallible, net::SocketAddr, sync::Arc};

use alloy_eips::eip4844::{BlobTransactionSidecar, kzg_to_versioned_hash};
use alloy_primitives::B256;
use http_body_util::Full;
use hyper::{
    Method, Request, Response, StatusCode,
    body::{Bytes as HttpBytes, Incoming},
    header::CONTENT_TYPE,
    service::service_fn,
};
use hyper_util::rt::TokioIo;
use parking_lot::RwLock;
use serde_json::{Value, json};
use tokio::{net::TcpListener, task::JoinHandle};

use super::chain::{L1Block, L1Chain};

/// The L1 chain as the beacon endpoint and the driver share it.
pub type SharedL1Chain = Arc<RwLock<L1Chain>>;

/// Depth of the (zero) KZG commitment inclusion proof in a Deneb/Electra sidecar.
const INCLUSION_PROOF_DEPTH: usize = 17;

/// Most values read from an `indices` / `versioned_hashes` query: more than a block can
/// have blobs, so a longer list is refused rather than parsed.
const MAX_QUERY_ITEMS: usize = 64;

/// A running beacon endpoint. Dropping it stops the server.
#[derive(Debug)]
pub struct BeaconServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl BeaconServer {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL (`http://addr`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for BeaconServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `addr` (use `127.0.0.1:0` for any free port) and serves the beacon API for `chain`.
pub async fn serve(chain: SharedL1Chain, addr: SocketAddr) -> std::io::Result<BeaconServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let chain = Arc::clone(&chain);
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let chain = Arc::clone(&chain);
                    async move { Ok::<_, Infallible>(handle(&chain, &req)) }
                });
                // A client that hangs up mid-request is its own problem.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(BeaconServer { addr, task })
}

/// Answers one request (pure over the chain, for tests without sockets).
pub fn handle(chain: &RwLock<L1Chain>, req: &Request<Incoming>) -> Response<Full<HttpBytes>> {
    if req.method() != Method::GET {
        return error(StatusCode::METHOD_NOT_ALLOWED, "only GET is served");
    }
    route(&chain.read(), req.uri().path(), req.uri().query())
}

/// Routes a GET of `path?query`.
pub fn route(chain: &L1Chain, path: &str, query: Option<&str>) -> Response<Full<HttpBytes>> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["eth", "v1", "beacon", "genesis"] => ok(json!({
            "genesis_time": chain.genesis_time().to_string(),
            "genesis_validators_root": B256::ZERO,
            "genesis_fork_version": "0x00000000",
        })),
        ["eth", "v1", "config", "spec"] => ok(json!({
            "SECONDS_PER_SLOT": chain.config().block_time.to_string(),
            "DEPOSIT_CHAIN_ID": chain.chain_id().to_string(),
        })),
        ["eth", "v1", "beacon", "blob_sidecars", id] => {
            let indices = match parse_list(query, "indices", |s| s.parse::<u64>().ok()) {
                Ok(v) => v,
                Err(e) => return error(StatusCode::BAD_REQUEST, &e),
            };
            with_blobs(chain, id, |block, blobs| {
                let header = signed_header(chain, block);
                let list: Vec<Value> = blobs
                    .into_iter()
                    .filter(|b| indices.as_ref().is_none_or(|i| i.contains(&b.index)))
                    .map(|b| {
                        json!({
                            "index": b.index.to_string(),
                            "blob": b.blob,
                            "kzg_commitment": b.commitment,
                            "kzg_proof": b.proof,
                            "signed_block_header": header,
                            "kzg_commitment_inclusion_proof": vec![B256::ZERO; INCLUSION_PROOF_DEPTH],
                        })
                    })
                    .collect();
                ok(Value::Array(list))
            })
        }
        ["eth", "v1", "beacon", "blobs", id] => {
            let wanted = match parse_list(query, "versioned_hashes", |s| s.parse::<B256>().ok()) {
                Ok(v) => v,
                Err(e) => return error(StatusCode::BAD_REQUEST, &e),
            };
            with_blobs(chain, id, |_, blobs| {
                let list: Vec<Value> = blobs
                    .into_iter()
                    .filter(|b| {
                        wanted
                            .as_ref()
                            .is_none_or(|w| w.contains(&b.versioned_hash))
                    })
                    .map(|b| json!(b.blob))
                    .collect();
                ok(Value::Array(list))
            })
        }
        _ => error(StatusCode::NOT_FOUND, "unknown endpoint"),
    }
}

/// One blob of a block, with its block-wide index.
struct IndexedBlob {
    index: u64,
    blob: alloy_primitives::Bytes,
    commitment: alloy_primitives::Bytes,
    proof: alloy_primitives::Bytes,
    versioned_hash: B256,
}

fn flatten(sidecars: &[(B256, BlobTransactionSidecar)]) -> Vec<IndexedBlob> {
    sidecars
        .iter()
        .flat_map(|(_, s)| {
            s.blobs
                .iter()
                .zip(&s.commitments)
                .zip(&s.proofs)
                .map(|((blob, c), p)| (blob, c, p))
        })
        .enumerate()
        .map(|(i, (blob, c, p))| IndexedBlob {
            index: i as u64,
            blob: alloy_primitives::Bytes::copy_from_slice(blob.as_slice()),
            commitment: alloy_primitives::Bytes::copy_from_slice(c.as_slice()),
            proof: alloy_primitives::Bytes::copy_from_slice(p.as_slice()),
            versioned_hash: kzg_to_versioned_hash(c.as_slice()),
        })
        .collect()
}

fn with_blobs(
    chain: &L1Chain,
    id: &str,
    f: impl FnOnce(&L1Block, Vec<IndexedBlob>) -> Response<Full<HttpBytes>>,
) -> Response<Full<HttpBytes>> {
    let block = match id {
        "head" => Some(chain.head()),
        "genesis" => Some(chain.genesis()),
        "finalized" => Some(chain.finalized()),
        slot => match slot.parse::<u64>() {
            Ok(s) => chain.block_at_slot(s),
            Err(_) => return error(StatusCode::BAD_REQUEST, "invalid block id"),
        },
    };
    let Some(block) = block else {
        return error(StatusCode::NOT_FOUND, "no block at this slot");
    };
    let Some(sidecars) = chain.blob_sidecars(block.number()) else {
        return error(
            StatusCode::NOT_FOUND,
            "blobs of this block are no longer kept",
        );
    };
    f(block, flatten(&sidecars))
}

/// The stand-in beacon block header of `block` (see the module docs).
fn signed_header(chain: &L1Chain, block: &L1Block) -> Value {
    let h = &block.header;
    json!({
        "message": {
            "slot": chain.slot_of(h.timestamp).unwrap_or_default().to_string(),
            "proposer_index": "0",
            "parent_root": h.parent_beacon_block_root.unwrap_or_default(),
            "state_root": h.state_root,
            "body_root": block.hash(),
        },
        "signature": alloy_primitives::Bytes::from(vec![0u8; 96]),
    })
}

/// Parses `key=a,b,c` (also repeated `key=a&key=b`) from a query string; `None` when the
/// key is absent (no filter).
fn parse_list<T>(
    query: Option<&str>,
    key: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<Vec<T>>, String> {
    let Some(query) = query else {
        return Ok(None);
    };
    let mut out: Option<Vec<T>> = None;
    for pair in query.split('&') {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        if k != key {
            continue;
        }
        let list = out.get_or_insert_with(Vec::new);
        // Clients percent-encode the commas.
        for item in v
            .split([','])
            .flat_map(|s| s.split("%2C"))
            .flat_map(|s| s.split("%2c"))
        {
            if item.is_empty() {
                continue;
            }
            if list.len() >= MAX_QUERY_ITEMS {
                return Err(format!("more than {MAX_QUERY_ITEMS} {key}"));
            }
            list.push(parse(item).ok_or_else(|| format!("invalid {key} value {item:?}"))?);
        }
    }
    Ok(out)
}

fn ok(data: Value) -> Response<Full<HttpBytes>> {
    respond(
        StatusCode::OK,
        &json!({ "execution_optimistic": false, "finalized": false, "data": data }),
    )
}

fn error(status: StatusCode, message: &str) -> Response<Full<HttpBytes>> {
    respond(
        status,
        &json!({ "code": status.as_u16(), "message": message }),
    )
}

fn respond(status: StatusCode, body: &Value) -> Response<Full<HttpBytes>> {
    let mut resp = Response::new(Full::new(HttpBytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}
