//! KZG checks of blobs against the versioned hashes L1 transactions committed to.
//!
//! TODO(issue 2): switch to `keel_protocol::blob::{kzg_commitment, versioned_hash,
//! verify_blob_kzg_proof}` once the protocol crate's blob module lands; these are the same
//! checks, written against c-kzg directly meanwhile.

use alloy_eips::eip4844::kzg_to_versioned_hash;
use alloy_primitives::{B256, FixedBytes};

/// Why a blob failed its check.
pub(crate) type Failure = &'static str;

// Blobs are handled as heap byte strings, never as 128 KiB arrays by value: serde and
// debug builds would copy such arrays on the stack several times over.

fn settings() -> &'static c_kzg::KzgSettings {
    // Precompute 0: verification only needs the plain setup; precomputation speeds up proof
    // generation, which a reader never does.
    c_kzg::ethereum_kzg_settings(0)
}

/// The blob's versioned hash: `0x01 ++ sha256(commitment)[1..]` of its KZG commitment.
///
/// Spec: EIP-4844 `kzg_to_versioned_hash`; protocol/ecotone/derivation.md#ecotone-blob-retrieval
pub(crate) fn blob_versioned_hash(blob: &[u8]) -> Result<B256, Failure> {
    let blob = c_kzg::Blob::from_bytes(blob).map_err(|_| "not a valid blob")?;
    let commitment = settings()
        .blob_to_kzg_commitment(&blob)
        .map_err(|_| "blob has field elements out of range")?;
    Ok(kzg_to_versioned_hash(commitment.as_slice()))
}

/// Checks a sidecar: its commitment hashes to `expected`, and its proof shows the blob
/// matches the commitment. Cheaper than recomputing the commitment.
pub(crate) fn verify_sidecar(
    blob: &[u8],
    commitment: &FixedBytes<48>,
    proof: &FixedBytes<48>,
    expected: B256,
) -> Result<(), Failure> {
    if kzg_to_versioned_hash(commitment.as_slice()) != expected {
        return Err("sidecar commitment does not hash to the versioned hash");
    }
    let c_blob = c_kzg::Blob::from_bytes(blob).map_err(|_| "not a valid blob")?;
    let ok = settings()
        .verify_blob_kzg_proof(
            &c_blob,
            &c_kzg::Bytes48::from(commitment.0),
            &c_kzg::Bytes48::from(proof.0),
        )
        .map_err(|_| "malformed commitment or proof")?;
    if ok {
        Ok(())
    } else {
        Err("KZG proof does not verify")
    }
}
