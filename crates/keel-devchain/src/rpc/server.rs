//! The `eth_` method table over any [`EthBackend`], and a standalone, unauthenticated HTTP
//! server for it (op-geth's public `8545` beside its JWT-guarded `8551`).

use std::net::SocketAddr;

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, U64, U256};
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use jsonrpsee::{
    RpcModule,
    core::RegisterMethodError,
    server::{Server, ServerConfig, ServerHandle},
    types::{ErrorObjectOwned, Params},
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use super::{EthBackend, EthError, blocks, estimate, fees, logs};

/// Shared access to a backend: the server takes its lock for one method at a time.
pub trait BackendHandle: Send + Sync + 'static {
    /// The chain behind the handle.
    type Backend: EthBackend;
    /// Runs `f` with shared access.
    fn read<R>(&self, f: impl FnOnce(&Self::Backend) -> R) -> R;
    /// Runs `f` with exclusive access.
    fn write<R>(&self, f: impl FnOnce(&mut Self::Backend) -> R) -> R;
}

/// `web3_clientVersion`'s answer.
pub const CLIENT_VERSION: &str = concat!("keel-devchain/v", env!("CARGO_PKG_VERSION"));

/// Largest request or response body of the public server (a full block of 1,000
/// transactions is about 1 MB of JSON; a raw transaction at most 128 KiB).
pub const MAX_BODY_BYTES: u32 = 16 * 1024 * 1024;

fn to_value<T: Serialize>(v: &T) -> Result<Value, ErrorObjectOwned> {
    serde_json::to_value(v).map_err(|e| EthError::Internal(e.to_string()).into())
}

fn positional(params: &Params<'_>) -> Result<Vec<Value>, ErrorObjectOwned> {
    params
        .parse::<Option<Vec<Value>>>()
        .map(Option::unwrap_or_default)
        .map_err(|e| EthError::InvalidParams(e.to_string()).into())
}

/// Positional argument `i` (absent reads as `null`, so optional arguments are `Option`s).
fn arg<T: DeserializeOwned>(args: &[Value], i: usize) -> Result<T, ErrorObjectOwned> {
    let value = args.get(i).cloned().unwrap_or(Value::Null);
    serde_json::from_value(value)
        .map_err(|e| EthError::InvalidParams(format!("invalid argument {i}: {e}")).into())
}

/// A block parameter; absent means `default`.
fn block_arg(args: &[Value], i: usize, default: BlockId) -> Result<BlockId, ErrorObjectOwned> {
    Ok(arg::<Option<BlockId>>(args, i)?.unwrap_or(default))
}

type Answer = Result<Value, ErrorObjectOwned>;

/// Registers a read method: `f(backend, positional args)`.
fn read<H: BackendHandle>(
    m: &mut RpcModule<H>,
    name: &'static str,
    f: fn(&H::Backend, &[Value]) -> Answer,
) -> Result<(), RegisterMethodError> {
    m.register_method(name, move |p, h, _| {
        let args = positional(&p)?;
        h.read(|b| f(b, &args))
    })?;
    Ok(())
}

