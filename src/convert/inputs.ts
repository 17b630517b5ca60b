import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

/** File name endings taken for captures when walking a directory. */
export const CAPTURE_EXTENSIONS: ReadonlySet<string> = new Set(['.pcap', '.pcapng', '.cap']);

export interface InputList {
  readonly files: string[];
  /** Named paths that do not exist or cannot be read, with the reason. */
  readonly missing: Array<{ path: string; reason: string }>;
}

/**
 * Expand the command line's paths: files as given (whatever their name),
 * directories walked recursively for capture files, in sorted order so runs
 * are repeatable.
 */
export async function collectInputs(paths: readonly string[]): Promise<InputList> {
  const files: string[] = [];
  const missing: Array<{ path: string; reason: string }> = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      missing.push({ path: dir, reason: (error as NodeJS.ErrnoException).code ?? String(error) });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && isCaptureFileName(entry.name)) files.push(full);
    }
  }
  for (const path of paths) {
    try {
      const info = await stat(path);
      if (info.isDirectory()) await walk(path);
      else files.push(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      missing.push({ path, reason: code === 'ENOENT' ? 'no such file or directory' : (code ?? String(error)) });
    }
  }
  return { files, missing };
}

/** NAME.pcap / .pcapng / .cap, or the same encrypted: NAME.pcap.enc. */
export function isCaptureFileName(name: string): boolean {
  const plain = name.replace(/\.enc$/i, '');
  return CAPTURE_EXTENSIONS.has(extname(plain).toLowerCase());
}
