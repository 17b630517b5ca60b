import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { verifyAuditTrail } from '../platform/audit/index.js';
import { readKeyring } from '../platform/crypto/index.js';
import type { Keyring } from '../platform/crypto/index.js';
import { defaultPlayerTrail } from '../recorder/reconcile/index.js';
import { loadCommandConfig } from './command-config.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE, repeatable } from './exit-codes.js';

interface AuditVerifyFlags {
  config: string;
  key?: string[];
  json?: boolean;
  service?: boolean;
}

/** `recorder audit verify`: checks an audit trail's chain and checkpoints, naming each problem's line. */
export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('the audit trail: who did what, hash-chained and sealed with checkpoints');
  audit
    .command('verify')
    .description('check the audit trail: every line chained to the one before, every checkpoint matching under the system key; exit 1 naming each broken line')
    .argument('[file]', "the trail (default: the player's, beside the accounts file of -c CONFIG)")
    .option('-c, --config <file>', 'configuration file: where the trail is and the system key', 'recorder.toml')
    .option('--key <file>', 'key file to check checkpoints with (repeat for several; instead of the configuration)', repeatable)
    .option('--service', "the service's trail (call outcomes, retention, starts: storage.auditPath) instead of the player's")
    .option('--json', 'print the result as JSON')
    .action(async (file: string | undefined, flags: AuditVerifyFlags) => {
      let keyring: Keyring | undefined = flags.key && flags.key.length > 0 ? await readKeyring(flags.key) : undefined;
      let path = file;
      // The configuration gives the trail's place and the system key; an auditor with the file alone checks the chain.
      if (path === undefined || (keyring === undefined && existsSync(flags.config))) {
        const loaded = await loadCommandConfig(flags.config, 'recorder audit verify');
        path ??= flags.service ? loaded.config.storage.auditPath : defaultPlayerTrail(loaded.config);
        keyring ??= loaded.keyring;
      }
      let result;
      try {
        result = await verifyAuditTrail(path, keyring);
      } catch (error) {
        process.stderr.write(`recorder audit verify: ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}\n`);
        throw new CommandExit(EXIT_USAGE);
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        process.stdout.write(`${path}: ${result.entries} entries, ${result.checkpoints} checkpoints (${result.checkpointsVerified} verified, ${result.checkpointsUnchecked} not checked: no key), ${result.unsealed} after the last verified checkpoint\n`);
        for (const problem of result.problems) process.stdout.write(`  line ${problem.line}: ${problem.kind}: ${problem.detail}\n`);
        process.stdout.write(result.problems.length === 0 ? 'intact\n' : `${result.problems.length} problem(s)\n`);
      }
      if (result.problems.length > 0) throw new CommandExit(EXIT_FAILED);
    });
}
