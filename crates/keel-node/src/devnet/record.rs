//! The chain log of `keel devnet --datadir DIR`: `DIR/chain.jsonl`, one JSON record a line,
//! append-only, holding what a restarted devnet cannot recompute — each L1 block it mined
//! (timestamp and transactions in network encoding, blob sidecars included, so mining them
//! again reproduces the block) and each L2 block and forkchoice of both embedded engines.
//!
//! Each record is written with one `write` of the whole line, newline last, so a process
//! killed mid-write leaves at most a last line without its newline. Reading drops that torn
//! tail (and cuts it off the file, or the next record would be glued to it); any other line
//! that does not parse is a [`DatadirError::Corrupt`] naming its line, never a panic.

use std::{
    fs::File,
    io::{BufRead, Read, Write},
    path::{Path, PathBuf},
};

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{B256, Bytes};
use serde::{Deserialize, Serialize};

/// The log's file name in the data dir.
pub const LOG_FILE: &str = "chain.jsonl";

/// Largest record read back: a full 30M-gas L1 block of calldata (~7.5 MB hex) or six blobs
/// with their proofs (~1.6 MB hex) fit with room to spare; anything larger is not ours.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// Why the data dir could not be read, replayed or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatadirError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// A complete line (newline-terminated, so not a torn write) is not a record.
    #[error("{path} line {line}: corrupt record: {reason}")]
    Corrupt {
        /// The log.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Mining a recorded L1 block again gave another block.
    #[error(
        "L1 block {number}: replay gave hash {replayed}, the log recorded {recorded} (the log was written by another Keel version or edited)"
    )]
    L1Mismatch {
        /// Block number.
        number: u64,
        /// Hash in the log.
        recorded: B256,
        /// Hash mined now.
        replayed: B256,
    },
    /// A recorded L1 block could not be mined again.
    #[error("L1 block {number}: replay failed: {reason}")]
    L1Replay {
        /// Block number.
        number: u64,
        /// Why.
        reason: String,
    },
    /// A recorded L2 block or forkchoice was refused by its engine.
    #[error("{engine:?} engine, L2 block {number} ({hash}): replay failed: {reason}")]
    L2Replay {
        /// The engine.
        engine: Engine,
        /// Block number (0 for a forkchoice record).
        number: u64,
        /// Block (or forkchoice head) hash.
        hash: B256,
        /// Why.
        reason: String,
    },
    /// The devnet was down for more L1 slots than a restart fills.
    #[error(
        "L1 is {missing} slots behind the clock, more than the {max} a restart fills with empty blocks; start a new data dir"
    )]
    TooFarBehind {
        /// Slots since the last recorded L1 block.
        missing: u64,
        /// The limit.
        max: u64,
    },
    /// Another process has the log open.
    #[error("{0} is in use by another keel devnet")]
    InUse(PathBuf),
    /// Something the log cannot express happened (an L1 reorg), or a block to record is
    /// incomplete (its blob sidecars were pruned).
    #[error("cannot record: {0}")]
    Unrecordable(String),
}

/// Which embedded engine an L2 record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// The sequencer's engine.
    Sequencer,
    /// The verifier's engine.
    Verifier,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// An L1 block the devnet mined.
    L1Block {
        /// Block number (the previous L1 record's + 1).
        number: u64,
        /// Its timestamp (its slot).
        timestamp: u64,
        /// Its hash, checked when the block is mined again.
        hash: B256,
        /// Its transactions in block order, EIP-2718 network encoding (blob transactions
        /// with their sidecars), as `eth_sendRawTransaction` takes them.
        txs: Vec<Bytes>,
    },
    /// An L2 block an engine stored (canonical when written).
    L2Block {
        /// The engine.
        engine: Engine,
        /// Block number (for messages and readers; the block's header is the truth).
        number: u64,
        /// Parent hash (as `number`).
        parent_hash: B256,
        /// Block hash, checked against the decoded header.
        hash: B256,
        /// The consensus block, RLP.
        block: Bytes,
    },
    /// An engine's forkchoice after the blocks before it.
    Forkchoice {
        /// The engine.
        engine: Engine,
        /// Head.
        head: B256,
        /// Safe block.
        safe: B256,
        /// Finalized block.
        finalized: B256,
    },
}

