// Just enough Ethereum for the generator: ABI encoding, CREATE/CREATE2 addresses, JSON-RPC over
// fetch(), and an anvil process with auto-mining off.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import sha3 from "js-sha3";

export const keccak = (hex) => `0x${sha3.keccak_256(Buffer.from(strip(hex), "hex"))}`;
const strip = (hex) => (hex.startsWith("0x") ? hex.slice(2) : hex);
const word = (n) => BigInt.asUintN(256, BigInt(n)).toString(16).padStart(64, "0");

/// The canonical type of an ABI parameter, tuples spelled out.
function canonical(param) {
  if (!param.type.startsWith("tuple")) return param.type;
  return `(${param.components.map(canonical).join(",")})${param.type.slice(5)}`;
}

function isDynamic(param) {
  const t = param.type;
  if (t === "bytes" || t === "string" || t.endsWith("[]")) return true;
  if (t === "tuple") return param.components.some(isDynamic);
  return false;
}

function encodeValue(param, value) {
  const t = param.type;
  if (t.endsWith("[]")) {
    const inner = { ...param, type: t.slice(0, -2) };
    return word(value.length) + encodeTuple(value.map(() => inner), value);
  }
  if (t === "tuple") return encodeTuple(param.components, param.components.map((c) => value[c.name]));
  if (t === "address") return strip(value).toLowerCase().padStart(64, "0");
  if (t === "bool") return word(value ? 1 : 0);
  if (t === "bytes32") return strip(value).padEnd(64, "0");
  if (t === "bytes" || t === "string") {
    const hex = t === "string" ? Buffer.from(value, "utf8").toString("hex") : strip(value);
    const len = hex.length / 2;
    return word(len) + hex.padEnd(Math.ceil(len / 32) * 64, "0");
  }
  if (/^u?int\d*$/.test(t)) return word(value);
  throw new Error(`unsupported ABI type ${t}`);
}

function encodeTuple(params, values) {
  let head = "";
  let tail = "";
  const headSize = params.length * 32;
  params.forEach((p, i) => {
    const enc = encodeValue(p, values[i]);
    if (isDynamic(p)) {
      head += word(headSize + tail.length / 2);
      tail += enc;
    } else {
      head += enc;
    }
  });
  return head + tail;
}

/// Calldata for `name(args)` of an artifact's ABI (the first overload with that many inputs).
export function calldata(artifact, name, args = []) {
  const fn = artifact.abi.find((f) => f.type === "function" && f.name === name && f.inputs.length === args.length);
  if (!fn) throw new Error(`${artifact.contractName} has no ${name}/${args.length}`);
  const signature = `${name}(${fn.inputs.map(canonical).join(",")})`;
  return keccak(Buffer.from(signature).toString("hex")).slice(0, 10) + encodeTuple(fn.inputs, args);
}

/// Creation code followed by the encoded constructor arguments.
export function deployData(artifact, args = []) {
  const ctor = artifact.abi.find((f) => f.type === "constructor");
  return artifact.bytecode + (ctor ? encodeTuple(ctor.inputs, args) : "");
}

function rlpBytes(hex) {
  const b = strip(hex);
  if (b.length === 2 && parseInt(b, 16) < 0x80) return b;
  return (0x80 + b.length / 2).toString(16) + b;
}

/// The address of the contract that `sender` creates with `nonce` (CREATE).
export function createAddress(sender, nonce) {
  let n = nonce === 0 ? "" : nonce.toString(16);
  if (n.length % 2) n = `0${n}`;
  const body = rlpBytes(sender) + (nonce === 0 ? "80" : rlpBytes(n));
  return `0x${keccak((0xc0 + body.length / 2).toString(16) + body).slice(-40)}`;
}

/// The address of a CREATE2 deployment.
export function create2Address(deployer, salt, initCodeHash) {
  return `0x${keccak(`ff${strip(deployer)}${strip(salt)}${strip(initCodeHash)}`).slice(-40)}`;
}

/// EIP-1167 creation code for a clone of `implementation`.
export function cloneInitCode(implementation) {
  return `0x3d602d80600a3d3981f3363d3d373d3d3d363d73${strip(implementation).toLowerCase()}5af43d82803e903d91602b57fd5bf3`;
}

