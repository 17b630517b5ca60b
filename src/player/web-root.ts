// Where the web player's files are: web/ at the top of this package.
import { dirname } from 'node:path';
import { packageFile } from '../platform/util/index.js';

export function defaultWebRoot(): string {
  return dirname(packageFile('web/index.html', 'the web player files'));
}
