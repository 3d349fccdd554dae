// `npm run token -- …`: the same as `iaphook token …` (src/cli/).
import { runCli } from '../src/cli/main';

void runCli(['token', ...process.argv.slice(2)]);
