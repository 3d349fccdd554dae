// `npm run migrate-to-postgres -- …`: the same as `iaphook migrate-to-postgres …` (src/cli/).
import { runCli } from '../src/cli/main';

void runCli(['migrate-to-postgres', ...process.argv.slice(2)]);
