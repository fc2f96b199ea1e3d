// Where the chain scripts keep their files, and how they read and write them.
// One state directory describes one chain: chain.env (start-anvil.sh), deployment.json
// (deploy.mjs), fixtures.json (fixtures.mjs).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHAIN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const E2E_DIR = path.resolve(CHAIN_DIR, '..');

export function stateDir() {
  return path.resolve(process.env.CHAIN_STATE_DIR || path.join(E2E_DIR, 'state'));
}

export function readEnvFile(file) {
  const out = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** chain.env of a state dir as an object, or null when there is none. */
export function readChainEnv(dir = stateDir()) {
  const f = path.join(dir, 'chain.env');
  return fs.existsSync(f) ? readEnvFile(f) : null;
}

/** RPC URL: $RPC_URL, else the state dir's chain.env. */
export function rpcUrl(dir = stateDir()) {
  if (process.env.RPC_URL) return process.env.RPC_URL;
  const env = readChainEnv(dir);
  if (!env || !env.RPC_URL) throw new Error(`RPC_URL unset and no ${path.join(dir, 'chain.env')}: run chain/start-anvil.sh first`);
  return env.RPC_URL;
}

export function readJson(name, dir = stateDir()) {
  const f = path.join(dir, name);
  if (!fs.existsSync(f)) throw new Error(`${f} missing`);
  return JSON.parse(fs.readFileSync(f, 'utf8'));
}

export function writeJson(name, obj, dir = stateDir()) {
  fs.mkdirSync(dir, { recursive: true });
  const f = path.join(dir, name);
  const tmp = `${f}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(obj, (k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
  fs.renameSync(tmp, f);
  return f;
}

/** Bound a command-line script's whole run time: exit 124 (like timeout(1)) when it is over. */
export function deadline(seconds, what) {
  const t = setTimeout(() => {
    console.error(`${what}: gave up after ${seconds} s`);
    process.exit(124);
  }, seconds * 1000);
  t.unref();
}
