// The web player's files, read once at start into memory: a request path is only ever a key into this map, so
// nothing a client sends reaches the file system.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** The `web/` folder of this package: found from this module's location (src/player or dist/src/player). */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'web', 'index.html'))) return join(dir, 'web');
    dir = dirname(dir);
  }
  throw new Error('the web player files (web/index.html) were not found beside this package');
}

/** URL path → file, for every file under `root` with a known type (sub-folders included, dot-files not). */
export function loadStaticFiles(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path, `${prefix}${name}/`);
        continue;
      }
      const type = TYPES[extname(name).toLowerCase()];
      if (!type) continue;
      const body = readFileSync(path);
      files.set(`/${prefix}${name}`, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
    }
  };
  walk(root, '');
  const index = files.get('/index.html');
  if (index) files.set('/', index);
  return files;
}
