//! The L1 side: fee quotes, nonces, signing and sending batcher transactions, receipts.

use alloy_consensus::{
    SignableTransaction, TxEip1559, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar, TxEnvelope,
};
use alloy_eips::{
    eip2718::Encodable2718,
    eip4844::BlobTransactionSidecar,
    eip7594::{BlobTransactionSidecarEip7594, BlobTransactionSidecarVariant},
};
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::BlockNumberOrTag;
use alloy_signer_local::PrivateKeySigner;
use keel_protocol::rollup_config::BlockId;

use super::ServiceError;
use crate::{
    manager::L1Head,
    tx_data::TxData,
    txmgr::{FeeQuote, PublishResult, TxFees, classify_send_error, fees::intrinsic_gas},
};

/// A batcher transaction ready to sign again with other fees: the payload's calldata or
/// sidecar, built once.
#[derive(Debug, Clone)]
pub struct PreparedTx {
    nonce: u64,
    to: Address,
    gas_limit: u64,
    kind: Prepared,
}

#[derive(Debug, Clone)]
enum Prepared {
    Calldata(Bytes),
    Blobs {
        sidecar: BlobTransactionSidecarVariant,
        hashes: Vec<B256>,
    },
}

impl PreparedTx {
    /// Builds the payload of `data` for the batch inbox `to` with `nonce`: calldata, or blobs
    /// with their KZG commitments and one proof per blob (EIP-4844 sidecar, for an L1
    /// before Osaka).
    pub fn new(data: &TxData, to: Address, nonce: u64) -> Result<Self, ServiceError> {
        Self::with_sidecar(data, to, nonce, false)
    }

    /// As [`Self::new`], with `cell_proofs`: blobs carry the cell proofs of EIP-7594 (sidecar
    /// version 1), which an L1 from Osaka on requires in its transaction pool; the versioned
    /// hashes (what derivation reads) are the same either way.
    pub fn with_sidecar(
        data: &TxData,
        to: Address,
        nonce: u64,
        cell_proofs: bool,
    ) -> Result<Self, ServiceError> {
        use crate::config::DataAvailability;
        let kind = match data.data_availability {
            DataAvailability::Calldata => Prepared::Calldata(Bytes::from(data.calldata())),
            DataAvailability::Blobs => {
                let blobs = data.blobs().map_err(ServiceError::Blob)?;
                let settings = c_kzg::ethereum_kzg_settings(0);
                let sidecar = if cell_proofs {
                    BlobTransactionSidecarVariant::Eip7594(
                        BlobTransactionSidecarEip7594::try_from_blobs_with_settings(
                            blobs, settings,
                        )
                        .map_err(ServiceError::Kzg)?,
                    )
                } else {
                    BlobTransactionSidecarVariant::Eip4844(
                        BlobTransactionSidecar::try_from_blobs_with_settings(blobs, settings)
                            .map_err(ServiceError::Kzg)?,
                    )
                };
                let hashes = sidecar.versioned_hashes().collect();
                Prepared::Blobs { sidecar, hashes }
            }
        };
        let gas_limit = match &kind {
            // Prague's calldata floor raises the limit on pre-Prague L1s too; unused gas is
            // not paid.
            Prepared::Calldata(c) => intrinsic_gas(c, true),
            Prepared::Blobs { .. } => intrinsic_gas(&[], true),
        };
        Ok(Self {
            nonce,
            to,
            gas_limit,
            kind,
        })
    }

    /// Whether this is a blob transaction.
    pub fn is_blob(&self) -> bool {
        matches!(self.kind, Prepared::Blobs { .. })
    }

    /// The versioned hashes of its blobs (empty for calldata).
    pub fn blob_hashes(&self) -> &[B256] {
        match &self.kind {
            Prepared::Blobs { hashes, .. } => hashes,
            Prepared::Calldata(_) => &[],
        }
    }

    /// Whether its blobs carry EIP-7594 cell proofs.
    pub fn has_cell_proofs(&self) -> bool {
        matches!(
            &self.kind,
            Prepared::Blobs {
                sidecar: BlobTransactionSidecarVariant::Eip7594(_),
                ..
            }
        )
    }

    /// The nonce.
    pub fn nonce(&self) -> u64 {
        self.nonce
    }

