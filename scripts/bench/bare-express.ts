import type { AddressInfo } from 'node:net';
import express from 'express';

// The baseline: a bare Express 5 endpoint doing the same JSON parsing the receiver does, in its own
// process like the real server. It prints its port on stdout and runs until killed.
const app = express();
app.use(express.json({ limit: '256kb' }));
app.post('/webhooks/nachocode/purchase', (req, res) => {
  const body = req.body as { iapLogId?: unknown };
  res.json({ received: true, duplicate: false, eventId: `evt_${String(body.iapLogId)}` });
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
server.keepAliveTimeout = 5_000;
