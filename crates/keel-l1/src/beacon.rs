//! The beacon API blob client: genesis and spec look-ups, slot from timestamp, and blobs by
//! `/eth/v1/beacon/blobs/{slot}` or `/eth/v1/beacon/blob_sidecars/{slot}`, each blob
//! verified against the versioned hash its L1 transaction committed to.

use std::{collections::HashMap, sync::Arc};

use alloy_eips::eip4844::IndexedBlobHash;
use alloy_primitives::{B256, Bytes, FixedBytes};
use keel_protocol::blob::BLOB_SIZE;
use serde::{Deserialize, de::DeserializeOwned};
use tokio::sync::OnceCell;
use url::Url;

use crate::{
    cache::Cache,
    config::{BeaconConfig, BlobEndpoint},
    error::L1Error,
    kzg,
    retry::with_retry,
};

/// Largest beacon response read, in bytes. A blob is 256 KiB as hex; 128 blobs (far above
/// any fork's per-block maximum, Fulu's schedule included) with their proofs fit.
pub const MAX_BEACON_RESPONSE: usize = 40 * 1024 * 1024;

/// The beacon chain's clock: genesis time and slot length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotClock {
    /// Beacon genesis time (unix seconds).
    pub genesis_time: u64,
    /// `SECONDS_PER_SLOT` from the beacon spec.
    pub seconds_per_slot: u64,
}

impl SlotClock {
    /// The slot of the block with L1 timestamp `timestamp`: `(timestamp - genesis) /
    /// seconds_per_slot`. An execution block's timestamp is its slot's start, so anything
    /// before genesis or off a slot boundary is a misconfiguration (wrong beacon node for
    /// this L1), reported rather than rounded.
    pub fn slot(&self, timestamp: u64) -> Result<u64, L1Error> {
        let err = || L1Error::BadSlotTime {
            timestamp,
            genesis_time: self.genesis_time,
            seconds_per_slot: self.seconds_per_slot,
        };
        let since = timestamp.checked_sub(self.genesis_time).ok_or_else(err)?;
        if self.seconds_per_slot == 0 || since % self.seconds_per_slot != 0 {
            return Err(err());
        }
        Ok(since / self.seconds_per_slot)
    }
}

/// The beacon API client (op-node's `L1BeaconClient` with its fallback sources).
///
/// Cheap to clone: clones share the HTTP pool, the genesis look-up and the blob cache.
#[derive(Clone, Debug)]
pub struct BeaconClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    urls: Vec<Url>,
    config: BeaconConfig,
    clock: OnceCell<SlotClock>,
    blobs: Cache<B256, Bytes>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BeaconClient")
            .field("urls", &self.urls.iter().map(redact).collect::<Vec<_>>())
            .field("clock", &self.clock.get())
            .finish_non_exhaustive()
    }
}

/// The URL without user info or query, for logs and errors.
fn redact(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.to_string()
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct Genesis {
    #[serde(with = "quoted")]
    genesis_time: u64,
}

#[derive(Deserialize)]
struct Spec {
    #[serde(rename = "SECONDS_PER_SLOT", with = "quoted")]
    seconds_per_slot: u64,
}

/// One element of `/eth/v1/beacon/blob_sidecars` (fields not used here are ignored).
#[derive(Deserialize)]
pub(crate) struct Sidecar {
    #[serde(with = "quoted")]
    pub(crate) index: u64,
    pub(crate) blob: Bytes,
    pub(crate) kzg_commitment: FixedBytes<48>,
    pub(crate) kzg_proof: FixedBytes<48>,
}

/// The beacon API quotes its integers.
mod quoted {
    use serde::{Deserialize, Deserializer, de::Error};

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(D::Error::custom)
    }
}