    /// Signs with `fees`; returns the transaction hash and its network encoding (with the
    /// sidecar for a blob transaction).
    pub fn sign(
        &self,
        signer: &PrivateKeySigner,
        chain_id: u64,
        fees: TxFees,
    ) -> Result<(B256, Vec<u8>), ServiceError> {
        let envelope = match &self.kind {
            Prepared::Calldata(input) => {
                let mut tx = TxEip1559 {
                    chain_id,
                    nonce: self.nonce,
                    gas_limit: self.gas_limit,
                    max_fee_per_gas: fees.fee_cap,
                    max_priority_fee_per_gas: fees.tip_cap,
                    to: TxKind::Call(self.to),
                    value: U256::ZERO,
                    access_list: Default::default(),
                    input: input.clone(),
                };
                let sig = signer
                    .sign_transaction_sync(&mut tx)
                    .map_err(|e| ServiceError::Sign(e.to_string()))?;
                TxEnvelope::from(tx.into_signed(sig))
            }
            Prepared::Blobs { sidecar, hashes } => {
                let tx = TxEip4844 {
                    chain_id,
                    nonce: self.nonce,
                    gas_limit: self.gas_limit,
                    max_fee_per_gas: fees.fee_cap,
                    max_priority_fee_per_gas: fees.tip_cap,
                    to: self.to,
                    value: U256::ZERO,
                    access_list: Default::default(),
                    blob_versioned_hashes: hashes.clone(),
                    max_fee_per_blob_gas: fees.blob_fee_cap.unwrap_or_default(),
                    input: Bytes::new(),
                };
                let mut tx = TxEip4844Variant::TxEip4844WithSidecar(TxEip4844WithSidecar {
                    tx,
                    sidecar: sidecar.clone(),
                });
                let sig = signer
                    .sign_transaction_sync(&mut tx)
                    .map_err(|e| ServiceError::Sign(e.to_string()))?;
                TxEnvelope::Eip4844(tx.into_signed(sig))
            }
        };
        Ok((*envelope.tx_hash(), envelope.encoded_2718()))
    }
}

/// The L1 client: an alloy provider and the batcher's key.
#[derive(Debug, Clone)]
pub struct L1Submitter {
    provider: RootProvider,
    signer: PrivateKeySigner,
    chain_id: u64,
}

/// A receipt, reduced to what the transaction manager needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptInfo {
    /// The transaction mined.
    pub hash: B256,
    /// Where.
    pub block: BlockId,
    /// Its status.
    pub success: bool,
}

impl L1Submitter {
    /// Connects to `url` and reads the chain id.
    pub async fn connect(url: url::Url, signer: PrivateKeySigner) -> Result<Self, ServiceError> {
        let provider = RootProvider::new_http(url);
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(|e| ServiceError::rpc("L1 eth_chainId", e))?;
        Ok(Self {
            provider,
            signer,
            chain_id,
        })
    }

    /// The batcher's address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The batcher's key.
    pub fn signer(&self) -> &PrivateKeySigner {
        &self.signer
    }

    /// The L1 chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The underlying provider.
    pub fn provider(&self) -> &RootProvider {
        &self.provider
    }

