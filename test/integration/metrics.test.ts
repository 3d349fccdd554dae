import { nacho } from '../support/fixtures';
import { listen, startRuntime, type TestRuntime } from '../support/runtime';

// /metrics as an operator's Prometheus sees it, from a real server on a socket.

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

describe('metrics', () => {
  let rt: TestRuntime;
  let server: { url: string; close(): Promise<void> };
  afterEach(async () => {
    await server.close();
    await rt.stop();
  });

  async function start(env: Record<string, string> = {}, startWorker = true) {
    rt = await startRuntime(env, { defaultMetrics: true, startWorker });
    server = await listen(rt.app);
  }
  const scrape = async (headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}/metrics`, { headers });
    return { status: res.status, text: await res.text() };
  };

  it('when scraped, then Node default metrics carry their standard names and answers are timed per route', async () => {
    await start();
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);
    await rt.post('/webhooks/nachocode/refund', nacho.purchaseIos()).expect(422);
    const { status, text } = await scrape();
    expect(status).toBe(200);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(text).toMatch(new RegExp(`^${name} `, 'm'));
    }
    expect(text).not.toContain('iaphook_process_cpu');
    expect(text).not.toContain('iaphook_nodejs_');
    expect(text).toContain('# TYPE iaphook_webhook_answer_duration_seconds histogram');
    expect(text).toMatch(/^iaphook_webhook_answer_duration_seconds_count\{route="purchase"\} 1$/m);
    expect(text).toMatch(/^iaphook_webhook_answer_duration_seconds_count\{route="refund"\} 1$/m);
    expect(text).toMatch(/^iaphook_webhook_answer_duration_seconds_bucket\{le="\+Inf",route="purchase"\} 1$/m);
  });

  it('when jobs wait, run and finish, then the queue depth counts only the pending and running ones', async () => {
    await start({}, false);
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseAndroid()).expect(200);
    expect((await scrape()).text).toMatch(/^iaphook_jobs_queue_depth\{kind="apply-iap-event",state="pending"\} 2$/m);

    rt.worker.start();
    await rt.worker.whenIdle();
    const after = (await scrape()).text;
    expect(after).not.toMatch(/^iaphook_jobs_queue_depth\{kind="apply-iap-event"/m);
    expect(after).not.toContain('state="succeeded"');
  });

  it('when METRICS_TOKEN is set, then /metrics refuses a missing or wrong token and answers the right one', async () => {
    await start({ METRICS_TOKEN });
    const missing = await scrape();
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.text)).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await scrape({ authorization: 'Bearer metrics-token-0123456789abcdeX' })).status).toBe(401);
    expect((await scrape({ authorization: `Bearer ${rt.adminToken()}` })).status).toBe(401);
    const right = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
    expect(right.status).toBe(200);
    expect(right.text).toContain('iaphook_webhook_requests_total');
    // The other operations routes stay open for orchestrators.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('when METRICS_TOKEN is not set, then /metrics is open', async () => {
    await start();
    expect((await scrape()).status).toBe(200);
  });
});