/// The `eth_`, `net_` and `web3_` methods over `handle`.
pub fn eth_module<H: BackendHandle>(handle: H) -> Result<RpcModule<H>, RegisterMethodError> {
    let mut m = RpcModule::new(handle);
    read(&mut m, "eth_chainId", |b, _| {
        to_value(&U64::from(b.chain_id()))
    })?;
    read(&mut m, "net_version", |b, _| {
        to_value(&b.chain_id().to_string())
    })?;
    read(&mut m, "web3_clientVersion", |_, _| {
        to_value(&CLIENT_VERSION)
    })?;
    read(&mut m, "eth_syncing", |_, _| to_value(&false))?;
    read(&mut m, "eth_accounts", |_, _| {
        to_value(&Vec::<Address>::new())
    })?;
    read(&mut m, "eth_blockNumber", |b, _| {
        let head = blocks::resolve(b, BlockId::latest())?;
        to_value(&U64::from(head.header.number))
    })?;
    read(&mut m, "eth_getBlockByNumber", |b, a| {
        let tag: BlockNumberOrTag = arg(a, 0)?;
        let full: Option<bool> = arg(a, 1)?;
        match blocks::tag_hash(b, tag).and_then(|h| b.block(&h)) {
            Some(block) => to_value(&blocks::rpc_block(b, block, full.unwrap_or(false))?),
            None => Ok(Value::Null),
        }
    })?;
    read(&mut m, "eth_getBlockByHash", |b, a| {
        let hash: B256 = arg(a, 0)?;
        let full: Option<bool> = arg(a, 1)?;
        match b.block(&hash) {
            Some(block) => to_value(&blocks::rpc_block(b, block, full.unwrap_or(false))?),
            None => Ok(Value::Null),
        }
    })?;
    read(&mut m, "eth_getBalance", |b, a| {
        let address: Address = arg(a, 0)?;
        let state = blocks::state_at(b, block_arg(a, 1, BlockId::latest())?)?;
        to_value(&state.balance(&address))
    })?;
    read(&mut m, "eth_getTransactionCount", |b, a| {
        let address: Address = arg(a, 0)?;
        let id = block_arg(a, 1, BlockId::latest())?;
        let nonce = blocks::state_at(b, id)?.nonce(&address);
        let nonce = if id == BlockId::pending() {
            b.pending_nonce(address, nonce)
        } else {
            nonce
        };
        to_value(&U64::from(nonce))
    })?;
    read(&mut m, "eth_getCode", |b, a| {
        let address: Address = arg(a, 0)?;
        let state = blocks::state_at(b, block_arg(a, 1, BlockId::latest())?)?;
        to_value(&state.code(&address))
    })?;
    read(&mut m, "eth_getStorageAt", |b, a| {
        let address: Address = arg(a, 0)?;
        let slot: U256 = arg(a, 1)?;
        let state = blocks::state_at(b, block_arg(a, 2, BlockId::latest())?)?;
        to_value(&B256::from(state.storage(&address, slot)))
    })?;
    read(&mut m, "eth_call", |b, a| {
        let request: TransactionRequest = arg(a, 0)?;
        no_overrides(a, 2)?;
        to_value(&estimate::call(
            b,
            &request,
            block_arg(a, 1, BlockId::latest())?,
        )?)
    })?;
    read(&mut m, "eth_estimateGas", |b, a| {
        let request: TransactionRequest = arg(a, 0)?;
        no_overrides(a, 2)?;
        let gas = estimate::estimate_gas(b, &request, block_arg(a, 1, BlockId::pending())?)?;
        to_value(&U64::from(gas))
    })?;
    read(&mut m, "eth_gasPrice", |b, _| {
        to_value(&U256::from(fees::gas_price(b)?))
    })?;
    read(&mut m, "eth_maxPriorityFeePerGas", |b, _| {
        to_value(&U256::from(fees::suggested_tip(b)?))
    })?;
    read(&mut m, "eth_feeHistory", |b, a| {
        let count: U64 = arg(a, 0)?;
        let newest: BlockNumberOrTag = arg(a, 1)?;
        let percentiles: Option<Vec<f64>> = arg(a, 2)?;
        to_value(&fees::fee_history(
            b,
            count.to(),
            newest,
            percentiles.as_deref(),
        )?)
    })?;
    read(&mut m, "eth_getTransactionByHash", |b, a| {
        let hash: B256 = arg(a, 0)?;
        if let Some((block, index)) = blocks::locate(b, &hash) {
            return to_value(&blocks::rpc_tx_in_block(b, block, index)?);
        }
        match b.pooled(&hash) {
            Some(tx) => to_value(&blocks::rpc_pending_tx(b, &tx)),
            None => Ok(Value::Null),
        }
    })?;
    read(&mut m, "eth_getTransactionReceipt", |b, a| {
        let hash: B256 = arg(a, 0)?;
        match blocks::locate(b, &hash) {
            Some((block, index)) => to_value(&blocks::rpc_receipt(b, block, index)?),
            None => Ok(Value::Null),
        }
    })?;
    read(&mut m, "eth_getBlockReceipts", |b, a| {
        let id: BlockId = arg(a, 0)?;
        match blocks::resolve(b, id) {
            Ok(block) => to_value(&blocks::rpc_block_receipts(b, block)?),
            // geth answers `null` for an unknown block.
            Err(EthError::HeaderNotFound) => Ok(Value::Null),
            Err(e) => Err(e.into()),
        }
    })?;
    read(&mut m, "eth_blobBaseFee", |b, _| {
        let head = blocks::resolve(b, BlockId::latest())?;
        to_value(&U256::from(b.next_blob_base_fee(head.header)))
    })?;
    read(&mut m, "eth_getProof", |b, a| {
        let address: Address = arg(a, 0)?;
        // Quantities parse both a short number and a 32-byte hash.
        let keys: Vec<U256> = arg(a, 1)?;
        let state = blocks::state_at(b, block_arg(a, 2, BlockId::latest())?)?;
        to_value(&super::account_proof(state, address, &keys)?)
    })?;
    read(&mut m, "eth_getLogs", |b, a| {
        let filter: Filter = arg(a, 0)?;
        to_value(&logs::get_logs(b, &filter)?)
    })?;
    m.register_method("eth_sendRawTransaction", |p, h, _| {
        let args = positional(&p)?;
        let raw: Bytes = arg(&args, 0)?;
        let hash = h.write(|b| b.send_raw_transaction(&raw))?;
        to_value(&hash)
    })?;
    Ok(m)
}

