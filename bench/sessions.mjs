// Session-generation benchmark (issue 3): POST /tee/sessions throughput and latency with W
// concurrent workers on the local chain, the JSON-RPC requests each session costs at the node,
// and the node's own eth_call round trip as the floor. Figures, not a test: exits 0 whatever
// they are (1 only when the bench cannot run: no anvil, no daemon binary, the world not built).
//
//   node bench/sessions.mjs                  (bench/run.sh runs it as a stage)
//
// Reuses the e2e harness (tests/e2e: anvil + PoCo 6.1.0, deals signed with ethers, the SPS
// stand-in's server and validator, the counting JSON-RPC proxy), so `npm ci` must have run in
// tests/e2e (tests/e2e/run.sh and bench/run.sh do it). One Gramine daemon (SPS over plain HTTP:
// the provisioner with the least work of its own) reaches the node through the counting proxy;
// logging at INFO as in production. The SPS stand-in and the proxy run in a child process of
// their own (this file with --stand-ins, driven over IPC), so that their event loop does not
// delay the workers' and their CPU is counted apart. One deal of T tasks, all initialized, a
// challenge per task (as the scheduler does; counted), then:
//   1. first sessions, one at a time, proxy counted per session: task 0 (first of the deal)
//      and tasks 1..7 (first of a task of a known deal);
//   2. warm-up: one session per remaining task, W at a time;
//   3. ROUNDS rounds of N sessions by W workers (closed loop, one request in flight each,
//      requests signed before the clock starts), tasks round-robin: sessions/s, p50/p99,
//      proxy requests / sessions, CPU per session of the daemon, anvil, stand-ins, workers;
//   4. one worker, 100 sessions one at a time: the latency without queueing;
//   5. the floor: E sequential eth_call viewTaskABILegacy on the node directly (and through
//      the proxy), keep-alive, p50/p99.
//
// Env: SMS_BIN (default <repo>/build/iexec-sms, or $BUILD_DIR/iexec-sms), BENCH_TMPDIR,
//      BENCH_SESSIONS_WORKERS (8), BENCH_SESSIONS_TASKS (64), BENCH_SESSIONS_COUNT (400 per
//      round), BENCH_ROUNDS (3), BENCH_SESSIONS_FLOOR_CALLS (200),
//      BENCH_SESSIONS_SECONDS (150: past it, the measurement stops and what was measured is
//      printed; everything is stopped within ~20 s more whatever happens).
// Output: progress and a table on stdout, one line "RESULT key=value ..." for bench/run.sh.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import '../tests/e2e/lib/quiet.mjs';
import { setupChain } from '../tests/e2e/lib/chain.mjs';
import { startDaemon } from '../tests/e2e/lib/daemon.mjs';
import { freePort } from '../tests/e2e/lib/http.mjs';
import { startRpcProxy } from '../tests/e2e/lib/rpc-proxy.mjs';
import { pipelinesFor, ENCLAVE_ENDPOINT, PROVISIONER_TIMEOUT_MS } from '../tests/e2e/lib/tee-stack.mjs';
import { challengeRequest, sessionRequest } from '../tests/e2e/lib/tee.mjs';
import { pushWeb2, NAMES } from '../tests/e2e/lib/push.mjs';
import { validateGramineSession } from '../tests/e2e/provisioners/sps.mjs';
import { startServer } from '../tests/e2e/provisioners/server.mjs';
import { dealMaker, enclaveConfig } from '../tests/e2e/chain/lib/deals.mjs';
import { createApp, createWorkerpool } from '../tests/e2e/chain/lib/fixtures.mjs';
import { addressOf } from '../tests/e2e/chain/lib/accounts.mjs';
import { chainInfo } from '../tests/e2e/chain/lib/anvil.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const envInt = (name, def, min = 1) => {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) { console.error(`sessions: ${name}=${v}: expected an integer >= ${min}`); process.exit(2); }
  return n;
};
const SMS_BIN = path.resolve(process.env.SMS_BIN || path.join(process.env.BUILD_DIR || path.join(ROOT, 'build'), 'iexec-sms'));
const WORKERS = envInt('BENCH_SESSIONS_WORKERS', 8);
const TASKS = envInt('BENCH_SESSIONS_TASKS', 64, 9);
const COUNT = envInt('BENCH_SESSIONS_COUNT', 400);
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const FLOOR_CALLS = envInt('BENCH_SESSIONS_FLOOR_CALLS', 200, 10);
const MAX_SECONDS = envInt('BENCH_SESSIONS_SECONDS', 150, 10);
const FIRST_TASKS = 8; // tasks 0..7 get their first session one at a time, counted
const SEQ_COUNT = 100; // sessions of the one-worker latency run
const T_START = Date.now();
const deadline = T_START + MAX_SECONDS * 1000;
const timeLeft = () => deadline - Date.now();

