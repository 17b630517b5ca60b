import { existsSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { decryptFile, isEncryptedFile, readKeyring, sidecarPathFor, verifyFile } from '../platform/crypto/index.js';
import type { Keyring } from '../platform/crypto/index.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';
import { auditCommand, commandUser, loadCommandConfig, storeKeyring } from './command-config.js';

interface ExportFlags {
  output: string;
  decrypt?: boolean;
  key?: string[];
  passphraseEnv: string;
  force?: boolean;
  json?: boolean;
  config?: string;
  by?: string;
}

interface ExportOutcome {
  readonly input: string;
  readonly ok: boolean;
  readonly files: string[];
  readonly integrity?: string;
  readonly error?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The files that make up a recording: audio, the XML sidecar and the notes, each plain or encrypted. */
function companions(audio: string): string[] {
  const files = [audio];
  const xml = sidecarPathFor(audio);
  const notes = xml.replace(/\.xml$/, '.txt');
  for (const candidate of [xml, `${xml}.enc`, notes, `${notes}.enc`]) if (existsSync(candidate)) files.push(candidate);
  return files;
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('copy recordings (audio, XML call data, notes) out of the store; with --decrypt as plain files for someone without the key')
    .argument('<recordings...>', 'recording audio files (NAME.wav, NAME.mp3, NAME.opus, NAME.pcap, optionally .enc)')
    .requiredOption('-o, --output <dir>', 'where to write the copies')
    .option('--decrypt', 'write plain copies of encrypted files (needs --key); each recording is verified first and a tampered one is not exported')
    .option('--key <file>', 'key file; repeat for several keys', collect)
    .option('--passphrase-env <name>', 'environment variable holding the passphrase of a passphrase key definition', 'RECORDER_PASSPHRASE')
    .option('--force', 'replace existing files in the output directory')
    .option('-c, --config <file>', "the recorder's configuration: its keys (without --key) and its audit trail, where each exported recording is written (key use)")
    .option('--by <name>', 'who, for the audit trail (default: your user name)')
    .option('--json', 'print the results as JSON')
    .action(async (inputs: string[], flags: ExportFlags) => {
      let keyring: Keyring | undefined;
      const loaded = flags.config !== undefined ? await loadCommandConfig(flags.config, 'recorder export') : undefined;
      const user = loaded ? commandUser(flags.by, 'recorder export').user : undefined;
      // The configuration's keys, with its data key vault behind them where recordings have keys of their own.
      if (loaded?.keyring && (!flags.key || flags.key.length === 0)) {
        keyring = storeKeyring(loaded);
      }
      else if (flags.decrypt || (flags.key && flags.key.length > 0)) {
        if (!flags.key || flags.key.length === 0) {
          process.stderr.write('recorder export: --decrypt needs a key (--key FILE)\n');
          throw new CommandExit(EXIT_USAGE);
        }
        const passphrase = process.env[flags.passphraseEnv];
        try {
          keyring = await readKeyring(flags.key, passphrase === undefined ? {} : { passphrase });
        } catch (error) {
          process.stderr.write(`recorder export: ${error instanceof Error ? error.message : String(error)}\n`);
          throw new CommandExit(EXIT_FAILED);
        }
      }
      await mkdir(flags.output, { recursive: true });
      const outcomes: ExportOutcome[] = [];
      for (const input of inputs) outcomes.push(await exportOne(input, flags, keyring));
      const failed = outcomes.filter((outcome) => !outcome.ok).length;
      if (loaded && user !== undefined) {
        // Who took which recording out of the store, and whether the key opened it: in the service's trail.
        const entries = outcomes
          .filter((outcome) => outcome.ok)
          .map((outcome) => ({ action: 'export', detail: { recording: basename(outcome.input).replace(/\.(wav|mp3|opus|pcap)(\.enc)?$/, ''), decrypted: flags.decrypt === true, output: resolve(flags.output) } }));
        await auditCommand(loaded, user, entries);
      }
      if (flags.json) process.stdout.write(`${JSON.stringify({ recordings: outcomes.length, ok: outcomes.length - failed, failed, results: outcomes }, null, 2)}\n`);
      else {
        for (const outcome of outcomes) {
          if (outcome.ok) process.stdout.write(`${outcome.input} → ${outcome.files.join(', ')}${outcome.integrity ? ` (${outcome.integrity})` : ''}\n`);
          else process.stderr.write(`FAILED ${outcome.input}: ${outcome.error}\n`);
        }
        process.stdout.write(`${outcomes.length - failed}/${outcomes.length} recordings exported to ${resolve(flags.output)}, ${failed} failed\n`);
      }
      if (failed > 0) throw new CommandExit(EXIT_FAILED);
    });
}

async function exportOne(input: string, flags: ExportFlags, keyring: Keyring | undefined): Promise<ExportOutcome> {
  if (!existsSync(input)) return { input, ok: false, files: [], error: 'no such file' };
  const ext = extname(input.replace(/\.enc$/i, '')).toLowerCase();
  if (!['.wav', '.mp3', '.opus', '.pcap', '.pcapng'].includes(ext)) return { input, ok: false, files: [], error: 'not a recording (expected .wav, .mp3, .opus or .pcap, optionally .enc)' };
  if ((await stat(input)).size === 0) return { input, ok: false, files: [], error: 'empty file (0 bytes): not a recording; not exported' };
  let integrity: string | undefined;
  if (keyring) {
    const verdict = await verifyFile(input, keyring);
    integrity = verdict.status;
    if (verdict.status === 'tampered' || verdict.status === 'truncated' || verdict.status === 'unreadable') {
      return { input, ok: false, files: [], integrity, error: `${verdict.status}: ${verdict.reason ?? 'integrity check failed'}; not exported` };
    }
    if (flags.decrypt && verdict.status === 'unknown-key') return { input, ok: false, files: [], integrity, error: 'encrypted under a key not given with --key' };
    // --decrypt promises checked copies: a file that is neither encrypted nor signed cannot be checked (an encrypted
    // recording whose header was damaged looks exactly like that).
    if (flags.decrypt && verdict.status === 'unsigned') {
      return { input, ok: false, files: [], integrity, error: `cannot be verified (${verdict.reason ?? 'not encrypted and not signed'}); not exported` };
    }
  }
  const written: string[] = [];
  try {
    for (const file of companions(input)) {
      const encrypted = await isEncryptedFile(file);
      const decrypt = flags.decrypt === true && encrypted;
      const name = decrypt ? basename(file).replace(/\.enc$/i, '') : basename(file);
      const target = join(flags.output, name);
      if (resolve(target) === resolve(file)) throw new Error(`${file}: the output directory is the recording's own directory`);
      if (!flags.force && existsSync(target)) throw new Error(`${target}: exists (use --force to replace it)`);
      if (decrypt && keyring) await decryptFile(file, target, keyring);
      else {
        const partial = `${target}.partial`;
        await copyFile(file, partial);
        await rename(partial, target);
      }
      written.push(target);
    }
  } catch (error) {
    // All or nothing per recording: a half-exported recording is worse than none.
    await Promise.all(written.map((file) => rm(file, { force: true })));
    return { input, ok: false, files: [], ...(integrity ? { integrity } : {}), error: error instanceof Error ? error.message : String(error) };
  }
  return { input, ok: true, files: written, ...(integrity ? { integrity } : {}) };
}
