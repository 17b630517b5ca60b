// Where the web player's files are: web/ at the top of this package, found from this module (src/player or
// dist/src/player) so a checkout and an installed package both find it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'web', 'index.html'))) return join(dir, 'web');
    dir = dirname(dir);
  }
  throw new Error('the web player files (web/index.html) were not found beside this package');
}