export const hex = (n) => `0x${BigInt(n).toString(16)}`;
export const salt = (n) => `0x${word(n)}`;

/// A JSON-RPC client.
export class Rpc {
  constructor(url) {
    this.url = url;
    this.id = 0;
  }

  async call(method, params = []) {
    const res = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++this.id, method, params }),
    });
    const body = await res.json();
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  }
}

/// A free TCP port on 127.0.0.1.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/// The anvil binary: $LANES_ANVIL, then the project's .tools/, then PATH.
export function anvilPath(root) {
  const local = path.join(root, ".tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
  if (process.env.LANES_ANVIL) return process.env.LANES_ANVIL;
  if (fs.existsSync(local)) return local;
  return "anvil";
}

/// Starts anvil with auto-mining off and waits until it answers.
export async function startAnvil(binary, args) {
  const port = await freePort();
  const child = spawn(binary, ["--host", "127.0.0.1", "--port", String(port), ...args], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  child.on("error", (e) => {
    console.error(`cannot start ${binary}: ${e.message}; run \`npm install --prefix .tools @foundry-rs/anvil-linux-amd64\``);
    process.exit(1);
  });
  const rpc = new Rpc(`http://127.0.0.1:${port}`);
  for (let i = 0; i < 100; i++) {
    try {
      await rpc.call("eth_chainId");
      return { rpc, child, url: rpc.url };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill();
  throw new Error("anvil did not start");
}

// secp256k1, only for EIP-7702 authorizations (anvil signs the transactions themselves).
const SECP_P = 2n ** 256n - 2n ** 32n - 977n;
const SECP_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SECP_G = [
  0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n,
  0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n,
];
const mod = (a, m) => ((a % m) + m) % m;
function modPow(b, e, m) {
  let r = 1n;
  b = mod(b, m);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}
const inv = (a, m) => modPow(a, m - 2n, m);
function pointAdd(p, q) {
  if (!p) return q;
  if (!q) return p;
  if (p[0] === q[0] && mod(p[1] + q[1], SECP_P) === 0n) return null;
  const l = p[0] === q[0] && p[1] === q[1]
    ? mod(3n * p[0] * p[0] * inv(2n * p[1], SECP_P), SECP_P)
    : mod((q[1] - p[1]) * inv(q[0] - p[0], SECP_P), SECP_P);
  const x = mod(l * l - p[0] - q[0], SECP_P);
  return [x, mod(l * (p[0] - x) - p[1], SECP_P)];
}
function pointMul(k, p = SECP_G) {
  let r = null;
  for (let add = p; k > 0n; k >>= 1n, add = pointAdd(add, add)) if (k & 1n) r = pointAdd(r, add);
  return r;
}

/// The address of a private key.
export function keyAddress(key) {
  const [x, y] = pointMul(BigInt(key));
  return `0x${keccak(word(x) + word(y)).slice(-40)}`;
}

function rlpInt(n) {
  if (n === 0n) return "80";
  let h = n.toString(16);
  if (h.length % 2) h = `0${h}`;
  return rlpBytes(h);
}

/// An EIP-7702 authorization `(chainId, address, nonce)` signed by `key`, in JSON-RPC form.
export function signAuthorization(key, chainId, address, nonce) {
  const body = rlpInt(BigInt(chainId)) + rlpBytes(address) + rlpInt(BigInt(nonce));
  const z = BigInt(keccak(`05${(0xc0 + body.length / 2).toString(16)}${body}`));
  const d = BigInt(key);
  // A deterministic nonce (not RFC 6979, but never reused across messages or keys).
  const k = (BigInt(keccak(word(d) + word(z))) % (SECP_N - 1n)) + 1n;
  const [rx, ry] = pointMul(k);
  const r = rx % SECP_N;
  let s = mod(inv(k, SECP_N) * (z + r * d), SECP_N);
  let yParity = Number(ry & 1n);
  if (s > SECP_N / 2n) {
    s = SECP_N - s;
    yParity ^= 1;
  }
  return { chainId: hex(chainId), address, nonce: hex(nonce), yParity: hex(yParity), r: hex(r), s: hex(s) };
}
