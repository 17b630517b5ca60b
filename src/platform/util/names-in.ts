import { readdir } from 'node:fs/promises';

/** The names in a folder, or none when it is missing or unreadable (clean-up passes that have nothing to do then). */
export async function namesIn(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch {
    return [];
  }
}
