// Run the daemon under test (build/iexec-sms) as a child process on loopback, with all its
// output appended to one log file, and stop it with SIGTERM.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { request } from './http.mjs';

/**
 * opts: bin, dir (database + key + log live there), port, rpcUrl, hub, chainId, extraEnv.
 * Resolves once GET /actuator/health answers 200 {"status":"UP"}.
 * Returns { url, port, proc, logFile, dbFile, keyFile, stop() }.
 */
export async function startDaemon(opts) {
  const { bin, dir, port, rpcUrl, hub, chainId = 31337, extraEnv = {}, readyTimeoutMs = 20_000 } = opts;
  if (!fs.existsSync(bin)) throw new Error(`daemon binary not found: ${bin} (build it, or set SMS_BIN)`);
  const dbFile = path.join(dir, 'sms.sqlite');
  const keyFile = path.join(dir, 'aes.key');
  const logFile = path.join(dir, 'sms.log');
  // A clean environment: nothing from the caller's IEXEC_* variables leaks into the run.
  const env = {
    PATH: process.env.PATH || '/usr/bin:/bin',
    HOME: process.env.HOME || dir,
    IEXEC_SMS_PORT: String(port),
    IEXEC_SMS_LISTEN_ADDRESS: '127.0.0.1',
    IEXEC_SMS_DATABASE_URL: `sqlite:${dbFile}`,
    IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH: keyFile,
    IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS: rpcUrl,
    IEXEC_HUB_ADDRESS: hub,
    IEXEC_CHAIN_ID: String(chainId),
    IEXEC_SMS_BLOCKCHAIN_TIMEOUT_MS: '2000',
    ...extraEnv,
  };
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `\n===== e2e: starting ${bin} on 127.0.0.1:${port} at ${new Date().toISOString()} =====\n`);
  const proc = spawn(bin, [], { env, stdio: ['ignore', fd, fd], cwd: dir });
  fs.closeSync(fd);
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  proc.on('error', () => {});
  const url = `http://127.0.0.1:${port}`;
  const logTail = () => fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');

  const deadline = Date.now() + readyTimeoutMs;
  let last = 'no answer';
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`daemon exited during start-up (${proc.exitCode ?? proc.signalCode}); log tail:\n${logTail()}`);
    }
    try {
      const r = await request(url, 'GET', '/actuator/health', { timeoutMs: 1000 });
      last = `${r.status} ${r.text}`;
      if (r.status === 200 && JSON.parse(r.text).status === 'UP') break;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`daemon not healthy within ${readyTimeoutMs} ms (last: ${last}); log tail:\n${logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  /** SIGTERM, then SIGKILL after timeoutMs. Resolves { code, signal, ms, killed }. */
  async function stop(timeoutMs = 10_000) {
    const t0 = Date.now();
    if (proc.exitCode !== null || proc.signalCode !== null) return { ...(await exited), ms: 0, killed: false };
    proc.kill('SIGTERM');
    let timer;
    const res = await Promise.race([
      exited.then((r) => ({ ...r, killed: false })),
      new Promise((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (res) return { ...res, ms: Date.now() - t0 };
    proc.kill('SIGKILL');
    return { ...(await exited), ms: Date.now() - t0, killed: true };
  }

  return { url, port, proc, logFile, dbFile, keyFile, stop, logTail };
}
