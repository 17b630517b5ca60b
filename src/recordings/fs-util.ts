// Renaming without replacing, as the store reports it: an existing name is a conflict (409 in the player).
import { OutputExistsError, renameNoReplace as renameOrRefuse } from '../platform/util/index.js';
import { StoreError } from './errors.js';

/** Rename `from` to `to` but never replace an existing `to` (StoreError 'conflict'). */
export async function renameNoReplace(from: string, to: string): Promise<void> {
  try {
    await renameOrRefuse(from, to);
  } catch (error) {
    if (error instanceof OutputExistsError) throw new StoreError('conflict', `${to}: already exists; not replaced`);
    throw error;
  }
}
