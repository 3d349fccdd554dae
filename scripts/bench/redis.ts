import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { killChild, type BareServer } from './system';

// The peers' Redis: a redis-server of the bench's own (never a shared one), acknowledging a write
// only once it is on disk (every write in the append-only file, fsynced before the reply), no
// snapshots, its files in a folder of the run.

const READY = /Ready to accept connections/;

/** A port free right now: Redis cannot be told to pick one itself (port 0 turns TCP off). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function startOnce(dir: string, port: number): Promise<BareServer> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--dir', dir];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = () => killChild(child);
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(new Error(why)));
    };
    const timer = setTimeout(() => fail('redis-server did not start within 10 s'), 10_000);
    child.once('error', (error: NodeJS.ErrnoException) =>
      fail(error.code === 'ENOENT' ? 'no redis-server binary on the PATH' : `redis-server could not run: ${error.message}`),
    );
    child.once('exit', (code) => fail(`redis-server exited (code ${code}): ${output.trim().split('\n').slice(-2).join(' ')}`));
    const read = (chunk: string) => {
      output = (output + chunk).slice(-4000);
      if (settled || !READY.test(output)) return;
      settled = true;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout!.off('data', read).resume();
      resolve({ url: `redis://127.0.0.1:${port}`, child, stop });
    };
    child.stdout!.setEncoding('utf8').on('data', read);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-4000)));
  });
}

/** Starts redis-server with its files in dir; rejects with the reason when it cannot. */
export async function startRedis(dir: string): Promise<BareServer> {
  fs.mkdirSync(dir, { recursive: true });
  // Another process may take the probed port before Redis binds it: try another once.
  try {
    return await startOnce(dir, await freePort());
  } catch (error) {
    if ((error as Error).message.startsWith('no redis-server')) throw error;
    return startOnce(dir, await freePort());
  }
}
