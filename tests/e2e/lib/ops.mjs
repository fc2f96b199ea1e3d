// Helpers of ops.test.mjs: the admin API (sms-api.md 7), file-tree snapshots for the
// "nothing touched" checks, the daemon's command-line tools, the private PostgreSQL server of
// scripts/pg-test.sh, and SQLite's own integrity check.
import { execFile, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request } from './http.mjs';

const run = promisify(execFile);
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** {storageID}: the directory path as hex of its bytes (7.2). */
export const storageId = (dir) => Buffer.from(dir, 'latin1').toString('hex');

/**
 * Admin calls on one daemon. apiKey: the X-API-KEY header sent (undefined: none).
 * Every method resolves the lib/http.mjs answer. Ids are raw strings (see storageId).
 */
export function adminClient(url, apiKey) {
  const headers = apiKey === undefined ? {} : { 'X-API-KEY': apiKey };
  const q = (params) => Object.entries(params).filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`).join('&');
  const call = (method, p) => request(url, method, p, { headers, timeoutMs: 30_000 });
  return {
    raw: call,
    backup: () => call('POST', '/admin/backup'),
    // file names go in as given: callers percent-encode what must be
    replicate: (id, fileName) => call('POST', `/admin/${id}/replicate-backup?${q({ fileName })}`),
    restore: (id, fileName) => call('POST', `/admin/${id}/restore-backup?${q({ fileName })}`),
    remove: (id, fileName) => call('DELETE', `/admin/${id}/delete-backup?${q({ fileName })}`),
    copy: (src, dst, sourceFileName, destinationFileName) => call('POST',
      `/admin/${src}/copy-to/${dst}?${q({ sourceFileName, destinationFileName })}`),
  };
}

/**
 * Everything under root, without following symbolic links: relative path -> 'dir',
 * 'link -> target' or 'file <size> <sha256>'. Two equal snapshots: nothing was touched.
 */
export function tree(root) {
  const out = {};
  const walk = (dir) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const rel = path.relative(root, p);
      const st = fs.lstatSync(p);
      if (st.isSymbolicLink()) out[rel] = `link -> ${fs.readlinkSync(p)}`;
      else if (st.isDirectory()) { out[rel] = 'dir'; walk(p); } else {
        const b = fs.readFileSync(p);
        out[rel] = `file ${b.length} ${crypto.createHash('sha256').update(b).digest('hex').slice(0, 16)}`;
      }
    }
  };
  walk(root);
  return out;
}

/** Run a command to completion: { code, signal, stdout, stderr }. Never rejects on exit status. */
export function runCommand(bin, args, { env, cwd, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => { stdout += c; });
    p.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

/** The environment lib/daemon.mjs gives a daemon whose files are in dir (for its CLI tools). */
export function daemonFileEnv(dir, extra = {}) {
  return {
    PATH: process.env.PATH || '/usr/bin:/bin',
    HOME: process.env.HOME || dir,
    IEXEC_SMS_DATABASE_URL: `sqlite:${path.join(dir, 'sms.sqlite')}`,
    IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH: path.join(dir, 'aes.key'),
    ...extra,
  };
}

/** `sqlite3 FILE 'PRAGMA integrity_check'`: its output, trimmed ("ok" when sound). */
export async function sqliteIntegrity(file) {
  const { stdout, stderr } = await run('sqlite3', [file, 'PRAGMA integrity_check'], { timeout: 20_000 });
  return `${stdout}${stderr}`.trim();
}

const PG_SCRIPT = path.join(REPO, 'scripts', 'pg-test.sh');

/**
 * A private PostgreSQL server (scripts/pg-test.sh) whose state lives in `stateDir` (a path
 * that does not exist yet, directly under a world-traversable directory: as root the server
 * runs as the postgres user). Returns { url, stop() }. Throws with the script's output when the
 * server cannot be started.
 */
export async function startPostgres(stateDir) {
  const env = { ...process.env, PG_TEST_DIR: stateDir };
  // Also when the test process ends without reaching its after() hooks.
  const onExit = () => { try { execFileSync('bash', [PG_SCRIPT, 'stop'], { env, timeout: 60_000, stdio: 'ignore' }); } catch { /* best effort */ } };
  process.once('exit', onExit);
  const stop = async () => {
    process.removeListener('exit', onExit);
    await run('bash', [PG_SCRIPT, 'stop'], { env, timeout: 60_000 });
  };
  try {
    const { stdout } = await run('bash', [PG_SCRIPT, 'start'], { env, timeout: 120_000 });
    const url = stdout.trim().split('\n').pop();
    if (!/^postgresql:\/\//.test(url)) throw new Error(`unexpected output ${JSON.stringify(stdout)}`);
    return { url, stop };
  } catch (e) {
    await stop().catch(() => {});
    throw new Error(`PostgreSQL could not be started with ${PG_SCRIPT} start (PG_TEST_DIR=${stateDir}): ${e.message}\n${e.stderr || ''}`
      + '\nInstall the postgresql server package (scripts/install-deps.sh) to run these tests.');
  }
}
