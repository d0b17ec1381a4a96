// Compiles contracts/src/*.sol (L1) and contracts/src/l2/*.sol (L2 predeploys) with the solc-js
// pinned in tools/package.json and writes <out>/<Name>.json: abi, creation and runtime bytecode,
// compiler version and settings.
// Usage: node contracts/compile.cjs [out-dir]   (default contracts/out)
// Run through scripts/build-contracts.sh, which installs the pinned solc first.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const solc = require(path.join(root, 'tools', 'node_modules', 'solc'));
const outDir = path.resolve(process.argv[2] || path.join(__dirname, 'out'));

// Fixed so that the same sources always give the same bytes; the metadata hash stays in the
// bytecode so that a source edit without a rebuild is caught by the reproducibility test.
// Two compilations, one per chain, because their EVMs differ:
// - src/*.sol: the L1 dev chain's contracts, for its fork (prague).
// - src/l2/*.sol: the L2 predeploys, for shanghai, the EVM of Canyon (the earliest L2
//   genesis fork Keel builds): compiled for a later EVM, solc would emit MCOPY / TSTORE
//   (Cancun), which a chain before Ecotone does not have.
const base = {
  optimizer: { enabled: true, runs: 200 },
  metadata: { bytecodeHash: 'ipfs' },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};
const groups = [
  { dir: 'src', settings: { evmVersion: 'prague', ...base } },
  { dir: 'src/l2', settings: { evmVersion: 'shanghai', ...base } },
];

fs.mkdirSync(outDir, { recursive: true });
for (const { dir, settings } of groups) {
  const abs = path.join(__dirname, dir);
  const sources = {};
  for (const file of fs.readdirSync(abs).filter((f) => f.endsWith('.sol')).sort()) {
    sources[`${dir}/${file}`] = { content: fs.readFileSync(path.join(abs, file), 'utf8') };
  }
  const input = { language: 'Solidity', sources, settings };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) process.stderr.write(`${e.formattedMessage}\n`);
  if (errors.length > 0) process.exit(1);

  const { outputSelection, ...recorded } = settings;
  for (const [source, contracts] of Object.entries(output.contracts)) {
    for (const [name, c] of Object.entries(contracts)) {
      const artifact = {
        contractName: name,
        sourceName: source,
        compiler: { name: 'solc-js', version: solc.version(), settings: recorded },
        command: 'scripts/build-contracts.sh',
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      };
      fs.writeFileSync(path.join(outDir, `${name}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
    }
  }
}