const log = (...a) => console.log(...a);
const warn = (...a) => console.error('sessions:', ...a);

// ---- teardown: everything started is registered here and stopped on every exit path ----
const cleanups = [];
let tearingDown = null;
function teardown() {
  if (!tearingDown) {
    tearingDown = (async () => {
      for (const fn of cleanups.reverse()) {
        try { await fn(); } catch (e) { warn(`cleanup: ${e.message}`); }
      }
    })();
  }
  return tearingDown;
}

// ---- small helpers ----
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] : NaN);
const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const clkTck = 100; // Linux USER_HZ: /proc/<pid>/stat times are in 1/100 s on every Linux ABI
function cpuTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
  } catch {
    return NaN;
  }
}

/** POST with a keep-alive agent; resolves { status, text, ms }. */
function post(agent, base, req, timeoutMs = 20_000) {
  const u = new URL(base);
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const r = http.request({
      host: u.hostname, port: u.port, method: req.method, path: req.path, agent, timeout: timeoutMs,
      headers: { ...req.headers, 'Content-Length': Buffer.byteLength(req.body || '') },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      res.on('error', (e) => resolve({ status: 0, text: e.message, ms: NaN }));
    });
    r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', (e) => resolve({ status: 0, text: e.message, ms: NaN }));
    r.end(req.body || '');
  });
}

/** n sequential eth_call viewTaskABILegacy(taskid) on url (keep-alive): sorted latencies (ms). */
async function ethCallRtts(url, hub, taskid, n) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const data = `0x248ad6a0${taskid.slice(2)}`;
  const body = (id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'eth_call', params: [{ to: hub, data }, 'latest'] });
  const out = [];
  try {
    for (let i = 0; i < n && timeLeft() > 0; i++) {
      const r = await post(agent, url, { method: 'POST', path: new URL(url).pathname || '/', headers: { 'Content-Type': 'application/json' }, body: body(i + 1) }, 5000);
      if (r.status !== 200 || !/"result":"0x[0-9a-f]{64}/.test(r.text)) throw new Error(`eth_call: ${r.status} ${r.text.slice(0, 200)}`);
      if (i >= 5) out.push(r.ms); // the first few open the connection and warm the node
    }
  } finally {
    agent.destroy();
  }
  return out.sort((a, b) => a - b);
}

