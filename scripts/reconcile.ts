// `npm run reconcile -- …`: the same as `iaphook reconcile …` (src/cli/).
import { runCli } from '../src/cli/main';

void runCli(['reconcile', ...process.argv.slice(2)]);
