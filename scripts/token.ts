import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, missingProductionSecrets } from '../src/config';
import { signToken, type Role } from '../src/http/tokens';
import { SIGNIN_PATH } from '../src/inspector/paths';
import { resolveSecrets } from '../src/secrets';

function seconds(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value);
  if (match === null) throw new InvalidArgumentError('expected a duration such as 3600, 30m, 1h or 7d');
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/**
 * The token rides in the fragment (#token=…), which browsers never send: it stays out of the
 * server's request logs and proxies; the sign-in page reads it and posts it for the cookie.
 */
function signInLink(config: ReturnType<typeof loadConfig>, token: string): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const base = config.publicUrl ?? `http://${host}:${config.port}`;
  return `${base}${SIGNIN_PATH}#token=${token}`;
}

const program = new Command()
  .name('npm run token --')
  .description('Print a JWT for the iaphook API, signed with JWT_SECRET (or the generated one in the data folder).')
  .addOption(new Option('--role <role>', 'admin or user').choices(['admin', 'user']).makeOptionMandatory())
  .option('--sub <userId>', 'the app user id (required for --role user)')
  .option('--expires <duration>', 'lifetime: seconds or 30m, 1h, 7d (12h with --link)', seconds, 3600)
  .option('--link', 'print a sign-in link for the inspector page instead (admin only)')
  .action((options: { role: Role; sub?: string; expires: number; link?: boolean }) => {
    if (options.role === 'user' && options.sub === undefined) program.error('--role user needs --sub <userId>');
    if (options.link === true && options.role !== 'admin') program.error('--link signs in to the inspector, which needs --role admin');
    // A browser session: a working day unless --expires says otherwise.
    if (options.link === true && program.getOptionValueSource('expires') === 'default') options.expires = 12 * 3600;
    try {
      const config = loadConfig();
      const missing = missingProductionSecrets(config);
      if (missing.length > 0) program.error(`NODE_ENV=production needs ${missing.join(' and ')}`);
      if (options.expires > config.jwtMaxTtlSeconds) {
        program.error(`--expires ${options.expires} s is longer than JWT_MAX_TTL (${config.jwtMaxTtlSeconds} s): the server would refuse the token`);
      }
      const { jwtSecret } = resolveSecrets(config).config;
      const token = signToken(jwtSecret, { role: options.role, sub: options.sub, expiresInSeconds: options.expires });
      process.stdout.write(options.link === true ? `${signInLink(config, token)}\n` : `${token}\n`);
    } catch (error) {
      if (error instanceof ConfigError) program.error(error.message);
      throw error;
    }
  });

program.parse();
