import http from 'node:http';
import type { AddressInfo } from 'node:net';

// A keep-alive HTTP sink for the outbound benchmark: reads each body, answers 200 at once, and
// prints its port. It runs in its own process so it never shares an event loop with a sender.
let received = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.end(JSON.stringify({ received }));
    return;
  }
  req.on('data', () => undefined);
  req.on('end', () => {
    received += 1;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' });
    res.end('{"ok":true}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
