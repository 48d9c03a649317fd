// The corpus: setup blocks that deploy and fund the contracts, then one named block per workload.
import { calldata, cloneInitCode, create2Address, keccak, keyAddress, salt, signAuthorization } from "./chain.mjs";

const E18 = 10n ** 18n;
const MAX = 2n ** 256n - 1n;
const tokens = (n) => BigInt(n) * E18;

// Generous gas limits per kind of call (unused gas is refunded; the block has 36M).
const G = { transfer: 80_000n, approve: 70_000n, swap: 220_000n, swap2: 350_000n, mint: 150_000n, weth: 100_000n, proxy: 130_000n, clone: 300_000n, eth: 21_000n, call: 120_000n };

/// Deploys every contract, adds liquidity and gives each user tokens, WETH, approvals and an NFT.
export async function setup(chain) {
  const [deployer, ...users] = chain.accounts;
  const A = chain.artifacts;
  const w = { deployer, users, nftOwner: new Map(), nextNft: 1, cloneSalt: 1, clones: [] };

  w.A = await chain.deploy(deployer, "Token", ["Alpha", "ALP", tokens(1_000_000_000)]);
  w.B = await chain.deploy(deployer, "Token", ["Beta", "BET", tokens(1_000_000_000)]);
  w.C = await chain.deploy(deployer, "Token", ["Gamma", "GAM", tokens(1_000_000_000)]);
  w.weth = await chain.deploy(deployer, "WETH");
  w.router = await chain.deploy(deployer, "Router");
  w.implV1 = await chain.deploy(deployer, "TokenImplV1");
  w.implV2 = await chain.deploy(deployer, "TokenImplV2");
  w.factory = await chain.deploy(deployer, "CloneFactory");
  w.vault = await chain.deploy(deployer, "Vault");
  w.nft = await chain.deploy(deployer, "NFT");
  await chain.mine();
  w.receivers = [];
  for (let i = 0; i < 3; i++) w.receivers.push(await chain.deploy(deployer, "NFTReceiver"));
  w.looper = await chain.deploy(deployer, "Looper");
  w.multicall = await chain.deploy(deployer, "Multicall");
  w.probe = await chain.deploy(deployer, "Probe");
  w.bombFactory = await chain.deploy(deployer, "BombFactory");
  w.bombs = [];
  for (let i = 0; i < 6; i++) w.bombs.push(await chain.deploy(deployer, "Bomb", [], { value: E18 }));
  await chain.mine();

  w.pairAB = await chain.deploy(deployer, "Pair", [w.A, w.B]);
  w.pairBC = await chain.deploy(deployer, "Pair", [w.B, w.C]);
  w.pairAW = await chain.deploy(deployer, "Pair", [w.A, w.weth]);
  const init = calldata(A.TokenImplV1, "initialize", ["Proxied", "PRX", tokens(1_000_000_000)]);
  w.proxy = await chain.deploy(deployer, "ERC1967Proxy", [w.implV1, init]);
  await chain.call(deployer, "WETH", w.weth, "deposit", [], { value: tokens(10_000) });
  for (const t of [w.A, w.B, w.C, w.weth]) await chain.call(deployer, "Token", t, "approve", [w.router, MAX], { gas: G.approve });
  await chain.mine();

  const ordered = (x, y, ax, ay) => (BigInt(x) < BigInt(y) ? [ax, ay] : [ay, ax]);
  const liquidity = [
    [w.pairAB, ...ordered(w.A, w.B, tokens(1_000_000), tokens(1_000_000))],
    [w.pairBC, ...ordered(w.B, w.C, tokens(1_000_000), tokens(2_000_000))],
    [w.pairAW, ...ordered(w.A, w.weth, tokens(2_000_000), tokens(1_000))],
  ];
  for (const [pair, a0, a1] of liquidity) await chain.call(deployer, "Router", w.router, "addLiquidity", [pair, a0, a1, deployer], { gas: 400_000n });
  for (const u of users) {
    for (const t of [w.A, w.B, w.C]) await chain.call(deployer, "Token", t, "transfer", [u, tokens(100_000)], { gas: G.transfer });
    await chain.call(deployer, "TokenImplV2", w.proxy, "transfer", [u, tokens(100_000)], { gas: G.proxy });
  }
  await chain.call(deployer, "Token", w.A, "transfer", [w.multicall, tokens(1_000_000)], { gas: G.transfer });
  await chain.call(deployer, "Looper", w.looper, "push", [Array.from({ length: 40 }, (_, i) => i + 1)], { gas: 2_000_000n });
  await chain.mine();

  for (const u of users) {
    for (const t of [w.A, w.B, w.C, w.weth]) await chain.call(u, "Token", t, "approve", [w.router, MAX], { gas: G.approve });
  }
  await chain.mine();

  for (const u of users) {
    await mintNft(chain, w, u, u);
    await chain.call(u, "WETH", w.weth, "deposit", [], { value: tokens(10), gas: G.weth });
  }
  for (let i = 0; i < 10; i++) await newClone(chain, w, users[i]);
  await chain.mine();
  return w;
}

