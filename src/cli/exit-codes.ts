// What every command exits with, and the option parsers the commands share.
import { InvalidArgumentError } from 'commander';

/** Exit codes of every command: 0 done, 1 some work failed (each failure named), 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Signals a command's own failure with its exit code (after the command has printed why). */
export class CommandExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** A usage error of `command`: the message on stderr, exit 2. */
export function usageError(command: string, message: string): never {
  process.stderr.write(`${command}: ${message}\n`);
  throw new CommandExit(EXIT_USAGE);
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** A TCP port 0..65535 (0: any free one). */
export function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0..65535');
  return n;
}

/** Commander's collector for an option given several times (`-c A -c B`). */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Resolves at Ctrl-C (SIGINT) or SIGTERM: a long-running command then stops cleanly. */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
