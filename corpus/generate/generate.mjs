// Regenerates corpus/blocks/: compiles corpus/contracts, starts anvil (auto-mining off), deploys the
// contracts in setup blocks, mines the named blocks of workloads.mjs, and writes each one with
// `lanes fetch`. Usage: node corpus/generate/generate.mjs [--dry-run]  (see corpus/README.md).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { anvilPath, calldata, createAddress, deployData, hex, startAnvil } from "./chain.mjs";
import { compile } from "./compile.mjs";
import { setup, workloads } from "./workloads.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const blocksDir = path.join(root, "corpus", "blocks");
/// The lanes binary that fetches the blocks: $LANES_BIN, or the workspace's debug build.
const lanesBin = process.env.LANES_BIN ?? path.join(root, "target", "debug", "lanes");

/// Fixed so that regenerating gives the same blocks: genesis time, block interval, fork, coinbase.
const GENESIS_TIMESTAMP = 1767225600; // 2026-01-01T00:00:00Z
const BLOCK_INTERVAL = 12;
const HARDFORK = "prague";
const COINBASE = "0x00000000000000000000000000000000c0ffee01";
const GAS_LIMIT = 36_000_000n;
const GWEI = 1_000_000_000n;

/// A deterministic PRNG (mulberry32).
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    shuffle: (xs) => {
      const ys = [...xs];
      for (let i = ys.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [ys[i], ys[j]] = [ys[j], ys[i]];
      }
      return ys;
    },
  };
}

/// Queues transactions with explicit nonces, gas and fees (no estimation against stale state),
/// and mines them into one block each time `mine` is called.
class Chain {
  constructor(rpc, artifacts, accounts) {
    this.rpc = rpc;
    this.artifacts = artifacts;
    this.accounts = accounts;
    this.nonces = new Map();
    this.pending = [];
    this.pendingGas = 0n;
    this.timestamp = GENESIS_TIMESTAMP;
    this.rand = rng(0x1a9e5);
    this.named = [];
  }

  async init() {
    for (const a of this.accounts) this.nonces.set(a, Number(await this.rpc.call("eth_getTransactionCount", [a, "latest"])));
  }

  nonce(from) {
    return this.nonces.get(from);
  }

  /// Queues a transaction; `kind` is 2 (EIP-1559, default), 1 (EIP-2930) or 0 (legacy); an
  /// `authorizationList` makes it EIP-7702 (type 4).
  async send(from, to, data = "0x", { value = 0n, gas = 200_000n, kind = 2, accessList = [], authorizationList } = {}) {
    const nonce = this.nonces.get(from);
    if (nonce === undefined) throw new Error(`${from} is not an unlocked account`);
    const tx = { from, data, value: hex(value), gas: hex(gas), nonce: hex(nonce) };
    if (to) tx.to = to;
    if (kind === 0) {
      tx.gasPrice = hex(20n * GWEI + BigInt(this.rand.int(5)) * GWEI);
    } else {
      tx.maxFeePerGas = hex(50n * GWEI);
      tx.maxPriorityFeePerGas = hex(BigInt(1 + this.rand.int(3)) * GWEI);
      if (kind === 1) {
        delete tx.maxFeePerGas;
        delete tx.maxPriorityFeePerGas;
        tx.gasPrice = hex(30n * GWEI);
        tx.accessList = accessList;
        tx.type = "0x1";
      }
    }
    if (authorizationList) tx.authorizationList = authorizationList;
    this.pendingGas += BigInt(gas);
    if (this.pendingGas > GAS_LIMIT) throw new Error(`block over the gas limit at tx ${this.pending.length}`);
    const hash = await this.rpc.call("eth_sendTransaction", [tx]);
    this.nonces.set(from, nonce + 1);
    this.pending.push(hash);
    return hash;
  }

  /// Calls `fn(args)` on the contract at `to` built from `artifact`.
  call(from, artifact, to, fn, args, opts) {
    return this.send(from, to, calldata(this.artifacts[artifact], fn, args), opts);
  }

