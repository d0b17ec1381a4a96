//! KZG checks of blobs against the versioned hashes L1 transactions committed to, through
//! `keel_protocol::blob`.
//!
//! Blobs are handled as heap byte strings and borrowed as `&[u8; BLOB_SIZE]`, never moved
//! as 128 KiB arrays by value: serde and debug builds would copy such arrays on the stack
//! several times over.

use alloy_primitives::{B256, FixedBytes};
use keel_protocol::blob::{BLOB_SIZE, kzg_commitment, verify_blob_kzg_proof, versioned_hash};

/// Why a blob failed its check.
pub(crate) type Failure = &'static str;

fn as_blob(blob: &[u8]) -> Result<&[u8; BLOB_SIZE], Failure> {
    blob.try_into().map_err(|_| "blob is not 131072 bytes")
}

/// The blob's versioned hash: `0x01 ++ sha256(commitment)[1..]` of its KZG commitment.
///
/// Spec: protocol/ecotone/derivation.md#ecotone-blob-retrieval
pub(crate) fn blob_versioned_hash(blob: &[u8]) -> Result<B256, Failure> {
    let commitment =
        kzg_commitment(as_blob(blob)?).map_err(|_| "blob has field elements out of range")?;
    Ok(versioned_hash(&commitment.0))
}

/// Checks a sidecar: its commitment hashes to `expected`, and its proof shows the blob
/// matches the commitment (one pairing check, cheaper than recomputing the commitment).
///
/// Spec: protocol/ecotone/derivation.md#ecotone-blob-retrieval
pub(crate) fn verify_sidecar(
    blob: &[u8],
    commitment: &FixedBytes<48>,
    proof: &FixedBytes<48>,
    expected: B256,
) -> Result<(), Failure> {
    if versioned_hash(&commitment.0) != expected {
        return Err("sidecar commitment does not hash to the versioned hash");
    }
    let ok = verify_blob_kzg_proof(as_blob(blob)?, &commitment.0, &proof.0)
        .map_err(|_| "malformed blob, commitment or proof")?;
    if ok {
        Ok(())
    } else {
        Err("KZG proof does not verify")
    }
}
