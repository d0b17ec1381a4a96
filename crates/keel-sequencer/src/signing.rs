//! Block-gossip signatures: each sealed block is signed with the sequencer's key before it
//! is published on the `blocks` topics.
//!
//! Spec: protocol/rollup-node-p2p.md#block-signatures — the signed message is
//! `keccak256(domain ++ chain_id ++ payload_hash)` with a zero 32-byte domain, the L2 chain
//! id as a big-endian `uint256`, and `payload_hash = keccak256(payload)`, where `payload` is
//! the SSZ execution payload (V1, V2) or `parentBeaconBlockRoot ++ payload` (V3, V4); the
//! signature is 65 bytes `r ++ s ++ y_parity` with `y_parity` 0 or 1.

use alloy_primitives::{Address, B256, Signature, U256, keccak256};
use k256::ecdsa::SigningKey;
use op_alloy_rpc_types_engine::OpExecutionPayloadEnvelope;

/// The signing domain of block gossip, version 1: all zero.
///
/// Spec: protocol/rollup-node-p2p.md#block-signatures
pub const BLOCK_SIGNING_DOMAIN_V1: B256 = B256::ZERO;

/// Why a key or signature is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// The secret is zero or not below the curve order.
    #[error("the sequencer key is not a valid secp256k1 secret")]
    InvalidKey,
    /// k256 refused to sign the hash (cannot happen with a valid key; kept typed).
    #[error("signing the block hash {0} failed")]
    Sign(B256),
    /// The signature does not recover to a public key.
    #[error("the block signature does not recover a signer")]
    Recover,
}

/// The message signed for a payload: `keccak256(domain ++ chain_id ++ payload_hash)`.
///
/// Spec: protocol/rollup-node-p2p.md#block-signatures
pub fn signing_hash(domain: B256, chain_id: u64, payload_hash: B256) -> B256 {
    let mut msg = [0u8; 96];
    let (d, rest) = msg.split_at_mut(32);
    let (c, h) = rest.split_at_mut(32);
    d.copy_from_slice(domain.as_slice());
    c.copy_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    h.copy_from_slice(payload_hash.as_slice());
    keccak256(msg)
}

/// The sequencer's block signer: a secp256k1 key handed in by the node.
#[derive(Clone)]
pub struct BlockSigner {
    key: SigningKey,
    address: Address,
    chain_id: u64,
}

impl std::fmt::Debug for BlockSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("BlockSigner")
            .field("address", &self.address)
            .field("chain_id", &self.chain_id)
            .finish_non_exhaustive()
    }
}

impl BlockSigner {
    /// A signer for L2 chain `chain_id` with the 32-byte secret `secret`.
    pub fn new(secret: &B256, chain_id: u64) -> Result<Self, SigningError> {
        let key =
            SigningKey::from_slice(secret.as_slice()).map_err(|_| SigningError::InvalidKey)?;
        let address = Address::from_public_key(key.verifying_key());
        Ok(Self {
            key,
            address,
            chain_id,
        })
    }

    /// The sequencer's address (the chain's unsafe block signer).
    pub const fn address(&self) -> Address {
        self.address
    }

    /// Signs raw gossip payload bytes (`parentBeaconBlockRoot ++ ssz(payload)` from V3,
    /// `ssz(payload)` before; Spec: protocol/rollup-node-p2p.md#block-encoding).
    pub fn sign_payload_bytes(&self, payload: &[u8]) -> Result<Signature, SigningError> {
        self.sign_payload_hash(keccak256(payload))
    }

    /// Signs the payload whose `keccak256` is `payload_hash`.
    pub fn sign_payload_hash(&self, payload_hash: B256) -> Result<Signature, SigningError> {
        let msg = signing_hash(BLOCK_SIGNING_DOMAIN_V1, self.chain_id, payload_hash);
        let (sig, recid) = self
            .key
            .sign_prehash_recoverable(msg.as_slice())
            .map_err(|_| SigningError::Sign(msg))?;
        Ok(Signature::from_signature_and_parity(sig, recid.is_y_odd()))
    }

    /// Signs a sealed block's envelope, ready for the gossip encoding.
    pub fn sign_envelope(
        &self,
        envelope: &OpExecutionPayloadEnvelope,
    ) -> Result<Signature, SigningError> {
        // op-alloy's SSZ encoding of the envelope is exactly the gossip payload bytes.
        self.sign_payload_hash(envelope.payload_hash().0)
    }
}

/// The 65-byte wire form `r ++ s ++ y_parity` (y_parity 0 or 1).
///
/// Spec: protocol/rollup-node-p2p.md#block-encoding
pub fn signature_bytes(sig: &Signature) -> [u8; 65] {
    sig.as_rsy()
}

/// The address that signed the payload with hash `payload_hash` on chain `chain_id`.
pub fn recover_signer(
    sig: &Signature,
    chain_id: u64,
    payload_hash: B256,
) -> Result<Address, SigningError> {
    let msg = signing_hash(BLOCK_SIGNING_DOMAIN_V1, chain_id, payload_hash);
    sig.recover_address_from_prehash(&msg)
        .map_err(|_| SigningError::Recover)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_recover_gives_the_sequencer() {
        let signer = BlockSigner::new(&B256::repeat_byte(0x11), 10).unwrap();
        let payload = b"some ssz payload";
        let sig = signer.sign_payload_bytes(payload).unwrap();
        assert_eq!(
            recover_signer(&sig, 10, keccak256(payload)).unwrap(),
            signer.address()
        );
        // Another chain id recovers someone else.
        assert_ne!(
            recover_signer(&sig, 11, keccak256(payload)).unwrap(),
            signer.address()
        );
        let bytes = signature_bytes(&sig);
        assert!(bytes[64] <= 1);
        assert_eq!(Signature::try_from(&bytes[..]).unwrap(), sig);
    }

    #[test]
    fn key_one_is_the_well_known_address() {
        // secp256k1 secret 1 → its generator point → 0x7E5F…5Bdf (a standard check).
        let signer = BlockSigner::new(&B256::with_last_byte(1), 10).unwrap();
        assert_eq!(
            signer.address(),
            alloy_primitives::address!("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
        );
    }

    #[test]
    fn zero_key_is_refused() {
        assert_eq!(
            BlockSigner::new(&B256::ZERO, 10).unwrap_err(),
            SigningError::InvalidKey
        );
    }
}
