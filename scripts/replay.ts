import { Command, InvalidArgumentError } from 'commander';
import { request } from 'undici';
import { ConfigError, loadConfig, missingProductionSecrets } from '../src/config';
import { signToken } from '../src/http/tokens';
import { resolveSecrets } from '../src/secrets';

// `npm run replay -- <requestId>`: asks the running iaphook to run a stored request through its
// receiver again (the same exact bytes; a duplicate stays a duplicate), as the inspector's Replay
// button does. It goes through the server rather than the database so the worker, the live list
// and the metrics see the replay like any other request.

function requestId(value: string): string {
  if (!/^req_[0-9A-HJKMNP-TV-Z]{26}$/.test(value)) throw new InvalidArgumentError('expected a request id such as req_01K…');
  return value;
}

const program = new Command()
  .name('npm run replay --')
  .description('Replay a stored request through the receiver of a running iaphook.')
  .argument('<requestId>', 'the id shown in the inspector (req_…)', requestId)
  .option('--url <url>', 'where iaphook runs (default: http://127.0.0.1:$PORT)')
  .option('--accept-unverified', 'replay a request that failed the webhook key check anyway (you vouch that nachocode sent it)')
  .action(async (id: string, options: { url?: string; acceptUnverified?: boolean }) => {
    let config;
    try {
      config = loadConfig();
    } catch (error) {
      if (error instanceof ConfigError) program.error(error.message);
      throw error;
    }
    const missing = missingProductionSecrets(config);
    if (missing.length > 0) program.error(`NODE_ENV=production needs ${missing.join(' and ')}`);
    const { jwtSecret } = resolveSecrets(config).config;
    const base = (options.url ?? `http://127.0.0.1:${config.port}`).replace(/\/+$/, '');
    // A token for this one call: a minute is plenty.
    const token = signToken(jwtSecret, { role: 'admin', sub: 'replay-cli', expiresInSeconds: 60 });
    let res;
    try {
      const confirm = options.acceptUnverified === true;
      res = await request(`${base}/api/inspector/requests/${id}/replay`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, ...(confirm ? { 'content-type': 'application/json' } : {}) },
        body: confirm ? JSON.stringify({ acceptUnverified: true }) : undefined,
      });
    } catch (error) {
      return program.error(`no answer from ${base} (${(error as Error).message}). Is iaphook running? Start it with: npm start`);
    }
    const body = (await res.body.json()) as {
      requestId?: string;
      status?: number;
      outcome?: string;
      reason?: string | null;
      eventId?: string | null;
      error?: { code?: string; message: string };
    };
    if (res.statusCode !== 200) {
      const hint = body.error?.code === 'replay_of_unauthenticated_request' ? '\nIf you know nachocode sent it, run again with --accept-unverified.' : '';
      program.error(`replay refused (${res.statusCode}): ${body.error?.message ?? JSON.stringify(body)}${hint}`);
    }
    const reason = body.reason === null || body.reason === undefined ? '' : ` (${body.reason})`;
    const event = body.eventId === null || body.eventId === undefined ? '' : `, event ${body.eventId}`;
    process.stdout.write(`replayed ${id} as ${body.requestId}: ${body.status} ${body.outcome}${reason}${event}\n${JSON.stringify(body, null, 2)}\n`);
  });

void program.parseAsync();