    /// The newest L1 block: its number, time, and base fee.
    pub async fn head(&self) -> Result<(L1Head, u128), ServiceError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| ServiceError::rpc("L1 eth_getBlockByNumber(latest)", e))?
            .ok_or(ServiceError::MissingL1Block("latest"))?;
        let head = L1Head {
            number: block.header.number,
            timestamp: block.header.timestamp,
        };
        Ok((
            head,
            block.header.base_fee_per_gas.unwrap_or_default().into(),
        ))
    }

    /// The hash of L1 block `number`, if it exists.
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>, ServiceError> {
        Ok(self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(|e| ServiceError::rpc("L1 eth_getBlockByNumber", e))?
            .map(|b| b.header.hash))
    }

    /// The market: suggested tip, head base fee, blob base fee (op-service
    /// `DefaultGasPriceEstimatorFn`).
    pub async fn quote(&self, base_fee: u128, blob: bool) -> Result<FeeQuote, ServiceError> {
        let tip = self
            .provider
            .get_max_priority_fee_per_gas()
            .await
            .map_err(|e| ServiceError::rpc("L1 eth_maxPriorityFeePerGas", e))?;
        let blob_base_fee = match blob {
            true => Some(
                self.provider
                    .get_blob_base_fee()
                    .await
                    .map_err(|e| ServiceError::rpc("L1 eth_blobBaseFee", e))?,
            ),
            false => None,
        };
        Ok(FeeQuote {
            tip,
            base_fee,
            blob_base_fee,
        })
    }

    /// The batcher's pending nonce.
    pub async fn pending_nonce(&self) -> Result<u64, ServiceError> {
        self.provider
            .get_transaction_count(self.address())
            .pending()
            .await
            .map_err(|e| ServiceError::rpc("L1 eth_getTransactionCount", e))
    }

    /// Sends a signed transaction and sorts the answer.
    pub async fn publish(&self, raw: &[u8]) -> PublishResult {
        match self.provider.send_raw_transaction(raw).await {
            Ok(pending) => PublishResult::Accepted(*pending.tx_hash()),
            Err(e) => classify_send_error(&e.to_string()),
        }
    }

    /// The receipt of the first of `hashes` that was mined.
    pub async fn receipt(&self, hashes: &[B256]) -> Result<Option<ReceiptInfo>, ServiceError> {
        for hash in hashes.iter().rev() {
            let r = self
                .provider
                .get_transaction_receipt(*hash)
                .await
                .map_err(|e| ServiceError::rpc("L1 eth_getTransactionReceipt", e))?;
            if let Some(r) = r
                && let (Some(number), Some(block_hash)) = (r.block_number, r.block_hash)
            {
                return Ok(Some(ReceiptInfo {
                    hash: *hash,
                    block: BlockId {
                        hash: block_hash,
                        number,
                    },
                    success: r.status(),
                }));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use alloy_primitives::FixedBytes;
    use keel_protocol::frame::Frame;

    use super::*;
    use crate::{config::DataAvailability, tx_data::TxId};

    fn two_blobs() -> TxData {
        let frame = |number: u16, is_last| Frame {
            channel_id: FixedBytes([3; 16]),
            number,
            data: Bytes::from(vec![number as u8 + 1; 5000]),
            is_last,
        };
        TxData {
            id: TxId(1),
            channel_id: FixedBytes([3; 16]),
            frames: vec![frame(0, false), frame(1, true)],
            data_availability: DataAvailability::Blobs,
        }
    }

    fn sidecar(tx: &PreparedTx) -> &BlobTransactionSidecarVariant {
        match &tx.kind {
            Prepared::Blobs { sidecar, .. } => sidecar,
            Prepared::Calldata(_) => panic!("not a blob transaction"),
        }
    }

    #[test]
    fn cell_proof_sidecars_verify_and_commit_to_the_same_blobs() {
        let data = two_blobs();
        let inbox = Address::repeat_byte(0xff);
        let old = PreparedTx::with_sidecar(&data, inbox, 0, false).unwrap();
        let new = PreparedTx::with_sidecar(&data, inbox, 0, true).unwrap();
        assert!(!old.has_cell_proofs() && new.has_cell_proofs());
        assert_eq!(old.blob_hashes().len(), 2);
        assert_eq!(old.blob_hashes(), new.blob_hashes());
        let settings = c_kzg::ethereum_kzg_settings(0);
        for tx in [&old, &new] {
            sidecar(tx).validate(tx.blob_hashes(), settings).unwrap();
        }
        let BlobTransactionSidecarVariant::Eip7594(v1) = sidecar(&new) else {
            panic!("expected an EIP-7594 sidecar");
        };
        // EIP-7594: 128 cell proofs per blob.
        assert_eq!(v1.cell_proofs.len(), 2 * 128);
        // The signed network form carries the version-1 wrapper and decodes back.
        let fees = TxFees {
            tip_cap: 1,
            fee_cap: 2,
            blob_fee_cap: Some(3),
        };
        let signer = PrivateKeySigner::random();
        let (hash, raw) = new.sign(&signer, 1, fees).unwrap();
        let decoded =
            <alloy_consensus::TxEnvelope as alloy_eips::eip2718::Decodable2718>::decode_2718(
                &mut raw.as_slice(),
            )
            .unwrap();
        assert_eq!(*decoded.tx_hash(), hash);
    }
}