  /// Deploys `artifact`; returns the address it will have.
  async deploy(from, artifact, args = [], opts = {}) {
    const address = createAddress(from, this.nonce(from));
    await this.send(from, null, deployData(this.artifacts[artifact], args), { gas: 2_500_000n, ...opts });
    return address;
  }

  /// Mines everything queued into one block; a named block is fetched into corpus/blocks/<name>.
  async mine(name, description) {
    this.timestamp += BLOCK_INTERVAL;
    await this.rpc.call("evm_setNextBlockTimestamp", [this.timestamp]);
    await this.rpc.call("evm_mine", []);
    const block = await this.rpc.call("eth_getBlockByNumber", ["latest", false]);
    if (block.transactions.length !== this.pending.length) {
      throw new Error(`block ${name ?? "setup"}: mined ${block.transactions.length} of ${this.pending.length} transactions`);
    }
    const receipts = await this.rpc.call("eth_getBlockReceipts", [block.number]);
    const reverted = receipts.filter((r) => r.status !== "0x1").length;
    const number = Number(block.number);
    if (name) {
      this.named.push({ name, number, txs: block.transactions.length, reverted, gasUsed: Number(block.gasUsed), description });
      console.log(`${name}: block ${number}, ${block.transactions.length} txs (${reverted} reverted), ${Number(block.gasUsed)} gas`);
    } else if (reverted) {
      const bad = receipts.filter((r) => r.status !== "0x1").map((r) => r.transactionIndex);
      throw new Error(`setup block ${number}: transactions ${bad} reverted`);
    }
    this.pending = [];
    this.pendingGas = 0n;
    return number;
  }

  /// Mines `count` empty blocks (history for BLOCKHASH).
  async mineEmpty(count) {
    await this.rpc.call("anvil_mine", [hex(count), hex(BLOCK_INTERVAL)]);
    this.timestamp += count * BLOCK_INTERVAL;
  }
}

function lanesFetch(url, number, dest) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lanes-corpus-"));
  const args = ["fetch", "--rpc", url, "--block", String(number), "--out", tmp];
  const res = spawnSync(lanesBin, args, { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  if (res.status !== 0) throw new Error(`lanes fetch of block ${number} failed`);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.cpSync(path.join(tmp, String(number)), dest, { recursive: true }); // tmp may be on another filesystem
  fs.rmSync(tmp, { recursive: true, force: true });
}

async function main() {
  const artifacts = compile();
  const { rpc, child, url } = await startAnvil(anvilPath(root), [
    "--no-mining",
    "--order", "fifo",
    "--hardfork", HARDFORK,
    "--accounts", "60",
    "--balance", "1000000",
    "--timestamp", String(GENESIS_TIMESTAMP),
    "--gas-limit", String(GAS_LIMIT),
    "--silent",
  ]);
  try {
    await rpc.call("anvil_setCoinbase", [COINBASE]);
    const chain = new Chain(rpc, artifacts, await rpc.call("eth_accounts"));
    await chain.init();
    const world = await setup(chain);
    await chain.mineEmpty(300);
    for (const workload of workloads) {
      await workload.build(chain, world, chain.rand);
      await chain.mine(workload.name, workload.description);
    }
    if (process.argv.includes("--dry-run")) return;
    fs.mkdirSync(blocksDir, { recursive: true });
    if (!process.env.LANES_BIN && spawnSync("cargo", ["build", "--quiet", "-p", "lanes"], { cwd: root, stdio: "inherit" }).status !== 0) {
      throw new Error("cargo build -p lanes failed");
    }
    for (const b of chain.named) lanesFetch(url, b.number, path.join(blocksDir, b.name));
    const manifest = { generator: "corpus/generate/generate.mjs", hardfork: HARDFORK, chainId: 31337, blocks: chain.named };
    fs.writeFileSync(path.join(root, "corpus", "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`wrote ${chain.named.length} blocks into ${blocksDir}`);
  } finally {
    child.kill();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