/// State and block overrides are not supported: refused rather than silently ignored.
fn no_overrides(args: &[Value], from: usize) -> Result<(), ErrorObjectOwned> {
    if args.iter().skip(from).any(|v| !v.is_null()) {
        return Err(
            EthError::InvalidParams("state and block overrides are not supported".into()).into(),
        );
    }
    Ok(())
}

/// Why the public server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EthServerError {
    /// Binding the listening socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A method could not be registered (a bug: duplicate name).
    #[error(transparent)]
    Register(#[from] RegisterMethodError),
}

/// A running unauthenticated `eth_` server.
#[derive(Debug)]
pub struct EthServer {
    handle: ServerHandle,
    local_addr: SocketAddr,
}

impl EthServer {
    /// Serves the `eth_` methods over `backend` on `addr` (port 0 picks a free port). Must
    /// be called inside a tokio runtime.
    pub async fn start<H: BackendHandle>(
        addr: SocketAddr,
        backend: H,
    ) -> Result<Self, EthServerError> {
        let module = eth_module(backend)?;
        let config = ServerConfig::builder()
            .max_request_body_size(MAX_BODY_BYTES)
            .max_response_body_size(MAX_BODY_BYTES)
            .build();
        // Browser wallets and dapps on other origins call a local dev chain directly, as they
        // call anvil or a geth started with `--http.corsdomain '*'`: every origin is allowed.
        // The server is for loopback development only and holds no secrets.
        let cors = tower_http::cors::CorsLayer::new()
            .allow_origin(tower_http::cors::Any)
            .allow_methods([http::Method::POST, http::Method::GET, http::Method::OPTIONS])
            .allow_headers([http::header::CONTENT_TYPE]);
        let server = Server::builder()
            .set_config(config)
            .set_http_middleware(tower::ServiceBuilder::new().layer(cors))
            .build(addr)
            .await
            .map_err(|source| EthServerError::Bind { addr, source })?;
        let local_addr = server
            .local_addr()
            .map_err(|source| EthServerError::Bind { addr, source })?;
        Ok(Self {
            handle: server.start(module),
            local_addr,
        })
    }

    /// The bound address.
    pub const fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The HTTP URL of the server.
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Stops the server and waits until it has stopped.
    pub async fn stop(self) {
        // Err only means it was already stopped.
        let _ = self.handle.stop();
        self.handle.stopped().await;
    }
}
