// Small JSON state files a service keeps beside its journal (counters, marks): read strictly, so that a damaged
// file is an error naming it and what it holds, never silently taken for an empty one.
import { readFileSync } from 'node:fs';
import { errnoOf } from './durable-fs.js';

export class StateFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'StateFileError';
  }
}

/**
 * The parsed JSON of `file`, or undefined when it does not exist; a StateFileError (of the class `failure` makes)
 * naming the file and `what` it holds otherwise.
 */
export function readStateFile(file: string, what: string, failure: (file: string, reason: string) => StateFileError = (f, r) => new StateFileError(f, r)): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw failure(file, `cannot read the ${what} (${(error as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw failure(file, `the ${what} are not JSON (damaged?); move the file aside to start anew`);
  }
}
