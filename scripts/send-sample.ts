// `npm run send -- …`: the same as `iaphook send …` (src/cli/).
import { runCli } from '../src/cli/main';

void runCli(['send', ...process.argv.slice(2)]);
