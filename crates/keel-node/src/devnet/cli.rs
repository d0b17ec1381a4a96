//! `keel devnet`'s command line: build the devnet, serve it on loopback, print the URLs and
//! keys, then a status line — or, with `--until-safe N`, run until the verifier's safe head
//! reaches N and print one JSON line.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::hex;
use keel_batcher::DataAvailability;
use keel_devchain::genesis::{DEV_PRIVATE_KEYS, dev_accounts};
use keel_engine::client::EngineClient;
use op_alloy_consensus::OpTxEnvelope;

use keel_protocol::hardfork::Hardfork;

use super::{
    Devnet, DevnetConfig, DevnetError, DevnetStatus, datadir,
    external::{self, DevTransport, ExternalL2},
    forks::{fork_offsets, parse_last_fork},
    init,
    rpc::serve_rollup_rpc,
};
use crate::driver::sources::{Clock, SystemClock};

/// `keel devnet`: a whole OP chain in one process.
#[derive(Debug, Clone, clap::Args)]
pub struct DevnetArgs {
    /// `init DIR`: write the chain's files instead of running it.
    #[command(subcommand)]
    pub command: Option<DevnetCommand>,
    /// Run the chain defined by `DIR/devnet.json` (from `keel devnet init DIR`) instead of
    /// a new one; its chain options replace the ones given here.
    #[arg(long = "config", conflicts_with = "datadir")]
    pub config: Option<std::path::PathBuf>,
    /// Keep the chains in DIR so they survive a restart: an empty or missing DIR gets the
    /// chain files of `keel devnet init` (genesis now, the chain options given); later runs
    /// load its `devnet.json` (its chain options win), replay its `chain.jsonl` and go on.
    /// Embedded engines only.
    #[arg(long = "datadir", value_name = "DIR")]
    pub datadir: Option<std::path::PathBuf>,
    /// Seconds between L1 blocks.
    #[arg(long = "l1.block-time", default_value_t = 2, global = true)]
    pub l1_block_time: u64,
    /// Seconds between L2 blocks (1 or 2 are typical).
    #[arg(long = "l2.block-time", default_value_t = 2, global = true)]
    pub l2_block_time: u64,
    /// How the batcher posts: `calldata` or `blobs`.
    #[arg(long = "batcher.data-availability", default_value = "calldata", value_parser = parse_da, global = true)]
    pub data_availability: DataAvailability,
    /// Address of the L1 beacon API (blobs).
    #[arg(long = "l1.beacon.addr", default_value = "127.0.0.1:5052")]
    pub l1_beacon_addr: SocketAddr,
    /// Address of the L1 `eth_` JSON-RPC.
    #[arg(long = "l1.addr", default_value = "127.0.0.1:8545")]
    pub l1_addr: SocketAddr,
    /// Address of the sequencer's L2 `eth_` JSON-RPC.
    #[arg(long = "l2.addr", default_value = "127.0.0.1:9545")]
    pub l2_addr: SocketAddr,
    /// Address of the verifier's L2 `eth_` JSON-RPC.
    #[arg(long = "verifier.l2.addr", default_value = "127.0.0.1:9546")]
    pub verifier_l2_addr: SocketAddr,
    /// The sequencer's execution client instead of the embedded engine: its authenticated
    /// Engine API URL (op-geth's `--authrpc` endpoint). Needs `--config DIR` (the client must
    /// have been initialised from `DIR/genesis.json`) and `--l2.sequencer-jwt`.
    #[arg(long = "l2.sequencer", requires = "sequencer_jwt")]
    pub sequencer_l2: Option<reqwest::Url>,
    /// The JWT secret file of `--l2.sequencer` (e.g. `DIR/jwt.hex`).
    #[arg(long = "l2.sequencer-jwt", requires = "sequencer_l2")]
    pub sequencer_jwt: Option<PathBuf>,
    /// The verifier's execution client instead of the embedded engine (as `--l2.sequencer`).
    #[arg(long = "l2.verifier", requires = "verifier_jwt")]
    pub verifier_l2: Option<reqwest::Url>,
    /// The JWT secret file of `--l2.verifier`.
    #[arg(long = "l2.verifier-jwt", requires = "verifier_l2")]
    pub verifier_jwt: Option<PathBuf>,
    /// Address of the sequencer node's rollup RPC (op-node's `optimism_` and `admin_`).
    #[arg(long = "rollup.addr", default_value = "127.0.0.1:7545")]
    pub rollup_addr: SocketAddr,
    /// Address of the verifier node's rollup RPC.
    #[arg(long = "verifier.rollup.addr", default_value = "127.0.0.1:7546")]
    pub verifier_rollup_addr: SocketAddr,
    /// Sequencing window in L1 blocks.
    #[arg(long = "seq-window-size", default_value_t = 200, global = true)]
    pub seq_window_size: u64,
    /// The newest fork the chain runs (`canyon` … `jovian`); later forks never activate.
    #[arg(long = "hardforks.last", default_value = "jovian", value_parser = parse_last_fork, global = true)]
    pub last_fork: Hardfork,
    /// Seconds between fork activations after genesis, in order Delta, Ecotone, Fjord,
    /// Granite, Holocene, Isthmus, Jovian (Canyon is always at genesis); 0 activates every
    /// fork at genesis.
    #[arg(long = "hardforks.stagger", default_value_t = 0, global = true)]
    pub fork_stagger: u64,
    /// Run until the verifier's safe head reaches this L2 block, print one JSON line and
    /// exit (0 if the verifier's block equals the sequencer's).
    #[arg(long = "until-safe")]
    pub until_safe: Option<u64>,
    /// Give up `--until-safe` after this many seconds.
    #[arg(long = "timeout", default_value_t = 600)]
    pub timeout_secs: u64,
}

