import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, missingProductionSecrets } from '../src/config';
import { signToken, type Role } from '../src/http/tokens';
import { resolveSecrets } from '../src/secrets';

function seconds(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value);
  if (match === null) throw new InvalidArgumentError('expected a duration such as 3600, 30m, 1h or 7d');
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

const program = new Command()
  .name('npm run token --')
  .description('Print a JWT for the iaphook API, signed with JWT_SECRET (or the generated one in the data folder).')
  .addOption(new Option('--role <role>', 'admin or user').choices(['admin', 'user']).makeOptionMandatory())
  .option('--sub <userId>', 'the app user id (required for --role user)')
  .option('--expires <duration>', 'lifetime: seconds or 30m, 1h, 7d', seconds, 3600)
  .action((options: { role: Role; sub?: string; expires: number }) => {
    if (options.role === 'user' && options.sub === undefined) program.error('--role user needs --sub <userId>');
    try {
      const config = loadConfig();
      const missing = missingProductionSecrets(config);
      if (missing.length > 0) program.error(`NODE_ENV=production needs ${missing.join(' and ')}`);
      const { jwtSecret } = resolveSecrets(config).config;
      process.stdout.write(`${signToken(jwtSecret, { role: options.role, sub: options.sub, expiresInSeconds: options.expires })}\n`);
    } catch (error) {
      if (error instanceof ConfigError) program.error(error.message);
      throw error;
    }
  });

program.parse();
