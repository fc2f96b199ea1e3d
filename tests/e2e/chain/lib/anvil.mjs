// Start, stop, pause and resume the local node from JavaScript, through the same
// start-anvil.sh / stop-anvil.sh that the command line uses.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { CHAIN_DIR, readEnvFile } from './state.mjs';

const run = promisify(execFile);

/**
 * Start anvil with its state in `dir`. opts: port, ttl (s), loadState, dumpState, blockTime.
 * Returns { rpcUrl, port, pid, childPid, dir }.
 */
export async function startAnvil(dir, opts = {}) {
  const env = { ...process.env, CHAIN_STATE_DIR: dir };
  if (opts.port) env.CHAIN_PORT = String(opts.port);
  if (opts.ttl !== undefined) env.CHAIN_TTL = String(opts.ttl);
  if (opts.loadState) env.CHAIN_LOAD_STATE = opts.loadState;
  if (opts.dumpState) env.CHAIN_DUMP_STATE = opts.dumpState;
  if (opts.blockTime !== undefined) env.CHAIN_BLOCK_TIME = String(opts.blockTime);
  await run('bash', [path.join(CHAIN_DIR, 'start-anvil.sh')], { env, timeout: 60_000 });
  return chainInfo(dir);
}

/** What start-anvil.sh wrote about the running node of `dir`. */
export function chainInfo(dir) {
  const e = readEnvFile(path.join(dir, 'chain.env'));
  return { rpcUrl: e.RPC_URL, port: Number(e.CHAIN_PORT), pid: Number(e.ANVIL_PID), childPid: Number(e.ANVIL_CHILD_PID), chainId: Number(e.CHAIN_ID), dir };
}

export async function stopAnvil(dir) {
  await run('bash', [path.join(CHAIN_DIR, 'stop-anvil.sh')], { env: { ...process.env, CHAIN_STATE_DIR: dir }, timeout: 30_000 });
}

/** Freeze the node (SIGSTOP): connections are accepted by the kernel but nothing answers. */
export function pauseAnvil(dir) {
  process.kill(ownChildPid(dir), 'SIGSTOP');
}

export function resumeAnvil(dir) {
  process.kill(ownChildPid(dir), 'SIGCONT');
}

function ownChildPid(dir) {
  const pid = Number(fs.readFileSync(path.join(dir, 'anvil.child.pid'), 'utf8').trim());
  const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  if (!cmd.includes('anvil')) throw new Error(`pid ${pid} is not anvil any more`);
  return pid;
}

/** Raw JSON-RPC call (no ethers), e.g. rpc(url, 'eth_blockNumber'). */
export async function rpc(url, method, params = [], timeoutMs = 5000) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const j = await res.json();
  if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
  return j.result;
}