/// `keel devnet`'s subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum DevnetCommand {
    /// Write the chain's `rollup.json`, L2 `genesis.json` (geth format, for `op-geth init`
    /// and `op-reth --chain`), `jwt.hex` and `devnet.json` into DIR, then exit; `keel
    /// devnet --config DIR` runs that chain. The chain options (block times, forks, data
    /// availability) apply.
    Init {
        /// Directory to write into (created if missing).
        dir: std::path::PathBuf,
        /// Genesis time (unix seconds; default: now). `keel devnet --config` must start
        /// within the sequencer drift (30 min) of it.
        #[arg(long = "genesis-time")]
        genesis_time: Option<u64>,
    },
}

/// How long after genesis a devnet can still start: its sequencer must build every block
/// from genesis to now on L1's genesis block as origin, within the maximum sequencer drift
/// (Spec: protocol/fjord/derivation.md#constant-maximum-sequencer-drift).
const MAX_START_DELAY: u64 = 1800;

fn parse_da(s: &str) -> Result<DataAvailability, String> {
    match s {
        "calldata" => Ok(DataAvailability::Calldata),
        "blobs" => Ok(DataAvailability::Blobs),
        other => Err(format!("`{other}`: expected calldata or blobs")),
    }
}

/// Runs `keel devnet`. Returns the line to print last and whether the run succeeded.
pub async fn run(args: DevnetArgs) -> Result<(String, bool), DevnetError> {
    let now_ms = SystemClock.now_ms();
    let mut cfg = DevnetConfig {
        l1_block_time: args.l1_block_time,
        l2_block_time: args.l2_block_time,
        data_availability: args.data_availability,
        seq_window_size: args.seq_window_size,
        hardforks: fork_offsets(args.last_fork, args.fork_stagger),
        ..DevnetConfig::default()
    };
    if let Some(DevnetCommand::Init { dir, genesis_time }) = &args.command {
        let written = init::write(dir, &cfg, genesis_time.unwrap_or(now_ms / 1000))?;
        let files: Vec<String> = written
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        return Ok((
            format!(
                "wrote {} (L2 chain {}, genesis {})",
                files.join(", "),
                written.rollup.l2_chain_id,
                written.rollup.genesis.l2.hash
            ),
            true,
        ));
    }
    if let Some(dir) = &args.config {
        cfg = init::load(dir)?;
        let genesis = cfg.genesis_time.unwrap_or_default();
        let now = now_ms / 1000;
        if now > genesis.saturating_add(MAX_START_DELAY) || genesis > now.saturating_add(60) {
            return Err(DevnetError::Setup(format!(
                "{}: genesis time {genesis} is not within {MAX_START_DELAY} s before now ({now}); run `keel devnet init` again",
                dir.display()
            )));
        }
    }
    let mut datadir = None;
    if let Some(dir) = &args.datadir {
        if args.sequencer_l2.is_some() || args.verifier_l2.is_some() {
            return Err(DevnetError::Setup(
                "--datadir keeps only the embedded engines' chains: an external execution client keeps its own, which the devnet cannot replay or check; use --config DIR with --l2.sequencer / --l2.verifier".into(),
            ));
        }
        let (loaded, opened) = datadir::open(dir, &cfg, now_ms)?;
        cfg = loaded;
        datadir = Some(opened);
    }
    cfg.sequencer_l2 = external_l2(&args, "sequencer", &args.sequencer_l2, &args.sequencer_jwt)?;
    cfg.verifier_l2 = external_l2(&args, "verifier", &args.verifier_l2, &args.verifier_jwt)?;
    let devnet = Devnet::new(&cfg, now_ms)?;
    if let Some(dir) = args.config.as_ref().or(args.datadir.as_ref()) {
        init::check_rollup(dir, &devnet.rollup)?;
    }
    let recorder = match datadir {
        Some(d) => Some(
            d.restore(&devnet)
                .await
                .map_err(|e| DevnetError::Setup(format!("--datadir: {e}")))?,
        ),
        None => None,
    };
    let forks = devnet.rollup.hardforks;
    let seq_l2 = devnet.sequencer_l2.client(forks);
    let ver_l2 = devnet.verifier_l2.client(forks);
    // Where this run's sequencer starts: 0 on a new chain, the replayed head with --datadir.
    let start_unsafe = seq_l2
        .block_by_tag(BlockNumberOrTag::Latest)
        .await
        .ok()
        .flatten()
        .map_or(0, |(_, b)| b.header.number);
    for (node, external, l2) in [
        ("sequencer", &cfg.sequencer_l2, &seq_l2),
        ("verifier", &cfg.verifier_l2, &ver_l2),
    ] {
        if let Some(x) = external {
            external::check_genesis(l2, &devnet.rollup, node, &x.url).await?;
        }
    }
    let serve_err =
        |what: &'static str| move |e: String| DevnetError::Setup(format!("{what}: {e}"));
    let beacon = keel_devchain::l1::beacon::serve(devnet.l1.clone(), args.l1_beacon_addr)
        .await
        .map_err(|e| serve_err("L1 beacon API")(format!("{}: {e}", args.l1_beacon_addr)))?;
    let l1_rpc = keel_devchain::l1_rpc::serve(devnet.l1.clone(), args.l1_addr)
        .await
        .map_err(|e| serve_err("L1 RPC")(format!("{}: {e}", args.l1_addr)))?;
    // An external client serves its own `eth_` RPC; the devnet serves only its embedded
    // engines'.
    let seq_rpc = match &cfg.sequencer_l2 {
        Some(_) => None,
        None => Some(
            devnet
                .sequencer_engine
                .start_public_rpc(args.l2_addr)
                .await
                .map_err(|e| serve_err("L2 RPC")(format!("{}: {e}", args.l2_addr)))?,
        ),
    };
    let ver_rpc = match &cfg.verifier_l2 {
        Some(_) => None,
        None => Some(
            devnet
                .verifier_engine
                .start_public_rpc(args.verifier_l2_addr)
                .await
                .map_err(|e| {
                    serve_err("verifier L2 RPC")(format!("{}: {e}", args.verifier_l2_addr))
                })?,
        ),
    };
    let l2_url = |served: &Option<keel_devchain::rpc::EthServer>, x: &Option<ExternalL2>| match (
        served, x,
    ) {
        (Some(s), _) => s.url(),
        (None, Some(x)) => format!("{} (external execution client)", x.url),
        (None, None) => String::new(),
    };
    let (seq_handle, ver_handle) = devnet.handles();
    let seq_rollup_rpc = serve_rollup_rpc(
        &devnet.rollup,
        seq_handle,
        devnet.sequencer_l2.clone(),
        args.rollup_addr,
    )
    .await
    .map_err(|e| serve_err("rollup RPC")(e.to_string()))?;
    let ver_rollup_rpc = serve_rollup_rpc(
        &devnet.rollup,
        ver_handle,
        devnet.verifier_l2.clone(),
        args.verifier_rollup_addr,
    )
    .await
    .map_err(|e| serve_err("verifier rollup RPC")(e.to_string()))?;
    let genesis_hash = devnet.rollup.genesis.l2.hash;
    let interactive = args.until_safe.is_none();
    if interactive {
        eprintln!(
            "keel devnet: L1 chain {}, L2 chain {}",
            cfg.l1_chain_id, cfg.l2_chain_id
        );
        let lines = [
            ("L1 RPC", l1_rpc.url()),
            ("L1 beacon API", beacon.url()),
            ("L2 RPC (sequencer)", l2_url(&seq_rpc, &cfg.sequencer_l2)),
            ("L2 RPC (verifier)", l2_url(&ver_rpc, &cfg.verifier_l2)),
            ("rollup RPC (sequencer)", seq_rollup_rpc.url()),
            ("rollup RPC (verifier)", ver_rollup_rpc.url()),
            (
                "deposit portal",
                keel_devchain::l1::contracts::DEPOSIT_PORTAL.to_string(),
            ),
            (
                "system config",
                keel_devchain::l1::contracts::SYSTEM_CONFIG.to_string(),
            ),
        ];
        for (what, value) in lines {
            eprintln!("  {what:<24}{value}");
        }
        eprintln!("  funded dev accounts (L1 and L2):");
        let accounts = dev_accounts().map_err(|e| DevnetError::Setup(e.to_string()))?;
        for (a, k) in accounts.iter().zip(DEV_PRIVATE_KEYS.iter()) {
            eprintln!("    {a}  0x{}", hex::encode(k));
        }
    }
    let (status_tx, mut status_rx) = tokio::sync::watch::channel(DevnetStatus::default());
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let recorder = recorder.map(datadir::Recorder::spawn);
    let runner = tokio::spawn(devnet.run(
        async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        },
        status_tx,
    ));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.timeout_secs);
    let mut deposits = Counter::default();
    let mut last_line = (String::new(), tokio::time::Instant::now());
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let outcome = loop {
        tokio::select! {
            changed = status_rx.changed() => if changed.is_err() { break None },
            () = &mut shutdown => break None,
            () = tokio::time::sleep_until(deadline), if !interactive => break None,
        }
        let s = status_rx.borrow().clone();
        deposits
            .advance(&seq_l2, s.sequencer.heads.unsafe_head.number)
            .await;
        match args.until_safe {
            Some(n) if s.verifier.heads.safe.number >= n => break Some((n, s)),
            Some(_) => {}
            None => {
                // A line when something changed, at most every 2 s.
                let line = status_line(&s, &deposits);
                if line != last_line.0 && last_line.1.elapsed() >= Duration::from_secs(2) {
                    eprintln!("{line}");
                    last_line = (line, tokio::time::Instant::now());
                }
            }
        }
    };
    let _ = stop_tx.send(true);
    let _ = runner.await;
    if let Some(r) = recorder {
        r.finish()
            .await
            .map_err(|e| DevnetError::Setup(format!("--datadir: {e}")))?;
    }
    seq_rollup_rpc.stop().await;
    ver_rollup_rpc.stop().await;
    match (args.until_safe, outcome) {
        (Some(n), Some((_, s))) => {
            // A failed read counts as no block: the run then fails, saying why in the line.
            let ver = external::block_hash(&ver_l2, n).await.ok().flatten();
            let seq = external::block_hash(&seq_l2, n).await.ok().flatten();
            let line = serde_json::json!({
                "safe_number": n,
                "safe_hash": ver,
                "sequencer_hash_at_safe": seq,
                "deposits": deposits.deposits,
                "l2_txs": deposits.user_txs,
                "batcher_txs": s.batcher.txs_confirmed,
                "sequenced_blocks": s.sequencer.sequenced_blocks,
                "l2_genesis_hash": genesis_hash,
                "sealed_on_time": s.sequencer.sealed_on_time,
                "start_unsafe_number": start_unsafe,
            });
            Ok((line.to_string(), ver.is_some() && ver == seq))
        }
        (Some(n), None) => Ok((
            format!(
                "{{\"error\":\"the verifier's safe head did not reach {n} in {} s\"}}",
                args.timeout_secs
            ),
            false,
        )),
        (None, _) => Ok(("keel devnet stopped".to_owned(), true)),
    }
}