/// The log file, open for appending.
#[derive(Debug)]
pub struct Log {
    file: File,
    path: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DatadirError + '_ {
    move |source| DatadirError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Reads a log: the records of its complete lines and the length they take. A last line
/// without a newline is a torn write and is left out (not counted in the length). Lines are
/// read one at a time and never past [`MAX_RECORD_BYTES`], so a damaged file cannot make
/// the reader hold more than one record's bytes beyond the records themselves.
pub fn parse(mut reader: impl BufRead, path: &Path) -> Result<(Vec<Record>, u64), DatadirError> {
    let mut records = Vec::new();
    let mut good = 0u64;
    let mut line = Vec::new();
    for number in 1usize.. {
        line.clear();
        let limit = MAX_RECORD_BYTES as u64 + 1;
        let read = reader
            .by_ref()
            .take(limit)
            .read_until(b'\n', &mut line)
            .map_err(io(path))?;
        if read == 0 {
            break;
        }
        let corrupt = |reason: String| DatadirError::Corrupt {
            path: path.to_owned(),
            line: number,
            reason,
        };
        let Some(body) = line.strip_suffix(b"\n") else {
            if line.len() > MAX_RECORD_BYTES {
                return Err(corrupt(format!(
                    "over the {MAX_RECORD_BYTES}-byte record limit"
                )));
            }
            tracing::warn!(path = %path.display(), line = number, bytes = line.len(), "dropping a torn last record");
            break;
        };
        let record: Record = serde_json::from_slice(body).map_err(|e| corrupt(e.to_string()))?;
        records.push(record);
        good += read as u64;
    }
    Ok((records, good))
}

impl Log {
    /// Opens (creating) the log at `path` and reads its records; a torn last line is dropped
    /// and cut off the file so appends start on a fresh line.
    ///
    /// The file stays locked (an OS lock, gone with the process) while the log is open: two
    /// devnets appending to one log would interleave two chains.
    pub fn open(path: &Path) -> Result<(Self, Vec<Record>), DatadirError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(io(path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(DatadirError::InUse(path.to_owned()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(path)(e)),
        }
        let (records, good) = parse(std::io::BufReader::new(&file), path)?;
        let len = file.metadata().map_err(io(path))?.len();
        if good < len {
            file.set_len(good).map_err(io(path))?;
        }
        Ok((
            Self {
                file,
                path: path.to_owned(),
            },
            records,
        ))
    }

    /// Appends `record` as one line in one write: the OS has it when this returns (it
    /// survives the process being killed, not a power cut — see [`Log::sync`]).
    pub fn append(&mut self, record: &Record) -> Result<(), DatadirError> {
        let mut line = serde_json::to_vec(record).map_err(|e| DatadirError::Io {
            path: self.path.clone(),
            source: e.into(),
        })?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(io(&self.path))
    }

    /// Asks the OS to put the log on disk (done at clean shutdown).
    pub fn sync(&self) -> Result<(), DatadirError> {
        self.file.sync_data().map_err(io(&self.path))
    }
}

/// The L1 record of `block` of `chain`: its transactions in network form, each blob
/// transaction joined again with its sidecar (which the chain keeps apart for the beacon
/// API). Fails if a sidecar was already pruned.
pub fn l1_record(
    chain: &keel_devchain::l1::L1Chain,
    block: &keel_devchain::l1::L1Block,
) -> Result<Record, DatadirError> {
    use alloy_consensus::{Signed, TxEip4844Variant, TxEip4844WithSidecar, TxEnvelope};
    let number = block.number();
    let sidecars = chain.blob_sidecars(number).unwrap_or_default();
    let mut txs = Vec::with_capacity(block.transactions.len());
    for tx in &block.transactions {
        let envelope = tx.inner();
        let raw = match envelope {
            TxEnvelope::Eip4844(signed) => {
                let hash = *signed.hash();
                let Some((_, sidecar)) = sidecars.iter().find(|(h, _)| *h == hash) else {
                    return Err(DatadirError::Unrecordable(format!(
                        "L1 block {number}: the sidecar of blob transaction {hash} is no longer kept"
                    )));
                };
                let inner = match signed.tx() {
                    TxEip4844Variant::TxEip4844(t) => t.clone(),
                    TxEip4844Variant::TxEip4844WithSidecar(w) => w.tx().clone(),
                };
                let with = TxEip4844Variant::TxEip4844WithSidecar(
                    TxEip4844WithSidecar::from_tx_and_sidecar(inner, sidecar.clone().into()),
                );
                TxEnvelope::Eip4844(Signed::new_unchecked(with, *signed.signature(), hash))
                    .encoded_2718()
            }
            other => other.encoded_2718(),
        };
        txs.push(Bytes::from(raw));
    }
    Ok(Record::L1Block {
        number,
        timestamp: block.header.timestamp,
        hash: block.hash(),
        txs,
    })
}

/// Mines a recorded L1 block again on `chain`: its transactions go through the pool as
/// `eth_sendRawTransaction` would put them, then the block is built at its timestamp and
/// must hash as recorded.
pub fn replay_l1(
    chain: &mut keel_devchain::l1::L1Chain,
    number: u64,
    timestamp: u64,
    hash: B256,
    txs: &[Bytes],
) -> Result<(), DatadirError> {
    let fail = |reason: String| DatadirError::L1Replay { number, reason };
    let expected = chain.head().number() + 1;
    if number != expected {
        return Err(fail(format!(
            "the log skips to it from L1 block {}",
            expected - 1
        )));
    }
    for (i, tx) in txs.iter().enumerate() {
        chain
            .send_raw_transaction(tx)
            .map_err(|e| fail(format!("transaction {i}: {e}")))?;
    }
    let built = chain
        .build_block(timestamp)
        .map_err(|e| fail(e.to_string()))?;
    let replayed = built.block.hash();
    if replayed != hash {
        return Err(DatadirError::L1Mismatch {
            number,
            recorded: hash,
            replayed,
        });
    }
    Ok(())
}

/// The L2 record of an engine's stored block.
pub fn l2_record(engine: Engine, block: &keel_devchain::chain::StoredBlock) -> Record {
    use alloy_rlp::Encodable;
    let consensus = consensus_block(block);
    let mut rlp = Vec::new();
    consensus.encode(&mut rlp);
    Record::L2Block {
        engine,
        number: block.header.number,
        parent_hash: block.header.parent_hash,
        hash: block.header.hash(),
        block: Bytes::from(rlp),
    }
}

/// The consensus block of a stored one (withdrawals present, empty, from Canyon on: the
/// header's withdrawals root says which).
fn consensus_block(
    block: &keel_devchain::chain::StoredBlock,
) -> alloy_consensus::Block<op_alloy_consensus::OpTxEnvelope> {
    alloy_consensus::Block {
        header: block.header.inner().clone(),
        body: alloy_consensus::BlockBody {
            transactions: block.transactions.clone(),
            ommers: Vec::new(),
            withdrawals: block.header.withdrawals_root.map(|_| Default::default()),
        },
    }
}

/// Decodes an L2 record's block and checks it is the one the record names.
pub fn decode_l2(
    engine: Engine,
    number: u64,
    parent_hash: B256,
    hash: B256,
    rlp: &[u8],
) -> Result<alloy_consensus::Block<op_alloy_consensus::OpTxEnvelope>, DatadirError> {
    use alloy_rlp::Decodable;
    let fail = |reason: String| DatadirError::L2Replay {
        engine,
        number,
        hash,
        reason,
    };
    let mut buf = rlp;
    let block = alloy_consensus::Block::<op_alloy_consensus::OpTxEnvelope>::decode(&mut buf)
        .map_err(|e| fail(format!("undecodable block: {e}")))?;
    let got = block.header.hash_slow();
    if got != hash || block.header.number != number || block.header.parent_hash != parent_hash {
        return Err(fail(format!(
            "the block in the record is {got} (number {}, parent {})",
            block.header.number, block.header.parent_hash
        )));
    }
    Ok(block)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn fc(n: u8) -> Record {
        Record::Forkchoice {
            engine: Engine::Verifier,
            head: B256::repeat_byte(n),
            safe: B256::repeat_byte(n),
            finalized: B256::ZERO,
        }
    }

    #[test]
    fn records_written_are_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOG_FILE);
        let (mut log, records) = Log::open(&path).unwrap();
        assert!(records.is_empty());
        let l1 = Record::L1Block {
            number: 1,
            timestamp: 12,
            hash: B256::repeat_byte(7),
            txs: vec![Bytes::from_static(&[2, 0xab])],
        };
        log.append(&l1).unwrap();
        log.append(&fc(1)).unwrap();
        drop(log);
        let (_, records) = Log::open(&path).unwrap();
        assert_eq!(records, vec![l1, fc(1)]);
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOG_FILE);
        let (mut log, _) = Log::open(&path).unwrap();
        log.append(&fc(1)).unwrap();
        drop(log);
        let whole = std::fs::read(&path).unwrap();
        // A process killed halfway through its second write.
        let mut torn = whole.clone();
        torn.extend_from_slice(&whole[..whole.len() / 2]);
        std::fs::write(&path, &torn).unwrap();
        let (mut log, records) = Log::open(&path).unwrap();
        assert_eq!(records, vec![fc(1)]);
        // The next record starts on its own line.
        log.append(&fc(2)).unwrap();
        drop(log);
        let (_, records) = Log::open(&path).unwrap();
        assert_eq!(records, vec![fc(1), fc(2)]);
    }

    #[test]
    fn an_open_log_is_locked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOG_FILE);
        let (log, _) = Log::open(&path).unwrap();
        assert!(matches!(Log::open(&path), Err(DatadirError::InUse(_))));
        drop(log);
        Log::open(&path).unwrap();
    }

    #[test]
    fn a_corrupt_middle_line_is_a_typed_error_naming_the_line() {
        let path = Path::new(LOG_FILE);
        let good = serde_json::to_string(&fc(1)).unwrap();
        for bad in ["{\"kind\":\"l1_block\",\"number\":", "not json", ""] {
            let text = format!("{good}\n{bad}\n{good}\n");
            match parse(text.as_bytes(), path) {
                Err(DatadirError::Corrupt { line: 2, .. }) => {}
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        // The same bytes as a torn last line are dropped instead.
        let text = format!("{good}\n{{\"kind\":\"l1_block\",\"number\":");
        let (records, len) = parse(text.as_bytes(), path).unwrap();
        assert_eq!((records.len(), len), (1, good.len() as u64 + 1));
    }

    #[test]
    fn a_line_over_the_record_limit_is_refused_without_reading_it_whole() {
        let path = Path::new(LOG_FILE);
        let good = serde_json::to_string(&fc(1)).unwrap();
        let mut text = format!("{good}\n").into_bytes();
        text.extend(std::iter::repeat_n(b'a', MAX_RECORD_BYTES + 10));
        text.push(b'\n');
        match parse(text.as_slice(), path) {
            Err(DatadirError::Corrupt {
                line: 2, reason, ..
            }) => {
                assert!(reason.contains("limit"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}
