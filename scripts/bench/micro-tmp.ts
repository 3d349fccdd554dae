import { openDatabase } from '../../src/storage/database';
import fs from 'node:fs';
const dir = fs.mkdtempSync('/tmp/mb/x');
const d = openDatabase(dir + '/t.db'); if (process.env.SYNC) d.sqlite.pragma('synchronous = ' + process.env.SYNC);
const s = d.sqlite;
const body = Buffer.alloc(600, 97);
const insRaw = s.prepare(`INSERT INTO raw_requests (id, received_at, method, path, query, headers, body, body_size, content_type, remote_addr, request_id, key_fingerprint, status, outcome, reason, response, duration_ms, event_id, source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
const insEv = s.prepare(`INSERT INTO events (id,type,environment,dedupe_key,content_hash,payload,user_id,product_id,iap_log_id,status,raw_request_id,source,received_at,updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
const findKey = s.prepare(`SELECT id, content_hash FROM events WHERE dedupe_key = ?`);
const insJob = s.prepare(`INSERT INTO jobs (kind,payload,max_attempts,policy,run_at,created_at,updated_at) VALUES (?,?,?,?,?,?,?)`);
const payload = 'x'.repeat(500);
const headers = JSON.stringify({ host: '127.0.0.1:1234', 'content-type': 'application/json', authorization: 'Bearer ****abcd', 'content-length': '600' });
const N = 20000, B = 50;
let t = performance.now();
const batch = s.transaction((i0: number) => {
  for (let i = i0; i < i0 + B; i++) {
    const id = 'evt_' + String(i).padStart(26, '0');
    findKey.get('purchase:production:' + i);
    insEv.run(id, 'purchase', 'production', 'purchase:production:' + i, 'h'.repeat(64), payload, 'u' + (i % 1000), 'com.x', i, 'received', 'req_' + i, 'webhook', Date.now(), Date.now());
    insRaw.run('req_' + String(i).padStart(26, '0'), Date.now(), 'POST', '/webhooks/nachocode/purchase', null, headers, body, 600, 'application/json', '127.0.0.1', 'abc-' + i, 'fp', 200, 'stored', null, '{"received":true}', 1.5, id, 'webhook');
    insJob.run('apply-iap-event', JSON.stringify({ eventId: id }), 8, '{"type":"exponential"}', Date.now(), Date.now(), Date.now());
  }
});
for (let i = 0; i < N; i += B) batch.immediate(i);
let ms = performance.now() - t;
console.log('ingest per event µs', (ms * 1000 / N).toFixed(1), 'per batch commit incl', N / B, 'commits');
// apply-side
const claim = s.prepare(`UPDATE jobs SET state='running', locked_by=?, locked_until=?+30000, attempts=attempts+1, updated_at=? WHERE id IN (SELECT id FROM jobs WHERE (state='pending' AND run_at<=?) OR (state='running' AND locked_until<=?) ORDER BY run_at, id LIMIT ?) RETURNING *`);
const findEv = s.prepare(`SELECT * FROM events WHERE id = ?`);
const findP = s.prepare(`SELECT * FROM purchases WHERE environment=? AND iap_log_id=?`);
const findTx = s.prepare(`SELECT * FROM purchases WHERE transaction_id=? ORDER BY id LIMIT 20`);
const insP = s.prepare(`INSERT INTO purchases (environment,iap_log_id,event_id,user_id,product_id,nacho_product_id,product_type,os,quantity,price,transaction_id,purchased_at,created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`);
const insE = s.prepare(`INSERT INTO ledger_entries (entry_key,event_id,environment,user_id,product_id,nacho_product_id,product_type,iap_log_id,kind,quantity,amount,created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`);
const upd = s.prepare(`UPDATE events SET status='applied', error=NULL, applied_at=?, updated_at=? WHERE id=?`);
const held = s.prepare(`SELECT * FROM events WHERE type='refund' AND status='held' AND environment=? AND iap_log_id=? ORDER BY received_at, id`);
const complete = s.prepare(`UPDATE jobs SET state='succeeded', finished_at=?, updated_at=?, locked_by=NULL, locked_until=NULL WHERE id=? AND state='running' AND locked_by=? AND attempts=?`);
const att = s.prepare(`INSERT INTO job_attempts (job_id,attempt,started_at,finished_at,outcome,latency_ms) VALUES (?,?,?,?,?,?)`);
t = performance.now();
let done = 0;
const applyBatch = s.transaction(() => {
  const now = Date.now();
  const jobs = claim.all('w', now, now, now, now, 64) as any[];
  for (const j of jobs) {
    const ev = findEv.get(JSON.parse(j.payload).eventId) as any;
    findP.get('production', ev.iap_log_id);
    findTx.all('tx' + ev.iap_log_id);
    insP.run('production', ev.iap_log_id, ev.id, ev.user_id, 'com.x', 'NP', 'consumable', 'ios', 1, 1200, 'tx' + ev.iap_log_id, now, now);
    insE.run(ev.id + ':grant', ev.id, 'production', ev.user_id, 'com.x', 'NP', 'consumable', ev.iap_log_id, 'grant', 1, 1200, now);
    upd.run(now, now, ev.id);
    held.all('production', ev.iap_log_id);
    complete.run(now, now, j.id, 'w', j.attempts);
    att.run(j.id, j.attempts, now, now, 'succeeded', 1);
  }
  return jobs.length;
});
for (;;) { const n = applyBatch.immediate(); if (n === 0) break; done += n; }
ms = performance.now() - t;
console.log('apply per event µs', (ms * 1000 / done).toFixed(1), done);
