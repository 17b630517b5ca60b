import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';

/** Write a file under a temporary name, fsync, then rename into place: readers never see it half written. */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  const partial = `${path}.partial`;
  const fd = openSync(partial, 'w', 0o644);
  try {
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(partial);
    } catch {
      // nothing to clean
    }
    throw error;
  }
  closeSync(fd);
  renameSync(partial, path);
}
