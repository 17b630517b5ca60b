import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { registerConvertCommand } from './convert-command.js';
import { registerCodecCommand } from './codec-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerCryptoCommands } from './crypto-commands.js';
import { registerPbxCommand } from './pbx-command.js';
import { registerExportCommand } from './export-command.js';
import { registerRunCommand } from './run-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerReindexCommand } from './reindex-command.js';
import { registerRulesCommand } from './rules-command.js';
import { registerUserCommands } from '../server/index.js';

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

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

export function buildProgram(): Command {
  const program = new Command('recorder')
    .description('Call recorder for IP telephony: PCAP captures to sample-exact stereo recordings')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerConvertCommand(program);
  registerCodecCommand(program);
  registerDemoCommand(program);
  registerCryptoCommands(program);
  registerPbxCommand(program);
  registerExportCommand(program);
  registerRunCommand(program);
  registerServeCommand(program);
  registerReindexCommand(program);
  registerRulesCommand(program);
  registerUserCommands(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

export { Option };

/** Run the command line; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommandExit) return error.exitCode;
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    process.stderr.write(`recorder: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
}
