// A configuration file for commands that read a store or explain records but never reach the PBX or the
// reporting (their addresses are a closed loopback port): root and drive below `dir`, plus `extra` sections.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeOfflineConfig(dir: string, fileName: string, storeRoot: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, fileName);
  const credentials = { username: 'u', password: 'p' };
  const { pbx, storage, ...rest } = extra as { pbx?: Record<string, unknown>; storage?: Record<string, unknown> };
  writeFileSync(
    file,
    JSON.stringify({
      pbx: { url: 'http://127.0.0.1:1/PBX0/user.soap', ...credentials, ...pbx },
      reporting: { url: 'http://127.0.0.1:1/report.php', ...credentials },
      drive: { kind: 'local', path: join(dir, 'drive') },
      storage: { root: storeRoot, timezone: 'utc', ...storage },
      ...rest,
    }),
  );
  return file;
}
