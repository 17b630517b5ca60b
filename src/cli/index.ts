import { Command, CommanderError, Option } from 'commander';
import { CommandExit, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { registerConvertCommand } from './convert-command.js';
import { registerCodecCommand } from './codec-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerCryptoCommands } from './crypto-commands.js';
import { registerPbxCommand } from './pbx-command.js';
import { registerAppServerCommand } from './appserver-command.js';
import { registerExportCommand } from './export-command.js';
import { registerRunCommand } from './run-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerStatusCommands } from './status-command.js';
import { registerWorkerCommand } from './worker-command.js';
import { registerBackupCommand } from './backup-command.js';
import { registerServiceCommand } from './service-command.js';
import { registerReindexCommand } from './reindex-command.js';
import { registerRulesCommand } from './rules-command.js';
import { registerAuditCommand } from './audit-command.js';
import { registerReconcileCommand } from './reconcile-command.js';
import { registerHoldCommand } from './hold-command.js';
import { registerEraseCommand } from './erase-command.js';
import { registerUserCommands } from '../player/index.js';

export { CommandExit, EXIT_FAILED, EXIT_OK, EXIT_USAGE, positiveInteger } from './exit-codes.js';

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
  registerAppServerCommand(program);
  registerExportCommand(program);
  registerRunCommand(program);
  registerWorkerCommand(program);
  registerServeCommand(program);
  registerStatusCommands(program);
  registerBackupCommand(program);
  registerAuditCommand(program);
  registerReconcileCommand(program);
  registerHoldCommand(program);
  registerEraseCommand(program);
  registerServiceCommand(program);
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