fn status_line(s: &DevnetStatus, c: &Counter) -> String {
    format!(
        "L1 #{} | sequencer unsafe {} ({} of {} sealed on time) safe {} finalized {} | verifier safe {} | deposits {} | l2 txs {} | batcher txs {} ({} bytes, {} channels)",
        s.sequencer.head_l1.number,
        s.sequencer.heads.unsafe_head.number,
        s.sequencer.sealed_on_time,
        s.sequencer.sequenced_blocks,
        s.sequencer.heads.safe.number,
        s.sequencer.heads.finalized.number,
        s.verifier.heads.safe.number,
        c.deposits,
        c.user_txs,
        s.batcher.txs_confirmed,
        s.batcher.bytes_posted,
        s.batcher.channels,
    )
}

/// User deposits and L2 transactions seen in the sequencer's chain so far.
#[derive(Debug, Default)]
struct Counter {
    upto: u64,
    deposits: u64,
    user_txs: u64,
}

impl Counter {
    /// Counts the blocks after the last one counted up to `head`, read from the sequencer's
    /// execution client; stops at the first block it cannot read (the next call retries).
    async fn advance(&mut self, l2: &EngineClient<DevTransport>, head: u64) {
        while self.upto < head {
            let n = self.upto + 1;
            let Ok(Some((_, b))) = l2.block_by_tag(BlockNumberOrTag::Number(n)).await else {
                return;
            };
            let txs = &b.body.transactions;
            let deposits = txs
                .iter()
                .filter(|t| matches!(t, OpTxEnvelope::Deposit(_)))
                .count() as u64;
            // The first deposit of every block is the L1-info transaction.
            self.deposits += deposits.saturating_sub(1);
            self.user_txs += (txs.len() as u64).saturating_sub(deposits);
            self.upto = n;
        }
    }
}

/// The external execution client `--l2.<node> URL --l2.<node>-jwt FILE` names, if any.
fn external_l2(
    args: &DevnetArgs,
    node: &str,
    url: &Option<reqwest::Url>,
    jwt: &Option<PathBuf>,
) -> Result<Option<ExternalL2>, DevnetError> {
    let (Some(url), Some(jwt)) = (url, jwt) else {
        return Ok(None);
    };
    if args.config.is_none() {
        return Err(DevnetError::Setup(format!(
            "--l2.{node} needs --config DIR: the external execution client must have been initialised from DIR/genesis.json (written by `keel devnet init DIR`)"
        )));
    }
    let jwt = keel_engine::jwt::read_jwt_secret(jwt)
        .map_err(|e| DevnetError::Setup(format!("--l2.{node}-jwt: {e}")))?;
    Ok(Some(ExternalL2 {
        url: url.clone(),
        jwt,
    }))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
