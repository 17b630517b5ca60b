// Files shipped beside the code (web/, wsdl/, fixtures/): found by walking up from this module, which sits in
// src/platform/util when run from the sources and in dist/src/platform/util when compiled, so a checkout and an
// installed package both find them.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The absolute path of `relative` (e.g. `web/index.html`) in this package, or undefined when it is not shipped. */
export function findPackageFile(relative: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 6; level++) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/** Like findPackageFile, but a missing file is an error that names it and what it is. */
export function packageFile(relative: string, what: string): string {
  const found = findPackageFile(relative);
  if (found === undefined) throw new Error(`${what} (${relative}) was not found beside this package`);
  return found;
}
