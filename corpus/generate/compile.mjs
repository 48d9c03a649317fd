// Compiles corpus/contracts/*.sol with the pinned solc from npm into corpus/build/<Contract>.json.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const here = path.dirname(fileURLToPath(import.meta.url));
const contractsDir = path.join(here, "..", "contracts");
const buildDir = path.join(here, "..", "build");

// Cancun opcodes only: every EVM lanes targets (and anvil's Prague) runs them.
export const EVM_VERSION = "cancun";

export function compile() {
  const sources = {};
  for (const file of fs.readdirSync(contractsDir).filter((f) => f.endsWith(".sol")).sort()) {
    sources[file] = { content: fs.readFileSync(path.join(contractsDir, file), "utf8") };
  }
  const input = {
    language: "Solidity",
    sources,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), {
      import: (p) => ({ contents: fs.readFileSync(path.join(contractsDir, path.basename(p)), "utf8") }),
    }),
  );
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of errors) console.error(e.formattedMessage);
  if (errors.length) throw new Error(`solc failed with ${errors.length} error(s)`);
  fs.mkdirSync(buildDir, { recursive: true });
  const artifacts = {};
  for (const [file, contracts] of Object.entries(output.contracts)) {
    for (const [name, c] of Object.entries(contracts)) {
      if (!c.evm.bytecode.object) continue; // abstract contracts and interfaces
      const artifact = {
        contractName: name,
        source: `corpus/contracts/${file}`,
        compiler: `solc ${solc.version()}`,
        evmVersion: EVM_VERSION,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      };
      fs.writeFileSync(path.join(buildDir, `${name}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
      artifacts[name] = artifact;
    }
  }
  return artifacts;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const artifacts = compile();
  console.log(`compiled ${Object.keys(artifacts).sort().join(", ")} into ${buildDir}`);
}
