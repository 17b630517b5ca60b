import { existsSync, mkdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import {
  CryptoError,
  DataKeyVault,
  containerKeyIdOf,
  decryptFile,
  encryptFile,
  generateKeyFile,
  generatePassphraseKeyFile,
  readKeyring,
  sealSidecar,
  sidecarPathFor,
  recordingNameOf,
  signRecording,
  signatureToXml,
  unsignedSidecarDigest,
  verifyFile,
} from '../platform/crypto/index.js';
import type { FileCryptoResult, FileVerification, Keyring } from '../platform/crypto/index.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE, positiveInteger } from './exit-codes.js';
import { auditCommand, commandUser, loadCommandConfig, storeKeyring } from './command-config.js';
import { encryptSecret } from '../platform/config/index.js';

const DEFAULT_PASSPHRASE_ENV = 'RECORDER_PASSPHRASE';

interface KeyFlags {
  key?: string[];
  passphraseEnv: string;
  json?: boolean;
}

interface OutputFlags extends KeyFlags {
  output?: string;
  force?: boolean;
}

interface FileOutcome {
  readonly input: string;
  readonly ok: boolean;
  readonly output?: string;
  readonly keyId?: string;
  readonly plaintextBytes?: number;
  readonly encryptedBytes?: number;
  /** The error's code when it is a CryptoError (tampered, unknown-key, truncated, not-encrypted, …). */
  readonly code?: string;
  readonly error?: string;
}

/** Repeatable option: each occurrence adds one value. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Print to stderr and stop with `code`. */
function fail(text: string, code: number): never {
  process.stderr.write(`recorder: ${text}\n`);
  throw new CommandExit(code);
}

/** The keyring from --key files; a passphrase key definition takes its passphrase from the named environment variable. */
async function loadKeyring(flags: KeyFlags, required: boolean): Promise<Keyring> {
  const files = flags.key ?? [];
  if (required && files.length === 0) fail('give a key with --key FILE', EXIT_USAGE);
  const passphrase = process.env[flags.passphraseEnv];
  try {
    return await readKeyring(files, passphrase === undefined ? {} : { passphrase });
  } catch (error) {
    if (flags.json) process.stdout.write(`${JSON.stringify({ error: message(error), ...(error instanceof CryptoError ? { code: error.code } : {}) })}\n`);
    return fail(message(error), EXIT_FAILED);
  }
}

function outputPath(input: string, flags: OutputFlags, name: string): string {
  const dir = flags.output ?? dirname(input);
  return join(dir, name);
}

function decryptedName(input: string): string {
  const name = basename(input);
  return name.endsWith('.enc') && name.length > 4 ? name.slice(0, -4) : `${name}.dec`;
}

function prepareOutputDir(flags: OutputFlags): void {
  if (flags.output === undefined) return;
  try {
    mkdirSync(flags.output, { recursive: true });
  } catch (error) {
    fail(`${flags.output}: cannot create output directory (${(error as NodeJS.ErrnoException).code ?? message(error)})`, EXIT_FAILED);
  }
}

function refusal(input: string, output: string, flags: OutputFlags): string | undefined {
  if (resolve(output) === resolve(input)) return `${input}: the output would overwrite the input`;
  if (!flags.force && existsSync(output)) return `${output}: exists (use --force to replace it)`;
  return undefined;
}

function failure(input: string, error: unknown): FileOutcome {
  return { input, ok: false, ...(error instanceof CryptoError ? { code: error.code } : {}), error: message(error) };
}

function report(outcomes: FileOutcome[], verb: string, json: boolean | undefined): void {
  const failed = outcomes.filter((o) => !o.ok).length;
  if (json) {
    process.stdout.write(`${JSON.stringify({ files: outcomes.length, ok: outcomes.length - failed, failed, results: outcomes }, null, 2)}\n`);
  } else {
    for (const o of outcomes) {
      if (o.ok) process.stdout.write(`${o.input} → ${o.output} (key ${o.keyId})\n`);
      else process.stderr.write(`FAILED ${o.error}\n`);
    }
    process.stdout.write(`${outcomes.length - failed}/${outcomes.length} files ${verb}, ${failed} failed\n`);
  }
  if (failed > 0) throw new CommandExit(EXIT_FAILED);
}

function passphraseOption(): Option {
  return new Option('--passphrase-env <name>', 'environment variable holding the passphrase of a passphrase key definition').default(DEFAULT_PASSPHRASE_ENV);
}

/** A file whose data key an erasure destroyed. */
interface ErasedVerdict {
  readonly file: string;
  readonly status: 'erased';
  readonly keyId: string;
  readonly erasedAt: string;
  readonly by: string;
  readonly reason: string;
}

function describeVerdict(v: FileVerification): string {
  const what = v.status === 'unsigned' ? 'not encrypted and unsigned' : v.status === 'unknown-key' ? 'unknown key' : v.status;
  const detail = v.status === 'intact' ? `${v.kind}${v.keyId ? `, key ${v.keyId}` : ''}` : (v.reason ?? v.kind);
  return `${v.file}: ${what} (${detail})`;
}

/** `recorder key generate`, `encrypt`, `decrypt`, `sign`, `verify`. */
/** Run `transform` from each input to its output name (beside it or in -o), refusing to replace without --force. */
async function eachFile(inputs: readonly string[], flags: OutputFlags, nameOf: (input: string) => string, transform: (input: string, output: string) => Promise<FileCryptoResult>): Promise<FileOutcome[]> {
  prepareOutputDir(flags);
  const outcomes: FileOutcome[] = [];
  for (const input of inputs) {
    const output = outputPath(input, flags, nameOf(input));
    const refused = refusal(input, output, flags);
    if (refused) {
      outcomes.push({ input, ok: false, error: refused });
      continue;
    }
    try {
      const { plaintextSha256: _digest, ...result } = await transform(input, output);
      outcomes.push({ ok: true, ...result });
    } catch (error) {
      outcomes.push(failure(input, error));
    }
  }
  return outcomes;
}

export function registerCryptoCommands(program: Command): void {
  const key = program.command('key').description('manage encryption keys (the key bytes are never printed)');
  key
    .command('generate')
    .description('write a new key file: 32 random bytes as hex, or a passphrase key definition (salt and scrypt cost, no secret); mode 0600, never overwrites')
    .argument('<file>', 'key file to create')
    .option('--from-passphrase', 'derive the key from the passphrase in the --passphrase-env variable (scrypt N=2^17, r=8, p=1)')
    .addOption(passphraseOption())
    .option('--json', 'print the key id as JSON')
    .action(async (file: string, flags: { fromPassphrase?: boolean; passphraseEnv: string; json?: boolean }) => {
      let created;
      try {
        if (flags.fromPassphrase) {
          const passphrase = process.env[flags.passphraseEnv];
          if (!passphrase) fail(`--from-passphrase: set the passphrase in the environment variable ${flags.passphraseEnv}`, EXIT_USAGE);
          created = await generatePassphraseKeyFile(file, passphrase);
        } else {
          created = await generateKeyFile(file);
        }
      } catch (error) {
        if (error instanceof CommandExit) throw error;
        const code = (error as NodeJS.ErrnoException).code;
        fail(code === 'EEXIST' ? `${file}: exists; a key file is never overwritten` : `${file}: ${message(error)}`, EXIT_FAILED);
      }
      const result = { file, keyId: created.id, kind: flags.fromPassphrase ? 'passphrase' : 'random' };
      process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `${file}: new ${result.kind} key ${result.keyId}\n`);
    });

  key
    .command('encrypt-secret')
    .description('print a password for the configuration encrypted ("enc:…") under the first --key; the password is read from standard input (one line)')
    .option('--key <file>', 'key file, required: one the configuration lists in encryption.keyFiles (repeat for a keyring; the first is used)', collect)
    .addOption(passphraseOption())
    .action(async (flags: OutputFlags) => {
      const keyring = await loadKeyring(flags, true);
      let text = '';
      for await (const chunk of process.stdin) text += String(chunk);
      const secret = text.replace(/\r?\n$/, '');
      if (secret === '') fail('no password on standard input (echo -n "…" | recorder key encrypt-secret --key KEY)', EXIT_USAGE);
      process.stdout.write(`${encryptSecret(secret, keyring)}\n`);
    });

  program
    .command('encrypt')
    .description('encrypt files (AES-256-GCM in authenticated 64 KiB chunks) under the first --key; writes NAME.enc')
    .argument('<inputs...>', 'files to encrypt')
    .option('--key <file>', 'key file, required (repeat for a keyring; the first is used)', collect)
    .addOption(passphraseOption())
    .option('-o, --output <dir>', 'write here (default: beside each input)')
    .option('--chunk-size <bytes>', 'plaintext bytes per chunk', positiveInteger)
    .option('--force', 'replace existing outputs')
    .option('--json', 'print the results as JSON')
    .action(async (inputs: string[], flags: OutputFlags & { chunkSize?: number }) => {
      const keyring = await loadKeyring(flags, true);
      const options = flags.chunkSize === undefined ? {} : { chunkSize: flags.chunkSize };
      report(await eachFile(inputs, flags, (input) => `${basename(input)}.enc`, (input, output) => encryptFile(input, output, keyring, options)), 'encrypted', flags.json);
    });

  program
    .command('decrypt')
    .description('decrypt files made by `recorder encrypt` (or the service) with any key of the keyring; NAME.enc → NAME')
    .argument('<inputs...>', 'encrypted files')
    .option('--key <file>', 'key file, required; repeat for several keys (system and customer keys)', collect)
    .addOption(passphraseOption())
    .option('-c, --config <file>', "the service's configuration: its keys (with per-recording data keys) when no --key is given, and each decryption is written to its audit trail")
    .option('--by <name>', 'with -c: who decrypts, as the audit trail names them (default: the login name)')
    .option('-o, --output <dir>', 'write here (default: beside each input)')
    .option('--force', 'replace existing outputs')
    .option('--json', 'print the results as JSON')
    .action(async (inputs: string[], flags: OutputFlags & { config?: string; by?: string }) => {
      if (flags.config === undefined) {
        if (flags.by !== undefined) fail('--by names who decrypts in the audit trail of -c CONFIG: give -c too', EXIT_USAGE);
        const keyring = await loadKeyring(flags, true);
        report(await eachFile(inputs, flags, decryptedName, (input, output) => decryptFile(input, output, keyring)), 'decrypted', flags.json);
        return;
      }
      // Key use under a service's configuration is on its record (compliance: every use of a key is audited).
      const { user } = commandUser(flags.by, 'decrypt');
      const loaded = await loadCommandConfig(flags.config, 'decrypt');
      const keyring = (flags.key ?? []).length > 0 ? await loadKeyring(flags, true) : storeKeyring(loaded);
      if (!keyring) fail(`${flags.config}: no encryption keys configured (encryption.keyFiles); give --key FILE`, EXIT_USAGE);
      const outcomes = await eachFile(inputs, flags, decryptedName, (input, output) => decryptFile(input, output, keyring));
      await auditCommand(loaded, user, outcomes.map((o) => ({
        action: 'decrypt',
        detail: o.ok ? { file: resolve(o.input), output: resolve(o.output!), keyId: o.keyId } : { file: resolve(o.input), refused: o.error },
      })));
      report(outcomes, 'decrypted', flags.json);
    });

  program
    .command('sign')
    .description('sign plain recordings: writes NAME.xml, an encrypted sidecar holding the HMAC-SHA-256 signature of the audio')
    .argument('<inputs...>', 'recordings to sign')
    .option('--key <file>', 'key file, required (the first is used)', collect)
    .addOption(passphraseOption())
    .option('--force', 'replace an existing sidecar')
    .option('--json', 'print the signatures as JSON')
    .action(async (inputs: string[], flags: OutputFlags) => {
      const keyring = await loadKeyring(flags, true);
      const outcomes: FileOutcome[] = [];
      for (const input of inputs) {
        const output = sidecarPathFor(input);
        const refused = refusal(input, output, flags);
        if (refused) {
          outcomes.push({ input, ok: false, error: refused });
          continue;
        }
        try {
          const name = basename(input).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
          const head = `<?xml version="1.0" encoding="UTF-8"?>\n<recording file="${name}">\n`;
          const tail = '</recording>\n';
          // Bound to the file's name and this sidecar: renaming the pair, or swapping in another recording's file, is detected.
          const signature = await signRecording(input, keyring, { name: recordingNameOf(input), sidecarDigest: unsignedSidecarDigest(head + tail) });
          const xml = `${head}  ${signatureToXml(signature)}\n${tail}`;
          await writeFile(`${output}.partial`, sealSidecar(xml, keyring), { mode: 0o600 });
          await rename(`${output}.partial`, output);
          outcomes.push({ input, ok: true, output, keyId: signature.keyId });
        } catch (error) {
          outcomes.push(failure(input, error));
        }
      }
      report(outcomes, 'signed', flags.json);
    });

  program
    .command('verify')
    .description('check recordings: encrypted files chunk by chunk, plain ones against the signature in their NAME.xml sidecar; exit 1 unless all are intact')
    .argument('<files...>', 'recordings (plain or encrypted)')
    .option('--key <file>', 'key file; repeat for several keys', collect)
    .addOption(passphraseOption())
    .option('--data-keys <dir>', 'the per-recording data key vault (data-keys beside the index): opens files sealed under data keys, and names the erased ones')
    .option('--json', 'print the verdicts as JSON')
    .action(async (files: string[], flags: KeyFlags & { dataKeys?: string }) => {
      const masters = await loadKeyring(flags, false);
      const vault = flags.dataKeys !== undefined ? new DataKeyVault(flags.dataKeys, masters) : undefined;
      const keyring = vault ? vault.keyring() : masters;
      const verdicts: Array<FileVerification | ErasedVerdict> = [];
      for (const file of files) {
        const verdict = await verifyFile(file, keyring);
        // A copy of a recording erased on request: its key was destroyed on purpose, which is neither tampering nor a lost key.
        const keyId = verdict.status === 'unknown-key' && vault ? (verdict.keyId ?? (await containerKeyIdOf(file))) : undefined;
        const erased = keyId !== undefined ? vault?.erased(keyId) : undefined;
        verdicts.push(erased ? { file, status: 'erased', keyId: erased.id, erasedAt: erased.erasedAt, by: erased.by, reason: erased.reason } : verdict);
      }
      const intact = verdicts.filter((v) => v.status === 'intact').length;
      const erased = verdicts.filter((v) => v.status === 'erased').length;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ files: verdicts.length, intact, erased, notIntact: verdicts.length - intact - erased, results: verdicts }, null, 2)}\n`);
      } else {
        for (const v of verdicts) process.stdout.write(`${v.status === 'erased' ? `${v.file}: erased (by ${v.by} at ${v.erasedAt}: ${v.reason})` : describeVerdict(v)}\n`);
        process.stdout.write(`${intact}/${verdicts.length} intact${erased > 0 ? `, ${erased} erased` : ''}\n`);
      }
      if (intact + erased < verdicts.length) throw new CommandExit(EXIT_FAILED);
    });
}
