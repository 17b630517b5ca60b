// Runs the recorder command from source (tests spawn it with `node --import tsx`), exiting with its code.
import { main } from '../../src/cli/index.js';

process.exitCode = await main(process.argv.slice(2));
