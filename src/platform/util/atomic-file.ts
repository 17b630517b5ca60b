import { PartialFile } from './partial-file.js';

/** Write a file under a temporary name, fsync, then rename into place: readers never see it half written. */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  const file = new PartialFile(path);
  try {
    file.append(data);
    file.commit();
  } catch (error) {
    file.discard();
    throw error;
  }
}