impl BeaconClient {
    /// A client over the configured sources, tried in order.
    pub fn new(config: BeaconConfig) -> Result<Self, L1Error> {
        if config.urls.is_empty() {
            return Err(L1Error::Config("no beacon API URL".into()));
        }
        let urls = config
            .urls
            .iter()
            .map(|u| Url::parse(u).map_err(|e| L1Error::Config(format!("beacon URL: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .build()
            .map_err(|e| L1Error::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                urls,
                blobs: Cache::new(config.blob_cache_size),
                config,
                clock: OnceCell::new(),
            }),
        })
    }

    /// Genesis time and slot length (unless configured), asked of the sources in order
    /// once and remembered.
    pub async fn slot_clock(&self) -> Result<SlotClock, L1Error> {
        self.inner
            .clock
            .get_or_try_init(|| async {
                let mut last = None;
                for base in &self.inner.urls {
                    match self.fetch_clock(base).await {
                        Ok(c) => return Ok(c),
                        Err(e) => last = Some(e),
                    }
                }
                Err(last.unwrap_or_else(|| L1Error::Config("no beacon API URL".into())))
            })
            .await
            .copied()
    }

    async fn fetch_clock(&self, base: &Url) -> Result<SlotClock, L1Error> {
        let genesis: Data<Genesis> = self.get_json(base, "eth/v1/beacon/genesis", None).await?;
        let seconds_per_slot = match self.inner.config.seconds_per_slot {
            Some(s) => s,
            None => {
                let spec: Data<Spec> = self.get_json(base, "eth/v1/config/spec", None).await?;
                spec.data.seconds_per_slot
            }
        };
        Ok(SlotClock {
            genesis_time: genesis.data.genesis_time,
            seconds_per_slot,
        })
    }

    /// The blobs committed to by `hashes`, in the same order, for the L1 block with
    /// timestamp `timestamp`. Each blob is checked against its versioned hash before it is
    /// returned or cached; a source that fails or returns a wrong blob is passed over for
    /// the next one.
    ///
    /// Spec: protocol/ecotone/derivation.md#ecotone-blob-retrieval (the blob "MUST, if the
    /// source is untrusted, be cryptographically verified against its versioned hash").
    ///
    /// The result is what `keel_derive::stages::retrieval::resolve` takes.
    pub async fn blobs(
        &self,
        timestamp: u64,
        hashes: &[IndexedBlobHash],
    ) -> Result<Vec<Box<[u8; BLOB_SIZE]>>, L1Error> {
        let mut found: HashMap<B256, Bytes> = HashMap::new();
        let mut missing = Vec::new();
        for h in hashes {
            match self.inner.blobs.get(&h.hash) {
                Some(b) => {
                    found.insert(h.hash, b);
                }
                None => missing.push(h.clone()),
            }
        }
        if !missing.is_empty() {
            let slot = self.slot_clock().await?.slot(timestamp)?;
            let fetched = self.fetch_any_source(slot, &missing).await?;
            for (h, blob) in missing.iter().zip(fetched) {
                self.inner.blobs.insert(h.hash, blob.clone());
                found.insert(h.hash, blob);
            }
        }
        hashes
            .iter()
            .map(|h| {
                found
                    .get(&h.hash)
                    // On the heap throughout; the KZG check already fixed the length.
                    .and_then(|b| {
                        Box::<[u8; BLOB_SIZE]>::try_from(b.to_vec().into_boxed_slice()).ok()
                    })
                    .ok_or_else(|| L1Error::BeaconMalformed {
                        url: String::new(),
                        message: format!("blob {} lost between fetch and return", h.hash),
                    })
            })
            .collect()
    }

    async fn fetch_any_source(
        &self,
        slot: u64,
        wanted: &[IndexedBlobHash],
    ) -> Result<Vec<Bytes>, L1Error> {
        let mut last = None;
        for base in &self.inner.urls {
            match self.fetch_from(base, slot, wanted).await {
                Ok(b) => return Ok(b),
                Err(e) => last = Some(more_telling(last, e)),
            }
        }
        Err(L1Error::BlobsUnavailable {
            slot,
            sources: self.inner.urls.len(),
            last: Box::new(last.unwrap_or_else(|| L1Error::Config("no beacon API URL".into()))),
        })
    }

    /// One source: the preferred endpoint, then the other.
    async fn fetch_from(
        &self,
        base: &Url,
        slot: u64,
        wanted: &[IndexedBlobHash],
    ) -> Result<Vec<Bytes>, L1Error> {
        let order = match self.inner.config.prefer {
            BlobEndpoint::Blobs => [BlobEndpoint::Blobs, BlobEndpoint::Sidecars],
            BlobEndpoint::Sidecars => [BlobEndpoint::Sidecars, BlobEndpoint::Blobs],
        };
        let mut last = None;
        for endpoint in order {
            let r = match endpoint {
                BlobEndpoint::Blobs => self.by_blobs(base, slot, wanted).await,
                BlobEndpoint::Sidecars => self.by_sidecars(base, slot, wanted).await,
            };
            match r {
                Ok(b) => return Ok(b),
                Err(e) => last = Some(more_telling(last, e)),
            }
        }
        Err(last.unwrap_or_else(|| L1Error::Config("no blob endpoint".into())))
    }

    /// `/eth/v1/beacon/blobs/{slot}?versioned_hashes=…`: blobs only, so each one's
    /// commitment is recomputed to find and check its versioned hash.
    async fn by_blobs(
        &self,
        base: &Url,
        slot: u64,
        wanted: &[IndexedBlobHash],
    ) -> Result<Vec<Bytes>, L1Error> {
        let query = join(wanted.iter().map(|h| h.hash.to_string()));
        let resp: Data<Vec<Bytes>> = self
            .get_json(
                base,
                &format!("eth/v1/beacon/blobs/{slot}"),
                Some(("versioned_hashes", &query)),
            )
            .await?;
        let url = redact(base);
        let mut by_hash = HashMap::new();
        for blob in resp.data {
            // A blob that is not a valid blob at all cannot be one we asked for; skip it
            // and let the missing check below report what is absent.
            if let Ok(h) = kzg::blob_versioned_hash(&blob) {
                by_hash.insert(h, blob);
            }
        }
        wanted
            .iter()
            .map(|h| {
                // `get`, not `remove`: two transactions of a block may commit to the same
                // blob, and both get it.
                by_hash
                    .get(&h.hash)
                    .cloned()
                    .ok_or_else(|| L1Error::BlobMismatch {
                        index: h.index,
                        expected: h.hash,
                        url: url.clone(),
                        what: "no returned blob has this versioned hash",
                    })
            })
            .collect()
    }

    /// `/eth/v1/beacon/blob_sidecars/{slot}?indices=…`: sidecars carry commitment and
    /// proof, so the check is the versioned hash of the commitment plus the KZG proof.
    async fn by_sidecars(
        &self,
        base: &Url,
        slot: u64,
        wanted: &[IndexedBlobHash],
    ) -> Result<Vec<Bytes>, L1Error> {
        let query = join(wanted.iter().map(|h| h.index.to_string()));
        let resp: Data<Vec<Sidecar>> = self
            .get_json(
                base,
                &format!("eth/v1/beacon/blob_sidecars/{slot}"),
                Some(("indices", &query)),
            )
            .await?;
        match_sidecars(resp.data, wanted, &redact(base))
    }

    /// GET `base/path?query` with retries, a bounded body, and JSON decoding.
    async fn get_json<T: DeserializeOwned>(
        &self,
        base: &Url,
        path: &str,
        query: Option<(&str, &str)>,
    ) -> Result<T, L1Error> {
        let mut url = base.clone();
        {
            // Keep a path prefix the operator configured (e.g. an archiver under /beacon).
            let prefix = url.path().trim_end_matches('/').to_owned();
            url.set_path(&format!("{prefix}/{path}"));
        }
        if let Some((k, v)) = query {
            url.query_pairs_mut().append_pair(k, v);
        }
        let shown = format!("{}{path}", redact(base));
        let body = with_retry(&self.inner.config.retry, || self.get_bytes(&url, &shown)).await?;
        serde_json::from_slice(&body).map_err(|e| L1Error::BeaconMalformed {
            url: shown.clone(),
            message: e.to_string(),
        })
    }

    async fn get_bytes(&self, url: &Url, shown: &str) -> Result<Vec<u8>, L1Error> {
        let http_err = |status: Option<u16>, e: &dyn std::fmt::Display| L1Error::BeaconHttp {
            url: shown.to_owned(),
            status,
            message: e.to_string(),
        };
        let mut resp = self
            .inner
            .http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| http_err(e.status().map(|s| s.as_u16()), &e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(http_err(Some(status.as_u16()), &status));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| http_err(None, &e))? {
            if body.len().saturating_add(chunk.len()) > MAX_BEACON_RESPONSE {
                return Err(L1Error::BeaconMalformed {
                    url: shown.to_owned(),
                    message: format!("response larger than {MAX_BEACON_RESPONSE} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Of two failures, the one worth reporting: a blob that failed verification says more
/// (a lying or broken source) than an endpoint that is missing.
fn more_telling(previous: Option<L1Error>, new: L1Error) -> L1Error {
    match previous {
        Some(p @ L1Error::BlobMismatch { .. }) if !matches!(new, L1Error::BlobMismatch { .. }) => p,
        _ => new,
    }
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(",")
}

/// Picks each wanted blob out of `sidecars` by index and verifies it. Sources that ignore
/// the `indices` filter return every sidecar of the slot; the extra ones are dropped.
pub(crate) fn match_sidecars(
    sidecars: Vec<Sidecar>,
    wanted: &[IndexedBlobHash],
    url: &str,
) -> Result<Vec<Bytes>, L1Error> {
    let mut by_index: HashMap<u64, Sidecar> = sidecars.into_iter().map(|s| (s.index, s)).collect();
    wanted
        .iter()
        .map(|h| {
            let mismatch = |what| L1Error::BlobMismatch {
                index: h.index,
                expected: h.hash,
                url: url.to_owned(),
                what,
            };
            let s = by_index
                .remove(&h.index)
                .ok_or_else(|| mismatch("no sidecar with this index"))?;
            kzg::verify_sidecar(&s.blob, &s.kzg_commitment, &s.kzg_proof, h.hash)
                .map_err(mismatch)?;
            Ok(s.blob)
        })
        .collect()
}

/// Parses a `blob_sidecars` response body and returns `(index, versioned hash of the
/// commitment)` for each sidecar whose KZG proof verifies. For tests and diagnostics
/// (`keel` tools) on saved beacon responses.
pub fn verified_sidecar_hashes(body: &[u8]) -> Result<Vec<(u64, B256)>, L1Error> {
    let resp: Data<Vec<Sidecar>> =
        serde_json::from_slice(body).map_err(|e| L1Error::BeaconMalformed {
            url: String::new(),
            message: e.to_string(),
        })?;
    let wanted: Vec<IndexedBlobHash> = resp
        .data
        .iter()
        .map(|s| IndexedBlobHash {
            index: s.index,
            hash: alloy_eips::eip4844::kzg_to_versioned_hash(s.kzg_commitment.as_slice()),
        })
        .collect();
    match_sidecars(resp.data, &wanted, "")?;
    Ok(wanted.into_iter().map(|h| (h.index, h.hash)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_from_timestamp() {
        let c = SlotClock {
            genesis_time: 1_606_824_023,
            seconds_per_slot: 12,
        };
        assert_eq!(c.slot(1_606_824_023).unwrap(), 0);
        assert_eq!(c.slot(1_606_824_023 + 12 * 7).unwrap(), 7);
        assert!(matches!(
            c.slot(1_606_824_022),
            Err(L1Error::BadSlotTime { .. })
        ));
        assert!(matches!(
            c.slot(1_606_824_024),
            Err(L1Error::BadSlotTime { .. })
        ));
        let zero = SlotClock {
            genesis_time: 0,
            seconds_per_slot: 0,
        };
        assert!(zero.slot(5).is_err());
    }

    #[test]
    fn redacts_credentials_and_query() {
        let u = Url::parse("https://user:secret@beacon.example/prefix?key=abc").unwrap();
        let r = redact(&u);
        assert!(
            !r.contains("secret") && !r.contains("abc") && !r.contains("user"),
            "{r}"
        );
    }
}
