import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { hasCaptureExtension } from '../../domain/index.js';

/** One capture to convert. */
export interface CaptureInput {
  readonly path: string;
  /** Its path below the directory named on the command line (its file name when named itself). */
  readonly relative: string;
  /** Size in bytes (for progress by bytes). */
  readonly bytes: number;
}

export interface InputList {
  readonly files: string[];
  /** The same files with their place in the tree and size. */
  readonly entries: CaptureInput[];
  /** Named paths that do not exist or cannot be read, with the reason. */
  readonly missing: Array<{ path: string; reason: string }>;
  /** Files met while walking a directory that are not captures by name (not converted; listed so nothing is skipped unseen). */
  readonly ignored: string[];
}

/**
 * Expand the command line's paths: files as given (whatever their name),
 * directories walked recursively for capture files, in sorted order so runs
 * are repeatable.
 */
export async function collectInputs(paths: readonly string[], options: { readonly skipFolder?: string } = {}): Promise<InputList> {
  // The output folder inside a named tree holds recordings, not captures: not walked.
  const skip = options.skipFolder !== undefined ? resolve(options.skipFolder) : undefined;
  const entries: CaptureInput[] = [];
  const missing: Array<{ path: string; reason: string }> = [];
  const ignored: string[] = [];
  // Folders by their real path: a symbolic link back up the tree is not walked twice (or forever).
  const walked = new Set<string>();
  async function walk(root: string, dir: string): Promise<void> {
    try {
      const real = await realpath(dir);
      if (walked.has(real)) return;
      walked.add(real);
    } catch {
      // unreadable: readdir below says why
    }
    let listing;
    try {
      listing = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      missing.push({ path: dir, reason: describeFsError(error) });
      return;
    }
    listing.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of listing) {
      const full = join(dir, entry.name);
      let kind: 'dir' | 'file' | 'other' = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : 'other';
      if (entry.isSymbolicLink()) {
        // Captures are often linked into a tree: follow links to files and folders; a dangling one is named.
        try {
          const target = await stat(full);
          kind = target.isDirectory() ? 'dir' : target.isFile() ? 'file' : 'other';
        } catch (error) {
          if (isCaptureFileName(entry.name)) missing.push({ path: full, reason: `broken link (${describeFsError(error)})` });
          continue;
        }
      }
      if (kind === 'dir') {
        if (resolve(full) !== skip) await walk(root, full);
      }
      else if (kind === 'file' && isCaptureFileName(entry.name)) {
        try {
          entries.push({ path: full, relative: relative(root, full), bytes: (await stat(full)).size });
        } catch (error) {
          missing.push({ path: full, reason: describeFsError(error) });
        }
      } else if (kind === 'file' && !entry.name.endsWith('.partial')) ignored.push(full);
    }
  }
  for (const path of paths) {
    try {
      const info = await stat(path);
      if (info.isDirectory()) await walk(path, path);
      else entries.push({ path, relative: basename(path), bytes: info.size });
    } catch (error) {
      missing.push({ path, reason: describeFsError(error) });
    }
  }
  // The same file named twice (or inside a named folder as well) is converted once.
  const seen = new Set<string>();
  const unique = entries.filter((entry) => {
    const key = resolve(entry.path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { files: unique.map((e) => e.path), entries: unique, missing, ignored };
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? String(error);
}

/** NAME.pcap / .pcapng / .cap, gzip-compressed (NAME.pcap.gz), encrypted (NAME.pcap.enc), or both. */
export function isCaptureFileName(name: string): boolean {
  return hasCaptureExtension(wrapperless(name));
}

/** The name without the wrappers around the capture: `.enc` and `.gz`. */
function wrapperless(name: string): string {
  return name.replace(/(\.(enc|gz))+$/i, '');
}

/** The name of a capture without its capture and wrapper endings: `a/call.pcap.gz` → `a/call`. */
export function captureStem(name: string): string {
  const plain = wrapperless(name);
  const extension = extname(plain);
  return extension !== '' ? plain.slice(0, -extension.length) : plain;
}

/**
 * Where each capture's recordings go, as a path without extension (recordings are STEM.wav, or STEM_N.wav for
 * several calls). Under `outDir` the tree below each named directory is kept; beside the capture otherwise.
 * No two captures get the same stem: where the simple names clash, the clashing ones are named by their path
 * below the inputs' common folder, and where even that clashes (call.pcap beside call.pcapng), by their whole
 * file name. Stems are compared ignoring case, for case-insensitive file systems.
 */
export function planOutputStems(entries: readonly CaptureInput[], outDir: string | undefined): string[] {
  const simple = entries.map((entry) => (outDir !== undefined ? join(outDir, captureStem(entry.relative)) : join(dirname(entry.path), captureStem(basename(entry.path)))));
  const clashing = clashes(simple);
  if (clashing.size === 0) return simple;
  const common = commonFolder(entries.map((e) => resolve(e.path)));
  const byTree = simple.map((stem, i) =>
    clashing.has(i) && outDir !== undefined ? join(outDir, captureStem(relative(common, resolve(entries[i]!.path)))) : stem,
  );
  const still = clashes(byTree);
  return byTree.map((stem, i) => (still.has(i) ? join(dirname(stem), wrapperless(basename(entries[i]!.path))) : stem));
}

/** Indexes of the stems that share their (case-folded) value with another. */
function clashes(stems: readonly string[]): Set<number> {
  const seen = new Map<string, number[]>();
  stems.forEach((stem, i) => {
    const key = stem.toLowerCase();
    const list = seen.get(key);
    if (list) list.push(i);
    else seen.set(key, [i]);
  });
  const out = new Set<number>();
  for (const list of seen.values()) if (list.length > 1) for (const i of list) out.add(i);
  return out;
}

function commonFolder(paths: readonly string[]): string {
  if (paths.length === 0) return sep;
  let parts = dirname(paths[0]!).split(sep);
  for (const path of paths.slice(1)) {
    const other = dirname(path).split(sep);
    let n = 0;
    while (n < parts.length && n < other.length && parts[n] === other[n]) n++;
    parts = parts.slice(0, n);
  }
  return parts.join(sep) || sep;
}
