// `npm run replay -- …`: the same as `iaphook replay …` (src/cli/).
import { runCli } from '../src/cli/main';

void runCli(['replay', ...process.argv.slice(2)]);
