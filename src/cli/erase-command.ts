import type { Command } from 'commander';
import { StoreError, openRecordings } from '../recordings/index.js';
import { AccountError, Approvals, defaultAccountsPath } from '../player/index.js';
import { auditCommand, commandUser, loadCommandConfig } from './command-config.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';

/** `recorder erase`: a recording erased on a data subject's request, audited; refused under hold or mandatory retention. */
export function registerEraseCommand(program: Command): void {
  program
    .command('erase')
    .description("erase a recording on a data subject's request: its files (store, bucket, backup tree) and, with per-recording keys, its data key — every other copy becomes unreadable; refused under a legal hold or a mandatory retention policy")
    .argument('<recording>', 'the recording name (without extension)')
    .requiredOption('--reason <text>', 'the request it answers (required; kept in the audit trail and the key tombstone)')
    .option('-c, --config <file>', 'configuration file (the same as recorder run)', 'recorder.toml')
    .option('--by <name>', 'who (default: your user name)')
    .option('--approval <id>', "with server.fourEyes including erase: the approval (asked for in the player by --by's account, approved by another)")
    .option('--json', 'print the result as JSON')
    .action(async (name: string, flags: { config: string; reason: string; by?: string; approval?: string; json?: boolean }) => {
      const { person, user: by } = commandUser(flags.by, 'recorder erase');
      const { config, keyring } = await loadCommandConfig(flags.config, 'recorder erase');
      if (config.server.fourEyes.includes('erase')) {
        // Four-eyes: an approval asked for by this person and given by another, spent here.
        if (flags.approval === undefined) {
          process.stderr.write('recorder erase: server.fourEyes includes erase: ask for an approval in the player and give --approval ID\n');
          throw new CommandExit(EXIT_USAGE);
        }
        const approvals = new Approvals(defaultAccountsPath(config.storage.indexPath));
        try {
          approvals.use(flags.approval, 'erase', [name], person);
        } catch (error) {
          if (!(error instanceof AccountError)) throw error;
          process.stderr.write(`recorder erase: ${error.message}\n`);
          throw new CommandExit(EXIT_FAILED);
        } finally {
          approvals.close();
        }
      }
      const recordings = await openRecordings(config, keyring, { follow: false });
      let result;
      try {
        result = await recordings.erase(name, { by, reason: flags.reason });
      } catch (error) {
        if (error instanceof StoreError) {
          process.stderr.write(`recorder erase: ${error.message}\n`);
          throw new CommandExit(error.code === 'bad-input' || error.code === 'bad-name' ? EXIT_USAGE : EXIT_FAILED);
        }
        throw error;
      } finally {
        await recordings.close();
      }
      await auditCommand({ config, keyring }, by, [
        { action: 'erase', detail: { recording: result.name, reason: flags.reason.trim(), shreddedKeys: [...result.shreddedKeys], backupFiles: result.backupFiles.length, ...(flags.approval !== undefined ? { approval: flags.approval } : {}) } },
      ]);
      if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(`${result.name}: erased${result.shreddedKeys.length > 0 ? `; data key ${result.shreddedKeys.join(', ')} destroyed (every copy is unreadable)` : ' (no per-recording key: copies outside the store and the backup tree are not affected)'}; ${result.backupFiles.length} backup file(s) removed\n`);
    });
}
