import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './read-body';

// A subscriber whose answer is decided per request by a function (first attempt fails, later ones
// succeed; or hang until released), recording what it saw and how it answered. Close it in afterEach.

export interface Seen {
  webhookId: string;
  body: string;
  /** The status answered, or null while hanging / when the client went away first. */
  status: number | null;
  at: number;
}

export type Decide = (webhookId: string, attemptNumber: number) => number | 'hang';

export class ScriptedSubscriber {
  readonly seen: Seen[] = [];
  private readonly hanging = new Set<http.ServerResponse>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    public decide: Decide,
  ) {}

  static async start(decide: Decide): Promise<ScriptedSubscriber> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const subscriber = new ScriptedSubscriber(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, decide);
    server.on('request', (req, res) => void subscriber.handle(req, res));
    return subscriber;
  }

  /** Requests per webhook-id, in arrival order. */
  byWebhookId(): Map<string, Seen[]> {
    const map = new Map<string, Seen[]>();
    for (const s of this.seen) map.set(s.webhookId, [...(map.get(s.webhookId) ?? []), s]);
    return map;
  }

  /** Ends hanging requests without an answer (as a crash of the sender would see them go). */
  dropHanging(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  async close(): Promise<void> {
    this.dropHanging();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const webhookId = String(req.headers['webhook-id'] ?? '');
    const attempt = this.seen.filter((s) => s.webhookId === webhookId).length + 1;
    const seen: Seen = { webhookId, body, status: null, at: Date.now() };
    this.seen.push(seen);
    const decision = this.decide(webhookId, attempt);
    if (decision === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    seen.status = decision;
    res.writeHead(decision, { 'content-type': 'text/plain' }).end(decision < 300 ? 'ok' : 'fail');
  }
}