// The SPS stand-in of tests/e2e/provisioners/sps.mjs (same skeleton, same validator), except
// that under load only one document in SAMPLE is checked in full: the full check costs more
// CPU than the daemon spends on a session, on the same 2 cores. Every document is still parsed
// and its session name checked; `strict` (set for the first sessions and the warm-up) checks
// them all.
const SAMPLE = 16;
async function startBenchSps({ login, password }) {
  const expected = `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
  let n = 0;
  const mode = { strict: true };
  const sps = await startServer({
    name: 'sps',
    path: '/api/session',
    handle(req, body) {
      if (req.headers.authorization !== expected) return { status: 401, body: { violations: ['bad or missing Basic credentials'] }, violations: ['bad Basic credentials'] };
      if (!/^application\/json\b/i.test(req.headers['content-type'] || '')) return { status: 415, body: {}, violations: [`Content-Type ${req.headers['content-type']}`] };
      let doc;
      try { doc = JSON.parse(body.toString('utf8')); } catch (e) { return { status: 400, body: {}, violations: [`JSON: ${e.message}`] }; }
      const violations = (mode.strict || n++ % SAMPLE === 0) ? validateGramineSession(doc)
        : (typeof doc.session === 'string' && /^[A-Za-z0-9]{10}0000.+$/.test(doc.session) ? [] : ['session name']);
      if (violations.length) return { status: 400, violations, body: { violations } };
      return { status: 200, body: { session: doc.session } };
    },
  });
  return Object.assign(sps, { setStrict(v) { mode.strict = v; } });
}

// ---- the stand-ins' process: the counting proxy and the SPS, driven over IPC ----
async function standInsMain() {
  let proxy = null;
  let sps = null;
  const close = async () => {
    if (sps) await sps.close().catch(() => {});
    if (proxy) await proxy.close().catch(() => {});
    sps = proxy = null;
  };
  // The parent gone (even SIGKILLed), the IPC channel closes: stop with it.
  process.on('disconnect', () => close().finally(() => process.exit(0)));
  process.on('SIGTERM', () => close().finally(() => process.exit(0)));
  process.on('SIGINT', () => {}); // the parent decides (Ctrl-C reaches the whole group)
  process.on('message', async (m) => {
    let reply;
    try {
      if (m.cmd === 'start') {
        proxy = await startRpcProxy(m.rpcUrl);
        sps = await startBenchSps({ login: m.login, password: m.password });
        reply = { proxyUrl: proxy.url, spsPort: sps.port };
      } else if (m.cmd === 'reset') {
        proxy.reset();
        sps.received.length = 0; // also bounds the memory: every document is kept until then
        sps.setStrict(m.strict !== false);
        reply = {};
      } else if (m.cmd === 'summary') {
        const rejected = sps.received.filter((e) => !(e.status >= 200 && e.status < 300) || e.violations.length);
        reply = { ...proxy.summary(), batches: undefined, documents: sps.received.length, rejected: rejected.length,
          firstRejection: rejected.length ? `${rejected[0].status} ${JSON.stringify(rejected[0].violations).slice(0, 300)}` : null };
      } else if (m.cmd === 'cpu') {
        const u = process.cpuUsage();
        reply = { us: u.user + u.system };
      } else if (m.cmd === 'stop') {
        await close();
        reply = {};
      } else {
        throw new Error(`unknown command ${m.cmd}`);
      }
      process.send({ id: m.id, ok: true, reply });
    } catch (e) {
      process.send({ id: m.id, ok: false, error: e.message });
    }
  });
  process.send({ ready: true });
}

/** Fork the stand-ins' process; returns { call(cmd, args), stop() }. */
async function forkStandIns() {
  const child = fork(fileURLToPath(import.meta.url), ['--stand-ins'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map();
  let nextId = 1;
  let exited = false;
  const gone = new Promise((resolve) => child.on('exit', () => {
    exited = true;
    for (const w of waiting.values()) w.reject(new Error('the stand-ins process exited'));
    waiting.clear();
    resolve();
  }));
  await new Promise((resolve, reject) => {
    child.once('message', (m) => (m && m.ready ? resolve() : reject(new Error('stand-ins: unexpected first message'))));
    child.once('exit', () => reject(new Error('stand-ins: exited during start-up')));
  });
  child.on('message', (m) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.reply);
    else w.reject(new Error(m.error));
  });
  return {
    pid: child.pid,
    call(cmd, args = {}) {
      if (exited) return Promise.reject(new Error('the stand-ins process exited'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        child.send({ id, cmd, ...args });
      });
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

// ---- the stack: stand-ins, Gramine daemon (INFO logging) ----
async function startGramineStack(chain) {
  const dir = fs.mkdtempSync(path.join(process.env.BENCH_TMPDIR || os.tmpdir(), 'sms-bench-sessions-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const standIns = await forkStandIns();
  cleanups.push(() => standIns.stop());
  const login = 'sps-bench-admin';
  const password = `sps-${crypto.randomBytes(12).toString('base64url')}`;
  const { proxyUrl, spsPort } = await standIns.call('start', { rpcUrl: chain.rpcUrl, login, password });
  const env = {
    IEXEC_SMS_TEE_RUNTIME_FRAMEWORK: 'gramine',
    IEXEC_LOG_LEVEL: 'INFO',
    IEXEC_SECRET_PROVISIONER_TIMEOUT_MS: String(PROVISIONER_TIMEOUT_MS),
    IEXEC_SECRET_PROVISIONER_ENCLAVE_HOSTNAME: ENCLAVE_ENDPOINT.host,
    IEXEC_SECRET_PROVISIONER_ENCLAVE_PORT: String(ENCLAVE_ENDPOINT.port),
    IEXEC_SECRET_PROVISIONER_WEB_HOSTNAME: '127.0.0.1',
    IEXEC_SECRET_PROVISIONER_WEB_PORT: String(spsPort),
    IEXEC_GRAMINE_SPS_WEB_LOGIN: login,
    IEXEC_GRAMINE_SPS_WEB_PASSWORD: password,
  };
  pipelinesFor('gramine').forEach((p, i) => {
    env[`TEE_WORKER_PIPELINES_${i}_VERSION`] = p.version;
    for (const [st, s] of [['PRE', p.pre], ['POST', p.post]]) {
      env[`TEE_WORKER_PIPELINES_${i}_${st}COMPUTE_IMAGE`] = s.image;
      env[`TEE_WORKER_PIPELINES_${i}_${st}COMPUTE_FINGERPRINT`] = s.fingerprint;
      env[`TEE_WORKER_PIPELINES_${i}_${st}COMPUTE_HEAPSIZE`] = s.heap;
      env[`TEE_WORKER_PIPELINES_${i}_${st}COMPUTE_ENTRYPOINT`] = s.entrypoint;
    }
  });
  const sms = await startDaemon({ bin: SMS_BIN, dir, port: await freePort(), rpcUrl: proxyUrl, hub: chain.hub, chainId: chain.chainId, extraEnv: env });
  cleanups.push(async () => {
    const r = await sms.stop();
    if (r.killed) warn('the daemon did not stop on SIGTERM within 10 s: killed');
  });
  return { dir, standIns, proxyUrl, sms };
}

/** W workers, closed loop, over reqs (pre-signed) in order; stops at the deadline. */
async function runLoad(base, reqs, workers) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  const lat = [];
  const bad = {};
  let next = 0;
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    for (;;) {
      if (timeLeft() <= 0) return;
      const i = next++;
      if (i >= reqs.length) return;
      const r = await post(agent, base, reqs[i]);
      if (r.status === 200) lat.push(r.ms);
      else {
        const k = `${r.status} ${r.text.slice(0, 120)}`;
        bad[k] = (bad[k] || 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  lat.sort((a, b) => a - b);
  return { ok: lat.length, secs, perS: lat.length / secs, p50: pct(lat, 0.5), p99: pct(lat, 0.99), bad };
}

async function main() {
  if (!fs.existsSync(SMS_BIN)) throw new Error(`daemon binary not found: ${SMS_BIN} (build it, or set SMS_BIN / BUILD_DIR)`);
  log(`sessions: ${WORKERS} workers, ${TASKS} tasks, ${ROUNDS} x ${COUNT} sessions, Gramine daemon ${SMS_BIN}`);

  // Chain, PoCo, then the stack while the world is built.
  let t = Date.now();
  const chainEnv = await setupChain({ ttl: MAX_SECONDS + 120 });
  cleanups.push(() => chainEnv.teardown());
  const { chain } = chainEnv;
  const anvilPid = chainInfo(chainEnv.dir).childPid;
  const chainMs = Date.now() - t;
  t = Date.now();
  const dm = dealMaker(chain);
  cleanups.push(() => dm.close());
  const stackP = startGramineStack(chain);
  const worldP = (async () => {
    const workerpool = (await createWorkerpool(chain)).address;
    const app = await createApp(chain, { mrenclave: JSON.stringify(enclaveConfig({ framework: 'GRAMINE', version: 'v1', entrypoint: '/apploader.sh' })) });
    const init = Array.from({ length: TASKS }, (_, i) => i);
    return dm.makeDeal({ tee: 'gramine', app: app.address, workerpool, params: { iexec_result_storage_provider: 'ipfs' }, volume: TASKS, init });
  })();
  // Both settle before going on, so that a failure of one does not leave the other running.
  const [stackR, dealR] = await Promise.allSettled([stackP, worldP]);
  if (stackR.status === 'rejected') throw stackR.reason;
  if (dealR.status === 'rejected') throw dealR.reason;
  const { standIns, proxyUrl, sms } = stackR.value;
  const deal = dealR.value;
  const worldMs = Date.now() - t;

  // The secrets a session reads: the requester's IPFS token and the pool's result proxy URL
  // (the worker addresses below have no token of their own, so the requester's is used).
  const requester = addressOf('requester');
  for (const [role, owner, name, value] of [
    ['requester', requester, NAMES.ipfs, `bench-token-${crypto.randomBytes(8).toString('hex')}`],
    ['workerpoolOwner', addressOf('workerpoolOwner'), NAMES.proxyUrl, 'https://result-proxy.bench.test'],
  ]) {
    const r = await pushWeb2(sms.url, role, owner, name, value);
    if (r.status !== 204) throw new Error(`pushing ${name}: ${r.status} ${r.text}`);
  }

  // A challenge per task, as the scheduler does (the daemon reads the deal once, then the tasks).
  t = Date.now();
  const agent1 = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(() => agent1.destroy());
  // Counted at the proxy: the first challenge (a deal the daemon never saw), then the others.
  const challenges = [];
  const rpcChallenge = [];
  await standIns.call('reset');
  for (const task of deal.tasks) {
    const r = await post(agent1, sms.url, await challengeRequest(task.taskid));
    if (r.status !== 200 || !/^0x[0-9a-f]{40}$/.test(r.text)) throw new Error(`challenge of task ${task.idx}: ${r.status} ${r.text}`);
    challenges.push(r.text);
    if (task.idx === 0) {
      const first = await standIns.call('summary');
      rpcChallenge.push(first.requests);
      rpcChallenge.methods = first.methods;
      await standIns.call('reset');
    }
  }
  rpcChallenge.push((await standIns.call('summary')).requests / (TASKS - 1));
  const challengesMs = Date.now() - t;

  // Worker wallets (random: no secret of their own) and every request signed before any clock.
  t = Date.now();
  const workerKeys = Array.from({ length: WORKERS }, () => `0x${crypto.randomBytes(32).toString('hex')}`);
  const signed = []; // signed[w][task]
  for (let w = 0; w < WORKERS; w++) {
    signed.push(await Promise.all(deal.tasks.map((task, k) => sessionRequest({
      taskid: task.taskid, dealid: deal.dealid, idx: task.idx, worker: workerKeys[w], enclaveChallenge: challenges[k],
    }))));
  }
  const signMs = Date.now() - t;
  log(`sessions: set-up in ${((Date.now() - T_START) / 1000).toFixed(1)} s (chain + PoCo ${chainMs} ms, stack + deal of ${TASKS} tasks ${worldMs} ms,` +
    ` ${TASKS} challenges ${challengesMs} ms, ${WORKERS * TASKS} session requests signed ${signMs} ms)`);

  // 1. First sessions, one at a time, each counted at the proxy.
  const firstCounts = [];
  const firstMethods = {};
  for (let k = 0; k < FIRST_TASKS; k++) {
    await standIns.call('reset');
    const r = await post(agent1, sms.url, signed[k % WORKERS][k]);
    if (r.status !== 200) throw new Error(`first session of task ${k}: ${r.status} ${r.text}`);
    const s = await standIns.call('summary');
    if (s.rejected) throw new Error(`the SPS stand-in rejected the first session of task ${k}: ${s.firstRejection}`);
    firstCounts.push(s.requests);
    firstMethods[k === 0 ? 'deal' : 'task'] = s.methods;
  }
  const firstOfDeal = firstCounts[0];
  const firstOfTask = firstCounts.slice(1);
  log(`sessions: JSON-RPC requests, challenge of the first task of the deal: ${rpcChallenge[0]} (${JSON.stringify(rpcChallenge.methods)});` +
    ` challenge of a task of a known deal: ${fmt(rpcChallenge[1])} on average`);
  log(`sessions: JSON-RPC requests, first session of the deal: ${firstOfDeal} (${JSON.stringify(firstMethods.deal)});` +
    ` first session of tasks 1..${FIRST_TASKS - 1}: ${firstOfTask.join(' ')} (${JSON.stringify(firstMethods.task)})`);

  // 2. Warm-up: one session of every other task, W at a time.
  const warm = await runLoad(sms.url, deal.tasks.slice(FIRST_TASKS).map((_, j) => signed[j % WORKERS][FIRST_TASKS + j]), WORKERS);
  if (Object.keys(warm.bad).length) warn(`warm-up failures: ${JSON.stringify(warm.bad)}`);

  // 3. Measured rounds: session i of a round goes to task i mod T by worker i mod W.
  const rounds = [];
  const reqs = Array.from({ length: COUNT }, (_, i) => signed[i % WORKERS][i % TASKS]);
  for (let round = 1; round <= ROUNDS; round++) {
    if (timeLeft() < 15_000) { warn(`time budget exhausted: round ${round} skipped`); break; }
    await standIns.call('reset', { strict: false });
    const { us: s0 } = await standIns.call('cpu');
    const c0 = cpuTicks(sms.proc.pid);
    const a0 = cpuTicks(anvilPid);
    const h0 = process.cpuUsage();
    const r = await runLoad(sms.url, reqs, WORKERS);
    const h1 = process.cpuUsage(h0);
    const c1 = cpuTicks(sms.proc.pid);
    const a1 = cpuTicks(anvilPid);
    const { us: s1 } = await standIns.call('cpu');
    const s = await standIns.call('summary');
    if (s.rejected) r.bad[`rejected by the SPS stand-in: ${s.firstRejection}`] = s.rejected;
    r.rpcPerSession = r.ok ? s.requests / r.ok : NaN;
    r.callsPerSession = r.ok ? s.calls / r.ok : NaN;
    r.methods = Object.fromEntries(Object.entries(s.methods).map(([m, n]) => [m, +(n / Math.max(1, r.ok)).toFixed(2)]));
    r.maxInFlight = s.maxInFlight;
    r.cpuUs = r.ok ? ((c1 - c0) / clkTck) * 1e6 / r.ok : NaN;
    r.anvilCpuUs = r.ok ? ((a1 - a0) / clkTck) * 1e6 / r.ok : NaN;
    r.clientCpuUs = r.ok ? (h1.user + h1.system) / r.ok : NaN;
    r.standInsCpuUs = r.ok ? (s1 - s0) / r.ok : NaN;
    rounds.push(r);
    log(`  round ${round}: ${fmt(r.perS, 1)} sessions/s (${r.ok} in ${fmt(r.secs, 2)} s; p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms;` +
      ` CPU/session: daemon ${fmt(r.cpuUs, 0)} us, anvil ${fmt(r.anvilCpuUs, 0)} us, SPS + proxy ${fmt(r.standInsCpuUs, 0)} us,` +
      ` workers ${fmt(r.clientCpuUs, 0)} us), ${fmt(r.rpcPerSession)} JSON-RPC requests/session` +
      ` (${fmt(r.callsPerSession)} calls: ${JSON.stringify(r.methods)}; at most ${r.maxInFlight} in flight)` +
      (Object.keys(r.bad).length ? `; failures: ${JSON.stringify(r.bad)}` : ''));
  }

  // 3b. One worker, one session at a time: the latency of a session without queueing, to set
  // beside the node's round trip.
  let seq = null;
  if (timeLeft() > 10_000) {
    await standIns.call('reset', { strict: false });
    seq = await runLoad(sms.url, reqs.slice(0, SEQ_COUNT), 1);
    const s = await standIns.call('summary');
    seq.rpcPerSession = seq.ok ? s.requests / seq.ok : NaN;
    log(`  one worker: ${seq.ok} sessions one at a time, p50 ${fmt(seq.p50)} ms, p99 ${fmt(seq.p99)} ms,` +
      ` ${fmt(seq.rpcPerSession)} JSON-RPC requests/session` + (Object.keys(seq.bad).length ? `; failures: ${JSON.stringify(seq.bad)}` : ''));
  } else {
    warn('time budget exhausted: the one-worker run is skipped');
  }

  // 4. The floor: the node's own eth_call round trip, directly and through the proxy.
  // A failure here loses only the floor, not the figures measured above.
  const rtts = async (url, n) => {
    try {
      return await ethCallRtts(url, chain.hub, deal.tasks[0].taskid, n);
    } catch (e) {
      warn(`floor: ${e.message}`);
      return [];
    }
  };
  const direct = await rtts(chain.rpcUrl, FLOOR_CALLS);
  const viaProxy = await rtts(proxyUrl, Math.min(FLOOR_CALLS, 100));
  const floor = { p50: pct(direct, 0.5), p99: pct(direct, 0.99), n: direct.length, proxyP50: pct(viaProxy, 0.5) };
  log(`  floor: eth_call viewTaskABILegacy x ${direct.length}: p50 ${fmt(floor.p50, 3)} ms, p99 ${fmt(floor.p99, 3)} ms` +
    ` (through the proxy: p50 ${fmt(floor.proxyP50, 3)} ms)`);
  return { rounds, seq, rpcChallenge, firstOfDeal, firstOfTask, floor, failures: rounds.reduce((n, r) => n + Object.values(r.bad).reduce((a, b) => a + b, 0), 0) };
}

function report(res) {
  const { rounds, floor, seq } = res;
  const med = (k) => median(rounds.map((r) => r[k]));
  const m = {
    perS: med('perS'), p50: med('p50'), p99: med('p99'), rpc: med('rpcPerSession'),
    cpu: med('cpuUs'), anvil: med('anvilCpuUs'), standIns: med('standInsCpuUs'), client: med('clientCpuUs'),
  };
  const firstTask = median(res.firstOfTask);
  // One round trip per session: a session cannot take less than the node's eth_call round
  // trip, and W workers cannot make more than W / round trip sessions a second.
  const floorPerS = WORKERS * 1000 / floor.p50;
  const seqP50 = seq ? seq.p50 : NaN;
  const seqP99 = seq ? seq.p99 : NaN;
  const row = (k, v) => log(`${k.padEnd(52)} ${String(v).padStart(14)}`);
  log('');
  row(`session figure (median of ${rounds.length} rounds)`, 'value');
  row('-'.repeat(52), '-'.repeat(14));
  row(`sessions/s, Gramine, ${WORKERS} workers, hot caches`, fmt(m.perS, 1));
  row(`session latency p50 / p99, ${WORKERS} workers (ms)`, `${fmt(m.p50)} / ${fmt(m.p99)}`);
  row('session latency p50 / p99, 1 worker (ms)', `${fmt(seqP50)} / ${fmt(seqP99)}`);
  row('CPU per session: daemon / anvil (us)', `${fmt(m.cpu, 0)} / ${fmt(m.anvil, 0)}`);
  row('CPU per session: SPS + proxy / workers (us)', `${fmt(m.standIns, 0)} / ${fmt(m.client, 0)}`);
  row('JSON-RPC requests per session, hot', fmt(m.rpc));
  row('JSON-RPC requests, first session of a task', fmt(firstTask, 0));
  row('JSON-RPC requests, first session of the deal', String(res.firstOfDeal));
  row('JSON-RPC requests, challenge: first of deal / others', `${res.rpcChallenge[0]} / ${fmt(res.rpcChallenge[1])}`);
  row('node eth_call round trip p50 / p99 (ms)', `${fmt(floor.p50, 3)} / ${fmt(floor.p99, 3)}`);
  row('  the same through the counting proxy, p50 (ms)', fmt(floor.proxyP50, 3));
  row(`floor: 1 round trip/session, ${WORKERS} workers (sessions/s)`, fmt(floorPerS, 0));
  const failures = res.failures + (seq ? Object.values(seq.bad).reduce((a, b) => a + b, 0) : 0);
  if (failures) row('failed sessions (non-200)', String(failures));
  log('');
  log(`RESULT sessions_per_s=${fmt(m.perS, 1)} p50_ms=${fmt(m.p50)} p99_ms=${fmt(m.p99)} seq_p50_ms=${fmt(seqP50)}` +
    ` seq_p99_ms=${fmt(seqP99)} rpc_per_session=${fmt(m.rpc)} rpc_first_task=${fmt(firstTask, 0)}` +
    ` rpc_first_deal=${res.firstOfDeal} rpc_challenge_first=${res.rpcChallenge[0]} rpc_challenge=${fmt(res.rpcChallenge[1])}` +
    ` ethcall_p50_ms=${fmt(floor.p50, 3)} ethcall_p99_ms=${fmt(floor.p99, 3)}` +
    ` ethcall_proxy_p50_ms=${fmt(floor.proxyP50, 3)} floor_per_s=${fmt(floorPerS, 0)} cpu_us=${fmt(m.cpu, 0)}` +
    ` anvil_cpu_us=${fmt(m.anvil, 0)} standins_cpu_us=${fmt(m.standIns, 0)} client_cpu_us=${fmt(m.client, 0)}` +
    ` rounds=${rounds.length} failures=${failures} workers=${WORKERS}`);
}

if (process.argv[2] === '--stand-ins') {
  await standInsMain();
} else {
  // Whatever happens (a stuck node, a hung teardown), the process is gone ~20 s past the deadline.
  setTimeout(() => { warn('hard time limit reached: exiting'); process.exit(3); }, MAX_SECONDS * 1000 + 20_000).unref();
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      warn(`${sig}: stopping`);
      teardown().finally(() => process.exit(130));
    });
  }
  let code = 0;
  try {
    report(await main());
  } catch (e) {
    warn(`cannot run: ${e.stack || e.message}`);
    code = 1;
  }
  await teardown();
  process.exit(code);
}