async function mintNft(chain, w, from, to) {
  await chain.call(from, "NFT", w.nft, "mint", [to], { gas: G.mint });
  const id = w.nextNft++;
  w.nftOwner.set(id, to);
  return id;
}

/// Clones the vault for `owner` with the next salt; returns the clone's address.
async function newClone(chain, w, owner, opts = {}) {
  const s = salt(w.cloneSalt++);
  await chain.call(owner, "CloneFactory", w.factory, "clone", [w.vault, s, owner], { gas: G.clone, ...opts });
  const address = create2Address(w.factory, s, keccak(cloneInitCode(w.vault)));
  w.clones.push(address);
  return address;
}

const swap = (chain, w, from, pairs, tokenIn, amount, minOut = 0n) =>
  chain.call(from, "Router", w.router, "swapExactIn", [pairs, tokenIn, amount, minOut, from], { gas: pairs.length > 1 ? G.swap2 : G.swap });
const transfer = (chain, from, token, to, amount) => chain.call(from, "Token", token, "transfer", [to, amount], { gas: G.transfer });
const mc = (target, data, value = 0n) => ({ target, value, data });

/// Moves an NFT its current owner holds to `to`.
async function moveNft(chain, w, id, to, how = "transferFrom") {
  const owner = w.nftOwner.get(id);
  await chain.call(owner, "NFT", w.nft, how, [owner, to, id], { gas: G.mint });
  w.nftOwner.set(id, to);
}

const COINBASE_TIP = 10n ** 15n;
const CHAIN_ID = 31337;

/// Private keys of EOAs that only ever sign EIP-7702 authorizations (sponsors pay their gas).
const authorityKey = (i) => keccak(Buffer.from(`lanes authority ${i}`).toString("hex"));

