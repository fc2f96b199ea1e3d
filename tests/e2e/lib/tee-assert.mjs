// Assertions shared by the /tee cases: the request/response exchange and what the provisioner
// stand-in received are always part of the failure message.
import assert from 'node:assert/strict';
import { ethers } from 'ethers';
import { challengeRequest, sessionRequest, send, exchange } from './tee.mjs';

/** The stages of a received document, whatever the framework: { pre, app, post } (entries). */
export function stagesOf(framework, doc) {
  const list = framework === 'gramine' ? doc.enclaves : doc.services;
  const by = Object.fromEntries(list.map((s) => [s.name, s]));
  return { names: list.map((s) => s.name), pre: by['pre-compute'] || null, app: by.app, post: by['post-compute'] };
}

export const addressOfKey = (pk) => new ethers.Wallet(pk).address.toLowerCase();

/** Bound to one stack (lib/tee-stack.mjs). */
export function teeClient(stack) {
  const prov = stack.provisioner;
  const base = stack.sms.url;
  const received = () => prov.received.length;
  const describeNew = (from) => prov.received.slice(from).map((e) => `${e.method} ${e.url} -> ${e.status} violations=${JSON.stringify(e.violations)}`).join('; ') || 'nothing';

  async function challenge(taskid, signer = 'workerpoolOwner') {
    return send(base, await challengeRequest(taskid, signer));
  }
  async function issue(taskid) {
    const r = await challenge(taskid);
    assert.equal(r.status, 200, exchange(r));
    assert.match(String(r.headers['content-type']), /^text\/plain/, exchange(r));
    assert.match(r.text, /^0x[0-9a-f]{40}$/, `challenge address must be 0x + 40 lowercase hex: ${exchange(r)}`);
    return r.text;
  }
  async function session(opts) {
    return send(base, await sessionRequest(opts), 30_000);
  }

  /** A session that must succeed: returns { data, entry, doc, stages, req }. */
  async function goodSession(opts) {
    const before = received();
    const r = await session(opts);
    const got = describeNew(before);
    assert.equal(r.status, 200, `${exchange(r)}\n  provisioner received: ${got}`);
    const body = r.json();
    assert.deepEqual(Object.keys(body), ['data'], exchange(r));
    assert.deepEqual(Object.keys(body.data).sort(), ['secretProvisioningUrl', 'sessionId'], exchange(r));
    assert.equal(body.data.secretProvisioningUrl, stack.secretProvisioningUrl, exchange(r));
    const escaped = opts.taskid.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(body.data.sessionId, new RegExp(`^[A-Za-z0-9]{10}0000${escaped}$`), exchange(r));
    const fresh = prov.received.slice(before);
    assert.equal(fresh.length, 1, `exactly one document must reach the ${prov.name}: ${got}`);
    const [entry] = fresh;
    assert.deepEqual(entry.violations, [], `${prov.name} found violations in the document`);
    assert.ok(entry.status >= 200 && entry.status < 300, got);
    const { doc } = entry;
    assert.equal(stack.framework === 'gramine' ? doc.session : doc.name, body.data.sessionId, 'document name = sessionId');
    return { data: body.data, entry, doc, stages: stagesOf(stack.framework, doc), req: r.req };
  }

  /**
   * A request (a promise of a send() answer) that must fail with `status` and, when code is
   * given, {"error": code}; no document may reach the provisioner (or, with reached: true,
   * none may be accepted). Returns the answer.
   */
  async function fails(promiseFn, status, code, { reached = false } = {}) {
    const before = received();
    const acceptedBefore = prov.accepted().length;
    const r = await promiseFn();
    const got = describeNew(before);
    assert.equal(r.status, status, `${exchange(r)}\n  expected ${status} ${code || ''}; provisioner received: ${got}`);
    if (code !== undefined) {
      let j;
      try { j = r.json(); } catch { j = null; }
      assert.deepEqual(j, { error: code }, `${exchange(r)}\n  expected {"error":"${code}"}`);
    }
    if (!reached) assert.equal(received(), before, `no document may reach the ${prov.name}: ${got}`);
    assert.equal(prov.accepted().length, acceptedBefore, `no document may be accepted: ${got}`);
    return r;
  }

  return { challenge, issue, session, goodSession, fails, received };
}
