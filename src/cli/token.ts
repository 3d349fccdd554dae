import { Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from '../config';
import { signToken, type Role } from '../http/tokens';
import { SIGNIN_PATH } from '../inspector/paths';
import { cliConfig, localSecrets } from './common';

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
function signInLink(config: Config, token: string): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const base = config.publicUrl ?? `http://${host}:${config.port}`;
  return `${base}${SIGNIN_PATH}#token=${token}`;
}

export function tokenCommand(): Command {
  const command: Command = new Command('token')
    .summary('print an admin or app-user token, or an inspector sign-in link')
    .description('Print a JWT for the iaphook API, signed with JWT_SECRET (or the generated one in the data folder).')
    .addOption(new Option('--role <role>', 'admin or user').choices(['admin', 'user']).makeOptionMandatory())
    .option('--sub <userId>', 'the app user id (required for --role user)')
    .option('--expires <duration>', 'lifetime: seconds or 30m, 1h, 7d (12h with --link)', seconds, 3600)
    .option('--link', 'print a sign-in link for the inspector page instead (admin only)')
    .action((options: { role: Role; sub?: string; expires: number; link?: boolean }) => {
      if (options.role === 'user' && options.sub === undefined) command.error('--role user needs --sub <userId>');
      if (options.link === true && options.role !== 'admin') command.error('--link signs in to the inspector, which needs --role admin');
      // A browser session: a working day unless --expires says otherwise.
      if (options.link === true && command.getOptionValueSource('expires') === 'default') options.expires = 12 * 3600;
      const config = cliConfig(command);
      if (options.expires > config.jwtMaxTtlSeconds) {
        command.error(`--expires ${options.expires} s is longer than JWT_MAX_TTL (${config.jwtMaxTtlSeconds} s): the server would refuse the token`);
      }
      const { jwtSecret } = localSecrets(command, config);
      const token = signToken(jwtSecret, { role: options.role, sub: options.sub, expiresInSeconds: options.expires });
      process.stdout.write(options.link === true ? `${signInLink(config, token)}\n` : `${token}\n`);
    });
  return command;
}