export const workloads = [
  {
    name: "erc20-transfers",
    description: "Independent ERC20 transfers: every user sends token A and token B to a random other user.",
    async build(chain, w, r) {
      for (const token of [w.A, w.B]) {
        for (const u of r.shuffle(w.users)) {
          const to = r.pick(w.users.filter((x) => x !== u));
          await transfer(chain, u, token, to, tokens(1 + r.int(500)));
        }
      }
    },
  },
  {
    name: "amm-swaps",
    description: "Swaps hammering one constant-product pair through the router in both directions, two-hop swaps through a second pair, and slippage reverts.",
    async build(chain, w, r) {
      const users = r.shuffle(w.users).slice(0, 45);
      for (const [i, u] of users.entries()) {
        await swap(chain, w, u, [w.pairAB], i % 2 ? w.A : w.B, tokens(10 + r.int(1000)));
        if (i % 4 === 0) await swap(chain, w, u, [w.pairAB, w.pairBC], w.A, tokens(10 + r.int(300)));
        if (i % 9 === 0) await swap(chain, w, u, [w.pairAB], w.A, tokens(100), tokens(1_000_000));
        if (i % 7 === 0) await swap(chain, w, u, [w.pairBC], w.C, tokens(10 + r.int(300)));
      }
    },
  },
  {
    name: "nonce-chains",
    description: "Six senders with fifteen transactions each, interleaved: ETH transfers, token transfers and WETH deposits in nonce order.",
    async build(chain, w, r) {
      const senders = w.users.slice(40, 46);
      for (let k = 0; k < 15; k++) {
        for (const s of senders) {
          const to = r.pick(w.users);
          if (k % 3 === 0) await chain.send(s, to, "0x", { value: tokens(1), gas: G.eth, kind: k % 2 ? 0 : 2 });
          else if (k % 3 === 1) await transfer(chain, s, w.C, to, tokens(1 + k));
          else await chain.call(s, "WETH", w.weth, "deposit", [], { value: 10n ** 16n * BigInt(k), gas: G.weth });
        }
      }
    },
  },
  {
    name: "proxy-token",
    description: "Calls through an EIP-1967 proxy: transfers, approve then transferFrom, burns that revert before an upgrade to V2 in the middle of the block and succeed after it.",
    async build(chain, w, r) {
      const users = r.shuffle(w.users);
      const tx = (from, fn, args) => chain.call(from, "TokenImplV2", w.proxy, fn, args, { gas: G.proxy });
      for (let i = 0; i < 24; i++) await tx(users[i], "transfer", [r.pick(w.users), tokens(1 + r.int(100))]);
      for (let i = 0; i < 3; i++) await tx(users[i], "burn", [tokens(1)]);
      for (let i = 24; i < 30; i++) await tx(users[i], "approve", [users[i + 10], tokens(50)]);
      await chain.call(w.deployer, "ERC1967Proxy", w.proxy, "upgradeTo", [w.implV2], { gas: G.call });
      for (let i = 24; i < 30; i++) await tx(users[i + 10], "transferFrom", [users[i], users[i + 20], tokens(20)]);
      for (let i = 0; i < 12; i++) await tx(users[i], "burn", [tokens(1 + i)]);
      for (let i = 30; i < 34; i++) await tx(users[i], "version", []);
      for (let i = 45; i < 59; i++) await tx(users[i], "transfer", [users[i - 45], tokens(5)]);
    },
  },
  {
    name: "reverts",
    description: "Reverting transactions of many kinds (insufficient balance or allowance, not the owner, slippage, out of gas, unknown selector, failed batch, ETH to a contract without receive) interleaved with successful ones on the same state.",
    async build(chain, w, r) {
      const users = r.shuffle(w.users);
      for (let i = 0; i < 6; i++) {
        const u = users[i * 8];
        const v = users[i * 8 + 1];
        await transfer(chain, u, w.A, v, tokens(1_000_000));
        await chain.call(v, "Token", w.A, "transferFrom", [u, v, tokens(1)], { gas: G.transfer });
        await transfer(chain, u, w.A, v, tokens(10));
        const id = [...w.nftOwner.entries()].find(([, o]) => o !== v)[0];
        await chain.call(v, "NFT", w.nft, "transferFrom", [w.nftOwner.get(id), v, id], { gas: G.mint });
        await swap(chain, w, users[i * 8 + 2], [w.pairAB], w.B, tokens(5), tokens(10));
        await chain.call(users[i * 8 + 3], "Looper", w.looper, "sum", [], { gas: 40_000n });
        await chain.send(users[i * 8 + 4], w.A, "0xdeadbeef", { gas: G.call });
        await chain.call(users[i * 8 + 5], "WETH", w.weth, "withdraw", [tokens(1_000_000)], { gas: G.weth });
        await chain.send(users[i * 8 + 6], w.B, "0x", { value: 1n, gas: G.call });
        const batch = [mc(w.A, calldata(chain.artifacts.Token, "transfer", [u, tokens(1)])), mc(w.A, calldata(chain.artifacts.Token, "transfer", [u, tokens(10_000_000)]))];
        await chain.call(users[i * 8 + 7], "Multicall", w.multicall, "aggregate", [batch], { gas: 200_000n });
        await chain.call(users[i * 8 + 7], "ERC1967Proxy", w.proxy, "upgradeTo", [w.implV1], { gas: G.call });
        await transfer(chain, v, w.A, u, tokens(3));
      }
    },
  },
  {
    name: "creations",
    description: "Contract creations: EOA deployments (tokens used in the same block, a pair, a failing constructor), CREATE2 EIP-1167 clones pinged later in the block, and a CREATE2 collision.",
    async build(chain, w, r) {
      const users = r.shuffle(w.users);
      for (let i = 0; i < 4; i++) {
        const t = await chain.deploy(users[i], "Token", [`Fresh${i}`, `FR${i}`, tokens(1000)], { gas: 1_500_000n });
        await transfer(chain, users[i], t, users[i + 10], tokens(10 + i));
      }
      await chain.deploy(users[4], "Pair", [w.A, w.C], { gas: 1_500_000n });
      await chain.deploy(users[5], "Looper", [], { gas: 1_000_000n });
      await chain.deploy(users[6], "ERC1967Proxy", [users[7], "0x"], { gas: 1_000_000n });
      const fresh = [];
      for (let i = 0; i < 20; i++) fresh.push(await newClone(chain, w, users[8 + i]));
      for (const [i, c] of fresh.entries()) await chain.call(users[30 + (i % 20)], "Vault", c, "ping", [], { gas: G.call });
      await chain.call(users[8], "CloneFactory", w.factory, "clone", [w.vault, salt(w.cloneSalt - 1), users[8]], { gas: G.clone });
      await chain.deploy(users[50], "Multicall", [], { gas: 1_000_000n });
    },
  },
  {
    name: "eth-transfers",
    description: "Plain ETH transfers of all three transaction types: between users, to fresh addresses, to the block's beneficiary, to WETH (deposit by receive), to clones and to the probe.",
    async build(chain, w, r) {
      const fresh = (i) => `0x${(0xfeed0000 + i).toString(16).padStart(40, "0")}`;
      const targets = [];
      for (let i = 0; i < 60; i++) targets.push(r.pick(w.users));
      for (let i = 0; i < 20; i++) targets.push(fresh(i));
      for (let i = 0; i < 15; i++) targets.push("coinbase");
      for (let i = 0; i < 15; i++) targets.push(w.weth);
      for (let i = 0; i < 10; i++) targets.push(w.clones[i]);
      for (let i = 0; i < 10; i++) targets.push(w.probe);
      for (const [i, t] of r.shuffle(targets).entries()) {
        const from = w.users[i % w.users.length];
        const to = t === "coinbase" ? (await chain.rpc.call("eth_getBlockByNumber", ["latest", false])).miner : t;
        const code = to === w.weth || w.clones.includes(to) || to === w.probe;
        const kind = i % 3 === 0 ? 0 : i % 5 === 0 ? 1 : 2;
        const accessList = kind === 1 ? [{ address: to, storageKeys: [] }] : [];
        await chain.send(from, to, "0x", { value: BigInt(1 + r.int(1000)) * 10n ** 15n, gas: code ? G.weth : G.eth + 5_000n, kind, accessList });
      }
    },
  },
  {
    name: "approvals",
    description: "ERC20 approvals followed by transferFrom in the same block, allowance overdrafts that revert, unlimited approvals, and revocations.",
    async build(chain, w, r) {
      const users = r.shuffle(w.users);
      const pairs = Array.from({ length: 25 }, (_, i) => [users[i], users[i + 25]]);
      for (const [o, s] of pairs) await chain.call(o, "Token", w.A, "approve", [s, tokens(100)], { gas: G.approve });
      for (const [o, s] of pairs) await chain.call(s, "Token", w.A, "transferFrom", [o, r.pick(w.users), tokens(40)], { gas: G.transfer });
      for (const [o, s] of pairs.slice(0, 10)) await chain.call(s, "Token", w.A, "transferFrom", [o, s, tokens(70)], { gas: G.transfer });
      for (const [o, s] of pairs.slice(10, 20)) await chain.call(o, "Token", w.B, "approve", [s, MAX], { gas: G.approve });
      for (const [o, s] of pairs.slice(10, 20)) await chain.call(s, "Token", w.B, "transferFrom", [o, s, tokens(7)], { gas: G.transfer });
      for (const [o, s] of pairs.slice(20, 25)) await chain.call(o, "Token", w.A, "approve", [s, 0n], { gas: G.approve });
      for (const [o, s] of pairs.slice(20, 25)) await chain.call(s, "Token", w.A, "transferFrom", [o, s, tokens(1)], { gas: G.transfer });
    },
  },
  {
    name: "nft",
    description: "ERC721: new mints (all on one id counter), transfers, safe transfers into receiver contracts, operator and single-token approvals, and unauthorised transfers that revert.",
    async build(chain, w, r) {
      const users = r.shuffle(w.users);
      for (let i = 0; i < 30; i++) await mintNft(chain, w, users[i], r.pick(w.users));
      const ids = r.shuffle([...w.nftOwner.keys()].filter((id) => id <= 59));
      for (let i = 0; i < 20; i++) await moveNft(chain, w, ids[i], r.pick(w.users));
      for (let i = 20; i < 30; i++) await moveNft(chain, w, ids[i], w.receivers[i % 3], "safeTransferFrom");
      for (let i = 30; i < 35; i++) {
        const id = ids[i];
        const owner = w.nftOwner.get(id);
        const operator = users[i];
        await chain.call(owner, "NFT", w.nft, "setApprovalForAll", [operator, true], { gas: G.call });
        await chain.call(operator, "NFT", w.nft, "transferFrom", [owner, operator, id], { gas: G.mint });
        w.nftOwner.set(id, operator);
      }
      for (let i = 35; i < 40; i++) {
        const id = ids[i];
        const owner = w.nftOwner.get(id);
        const spender = users[i + 10];
        await chain.call(owner, "NFT", w.nft, "approve", [spender, id], { gas: G.call });
        await chain.call(spender, "NFT", w.nft, "transferFrom", [owner, spender, id], { gas: G.mint });
        w.nftOwner.set(id, spender);
      }
      for (let i = 40; i < 43; i++) {
        const id = ids[i];
        const thief = w.users.find((u) => u !== w.nftOwner.get(id));
        await chain.call(thief, "NFT", w.nft, "transferFrom", [w.nftOwner.get(id), thief, id], { gas: G.mint });
      }
    },
  },
  {
    name: "multicall",
    description: "Multicall batches: token payouts from the batcher, tryAggregate with failing members, vault pings, balance probes, ETH-carrying WETH deposits, and an aggregate that reverts as a whole.",
    async build(chain, w, r) {
      const T = chain.artifacts.Token;
      const users = r.shuffle(w.users);
      for (let i = 0; i < 36; i++) {
        const u = users[i];
        const kind = i % 6;
        let calls;
        let value = 0n;
        let fn = "aggregate";
        if (kind === 0) calls = Array.from({ length: 5 }, () => mc(w.A, calldata(T, "transfer", [r.pick(w.users), tokens(1 + r.int(50))])));
        else if (kind === 1) {
          fn = "tryAggregate";
          calls = [mc(w.A, calldata(T, "transfer", [u, tokens(2)])), mc(w.B, calldata(T, "transfer", [u, tokens(2)])), mc(w.A, calldata(T, "transfer", [u, tokens(3)]))];
        } else if (kind === 2) calls = w.clones.slice(0, 4 + (i % 5)).map((c) => mc(c, calldata(chain.artifacts.Vault, "ping", [])));
        else if (kind === 3) calls = [mc(w.probe, calldata(chain.artifacts.Probe, "balances", [[u, w.weth, w.multicall]]))];
        else if (kind === 4) {
          value = 10n ** 17n;
          calls = [mc(w.weth, calldata(chain.artifacts.WETH, "deposit", []), value), mc(w.weth, calldata(T, "transfer", [u, value]))];
        } else calls = [mc(w.A, calldata(T, "transfer", [u, tokens(1)])), mc(w.nft, calldata(chain.artifacts.NFT, "transferFrom", [u, u, 1]))];
        await chain.call(u, "Multicall", w.multicall, fn, [calls], { value, gas: 600_000n });
      }
    },
  },
  {
    name: "blockhash-balance",
    description: "BLOCKHASH of recent, 256-deep, too-old and current blocks; BALANCE of users, contracts and the beneficiary; SELFBALANCE while ETH flows into the probe; a branch on the beneficiary's balance; tips paid to the beneficiary by a contract.",
    async build(chain, w, r) {
      const depths = [[1], [2, 3], [1, 10, 100], [255, 256], [257, 300], [0, 1], [5, 6, 7, 8]];
      const users = r.shuffle(w.users);
      for (let i = 0; i < 42; i++) {
        const u = users[i % users.length];
        const k = i % 6;
        if (k === 0) await chain.call(u, "Probe", w.probe, "hashes", [depths[(i / 6) % depths.length]], { gas: 400_000n });
        else if (k === 1) await chain.call(u, "Probe", w.probe, "balances", [[u, r.pick(w.users), w.weth, w.probe, w.bombs[0]]], { gas: 200_000n });
        else if (k === 2) await chain.send(u, w.probe, "0x", { value: tokens(1), gas: 40_000n });
        else if (k === 3) await chain.call(u, "Probe", w.probe, "coinbaseRich", [10n ** 15n * BigInt(i)], { gas: 100_000n });
        else if (k === 4) await chain.call(u, "Probe", w.probe, "tip", [], { value: COINBASE_TIP, gas: 100_000n });
        else await chain.call(u, "Probe", w.probe, "hashes", [[1 + r.int(255)]], { gas: 200_000n });
      }
    },
  },
  {
    name: "selfdestruct",
    description: "SELFDESTRUCT under EIP-6780: pre-existing bombs only hand over their balance (and can be detonated twice), bombs created and destroyed in one transaction vanish, CREATE2 bombs built and detonated in separate transactions, ETH sent to detonated bombs.",
    async build(chain, w, r) {
      const users = r.shuffle(w.users);
      const bombInitHash = keccak(chain.artifacts.Bomb.bytecode);
      for (const [i, b] of w.bombs.entries()) await chain.call(users[i], "Bomb", b, "detonate", [users[i + 10]], { gas: G.call });
      for (let i = 0; i < 10; i++) await chain.call(users[20 + i], "BombFactory", w.bombFactory, "buildAndDetonate", [users[30 + i]], { value: 10n ** 16n, gas: 400_000n });
      for (let i = 0; i < 5; i++) {
        const s = salt(1000 + i);
        await chain.call(users[40 + i], "BombFactory", w.bombFactory, "build", [s], { value: 10n ** 16n, gas: 400_000n });
        const bomb = create2Address(w.bombFactory, s, bombInitHash);
        await chain.call(users[45 + i], "Bomb", bomb, "detonate", [users[i]], { gas: G.call });
      }
      for (const b of w.bombs.slice(0, 3)) await chain.send(users[50], b, "0x", { value: 10n ** 16n, gas: 40_000n });
      await chain.call(users[51], "Bomb", w.bombs[0], "detonate", [users[52]], { gas: G.call });
    },
  },
  {
    name: "storage-loops",
    description: "Loops over a storage array whose length changes within the block: pushes, sums over every element, bumps from varying indices, pops, and a sum that runs out of gas.",
    async build(chain, w, r) {
      const users = r.shuffle(w.users);
      for (let i = 0; i < 32; i++) {
        const u = users[i];
        const k = i % 4;
        if (k === 0) await chain.call(u, "Looper", w.looper, "push", [Array.from({ length: 3 + r.int(10) }, () => r.int(1000))], { gas: 1_000_000n });
        else if (k === 1) await chain.call(u, "Looper", w.looper, "sum", [], { gas: 1_500_000n });
        else if (k === 2) await chain.call(u, "Looper", w.looper, "bump", [r.int(60), 1 + r.int(9)], { gas: 1_500_000n });
        else if (i % 8 === 3) await chain.call(u, "Looper", w.looper, "pop", [1 + r.int(3)], { gas: 200_000n });
        else await chain.call(u, "Looper", w.looper, "sum", [], { gas: 60_000n });
      }
    },
  },
  {
    name: "weth",
    description: "WETH traffic: deposits (the contract's ETH balance and supply are hot), withdrawals, WETH transfers, and swaps on the token/WETH pair.",
    async build(chain, w, r) {
      const users = r.shuffle(w.users);
      for (let i = 0; i < 100; i++) {
        const u = users[i % users.length];
        const k = i % 10;
        if (k < 5) await chain.call(u, "WETH", w.weth, "deposit", [], { value: 10n ** 16n * BigInt(1 + r.int(100)), gas: G.weth });
        else if (k < 7) await chain.call(u, "WETH", w.weth, "withdraw", [10n ** 16n * BigInt(1 + r.int(50))], { gas: G.weth });
        else if (k < 9) await chain.call(u, "WETH", w.weth, "transfer", [r.pick(w.users), 10n ** 15n * BigInt(1 + r.int(100))], { gas: G.transfer });
        else await swap(chain, w, u, [w.pairAW], i % 20 === 9 ? w.A : w.weth, i % 20 === 9 ? tokens(100 + r.int(900)) : 10n ** 16n * BigInt(1 + r.int(20)));
      }
    },
  },
  {
    name: "mixed",
    description: "A realistic mix of everything above in one block: transfers, swaps, ETH payments, mints, WETH, proxy calls, clone pings, probes, batches and loops.",
    async build(chain, w, r) {
      const T = chain.artifacts.Token;
      const ops = [
        (u) => transfer(chain, u, r.pick([w.A, w.B, w.C]), r.pick(w.users), tokens(1 + r.int(100))),
        (u) => transfer(chain, u, r.pick([w.A, w.B, w.C]), r.pick(w.users), tokens(1 + r.int(100))),
        (u) => swap(chain, w, u, [w.pairAB], r.pick([w.A, w.B]), tokens(1 + r.int(500))),
        (u) => chain.send(u, r.pick(w.users), "0x", { value: 10n ** 15n * BigInt(1 + r.int(100)), gas: G.eth, kind: r.int(3) }),
        (u) => mintNft(chain, w, u, u),
        (u) => chain.call(u, "WETH", w.weth, "deposit", [], { value: 10n ** 16n, gas: G.weth }),
        (u) => chain.call(u, "TokenImplV2", w.proxy, "transfer", [r.pick(w.users), tokens(1)], { gas: G.proxy }),
        (u) => chain.call(u, "Vault", r.pick(w.clones), "ping", [], { gas: G.call }),
        (u) => chain.call(u, "Probe", w.probe, "hashes", [[1 + r.int(20)]], { gas: 200_000n }),
        (u) => chain.call(u, "Multicall", w.multicall, "aggregate", [[mc(w.A, calldata(T, "transfer", [u, tokens(1)]))]], { gas: 200_000n }),
        (u) => chain.call(u, "Token", w.B, "approve", [r.pick(w.users), tokens(5)], { gas: G.approve }),
      ];
      for (let i = 0; i < 200; i++) {
        const u = w.users[r.int(w.users.length)];
        await r.pick(ops)(u);
      }
    },
  },
  {
    name: "eip7702",
    description: "EIP-7702 (type 4) delegations: sponsored authorizations that delegate fresh EOAs to the vault and call them in the same transaction, later calls and ETH into delegated EOAs, a three-authorization list, re-delegation to the probe, revocation, and authorizations skipped for a wrong nonce or chain id.",
    async build(chain, w, r) {
      const V = chain.artifacts.Vault;
      const users = r.shuffle(w.users);
      const keys = Array.from({ length: 12 }, (_, i) => authorityKey(i));
      const eoas = keys.map(keyAddress);
      const nonces = eoas.map(() => 0);
      const auth = (i, target, { nonce = nonces[i], chainId = CHAIN_ID } = {}) => {
        const signed = signAuthorization(keys[i], chainId, target, nonce);
        if (nonce === nonces[i] && chainId === CHAIN_ID) nonces[i] += 1;
        return signed;
      };
      const type4 = (from, to, data, authorizationList, gas = 300_000n) =>
        chain.send(from, to, data, { gas, authorizationList });
      // Delegate and call in one transaction, paid by a sponsor.
      for (let i = 0; i < 8; i++) await type4(users[i], eoas[i], calldata(V, "ping", []), [auth(i, w.vault)]);
      // The delegated EOAs now run the vault's code for anyone.
      for (let i = 0; i < 8; i++) await chain.call(users[8 + i], "Vault", eoas[i], "ping", [], { gas: G.call });
      for (let i = 0; i < 4; i++) await chain.call(users[16 + i], "Vault", eoas[i], "initialize", [users[16 + i]], { gas: G.call });
      for (let i = 0; i < 4; i++) await chain.send(users[20 + i], eoas[4 + i], "0x", { value: 10n ** 16n, gas: 60_000n });
      // One transaction, three authorizations, a call into one of them.
      await type4(users[24], eoas[8], calldata(V, "ping", []), [auth(8, w.vault), auth(9, w.vault), auth(10, w.vault)], 400_000n);
      await chain.call(users[25], "Vault", eoas[9], "ping", [], { gas: G.call });
      // Re-delegation to the probe: the same EOA runs other code from here on.
      await type4(users[26], eoas[0], calldata(chain.artifacts.Probe, "balances", [[eoas[0], eoas[1], users[26]]]), [auth(0, w.probe)]);
      await chain.call(users[27], "Probe", eoas[0], "hashes", [[1, 2]], { gas: 200_000n });
      // Revocation (delegation to the zero address): eoas[1] is a plain account again.
      await type4(users[28], users[29], "0x", [auth(1, "0x0000000000000000000000000000000000000000")], 100_000n);
      await chain.send(users[30], eoas[1], "0x", { value: 10n ** 16n, gas: 60_000n });
      // Skipped authorizations: a stale nonce and a foreign chain id; the calls still run.
      await type4(users[31], eoas[2], calldata(V, "ping", []), [auth(2, w.probe, { nonce: 0 })]);
      await type4(users[32], eoas[11], calldata(V, "ping", []), [auth(11, w.vault, { chainId: 1 })]);
      for (let i = 0; i < 6; i++) await chain.call(users[33 + i], "Vault", eoas[2 + i], "ping", [], { gas: G.call });
    },
  },
];
