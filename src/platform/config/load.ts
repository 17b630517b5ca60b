// Loading the recorder's configuration: one JSON or TOML file, validated, defaults filled in, relative paths
// taken from the file's folder, encrypted secrets ("enc:…") decrypted. Errors name the file, the dotted path
// and the reason; they never quote secrets.
import { access, constants, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { CryptoError, Keyring, readKeyFile } from '../crypto/index.js';
import type { Key } from '../crypto/index.js';
import { recorderConfigSchema } from './schema.js';
import type { RecorderConfig } from './schema.js';
import { SECRET_PATHS, decryptSecret, isEncryptedSecret } from './secrets.js';

export interface ConfigIssue {
  /** Dotted path, e.g. `storage.retentionMonths` or `encryption.keyFiles[0]` ('' for the whole file). */
  readonly path: string;
  readonly reason: string;
}

/** A configuration that cannot be used. One line per problem: `FILE: PATH: REASON`. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(issues.map((issue) => `${file}: ${issue.path ? `${issue.path}: ` : ''}${issue.reason}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Keys to decrypt "enc:" secrets with; default: the keys of encryption.keyFiles. */
  readonly keyring?: Keyring;
  /** Environment for the passphrase variable (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Folder relative paths are resolved against (default: the config file's folder). */
  readonly baseDir?: string;
  /**
   * Check the storage paths on the file system (default true). Commands that only read the service's status
   * skip it: they must work when a path has gone wrong, which is when they are needed.
   */
  readonly checkPaths?: boolean;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** A short, safe rendering of an offending value (strings are cut; nothing long is echoed). */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  return 'a table';
}

const EXPECTED: Record<string, string> = {
  int: 'a whole number',
  number: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  object: 'a table (object)',
  array: 'a list',
};

type Issue = z.core.$ZodIssue;

function isSecretPath(path: string): boolean {
  return SECRET_PATHS.includes(path) || /password|secret|passphrase|token/i.test(path);
}

function reasonOf(issue: Issue, path: string): string {
  const input = isSecretPath(path) ? undefined : issue.input;
  const got = isSecretPath(path) ? '' : `, got ${show(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}${got}`;
    case 'too_small': {
      const op = issue.inclusive === false ? '>' : '≥';
      if (issue.origin === 'string') return issue.minimum === 1 ? 'must not be empty' : `expected at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `expected at least ${issue.minimum} entries`;
      return `expected a whole number ${op} ${issue.minimum}${got}`;
    }
    case 'too_big': {
      const op = issue.inclusive === false ? '<' : '≤';
      if (issue.origin === 'string') return `expected at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `expected at most ${issue.maximum} entries`;
      return `expected a whole number ${op} ${issue.maximum}${got}`;
    }
    case 'invalid_value':
      return `expected ${issue.values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ').replace(/, ([^,]*)$/, ' or $1')}${got}`;
    case 'invalid_union': {
      const union = issue as Issue & { discriminator?: string; options?: unknown[] };
      if (union.discriminator && Array.isArray(union.options)) {
        const value = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[union.discriminator] : undefined;
        return `expected ${union.options.map((o) => `'${String(o)}'`).join(' or ')}, got ${show(value)}`;
      }
      return `not any of the accepted forms${got}`;
    }
    case 'invalid_format':
    case 'custom':
      return issue.message.includes(', got ') || issue.code === 'custom' ? issue.message : `${issue.message}${got}`;
    default:
      return issue.message;
  }
}

/** zod issues as config issues; unknown keys become one issue each, at their own path. */
export function configIssues(issues: readonly Issue[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = formatPath([...issue.path, key]);
        out.push({ path, reason: 'unknown key (a typo?)' });
      }
      continue;
    }
    const path = formatPath(issue.path);
    out.push({ path, reason: reasonOf(issue, path) });
  }
  return out;
}

/** Parse file text as JSON or TOML (by extension; otherwise by its first character). */
export function parseConfigText(text: string, file: string): unknown {
  const ext = extname(file).toLowerCase();
  const json = ext === '.json' || (ext !== '.toml' && text.trimStart().startsWith('{'));
  if (json) {
    try {
      return JSON.parse(text);
    } catch (error) {
      // Never echo the file (it holds passwords): only the kind of error and where.
      const message = error instanceof Error ? error.message : String(error);
      const position = /position (\d+)/.exec(message);
      const where = position ? (() => {
        const before = text.slice(0, Number(position[1]));
        return `line ${before.split('\n').length}, column ${Number(position[1]) - before.lastIndexOf('\n')}: `;
      })() : '';
      const token = /^Unexpected token '(.)'/.exec(message);
      const what = token ? `unexpected '${token[1]}'` : /end of JSON input/.test(message) ? 'unexpected end of file' : 'syntax error';
      throw new ConfigError(file, [{ path: '', reason: `not valid JSON: ${where}${what}` }]);
    }
  }
  try {
    return parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const first = error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new ConfigError(file, [{ path: '', reason: `not valid TOML: line ${error.line}, column ${error.column}: ${first}` }]);
    }
    throw new ConfigError(file, [{ path: '', reason: `not valid TOML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` }]);
  }
}

function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** True when `inner` is `outer` or lies below it. */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Kernel pseudo-file systems: nothing can be stored there (a root under /proc made `run` spin). */
const PSEUDO_FILE_SYSTEMS = ['/proc', '/sys', '/dev'];

/** How the storage paths stand to each other: problems a schema cannot see, named by config path. */
function storagePathIssues(root: string, workDir: string, backup: string | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [path, value] of [
    ['storage.root', root],
    ['storage.workDir', workDir],
    ['storage.backup', backup],
  ] as const) {
    if (value === undefined) continue;
    const pseudo = PSEUDO_FILE_SYSTEMS.find((system) => within(value, system));
    if (pseudo) issues.push({ path, reason: `${value} is on ${pseudo}, a kernel pseudo-file system, not storage` });
  }
  if (backup !== undefined) {
    if (within(backup, root)) issues.push({ path: 'storage.backup', reason: `${backup} is ${backup === root ? 'the storage root itself' : 'inside the storage root'}: a backup must be apart from what it backs up` });
    else if (within(root, backup)) issues.push({ path: 'storage.backup', reason: `the storage root ${root} is inside the backup folder ${backup}` });
  }
  const below = relative(root, workDir).split(sep)[0] ?? '';
  if (within(workDir, root) && /^\d{4}_\d{2}$/.test(below)) {
    issues.push({ path: 'storage.workDir', reason: `${workDir} is inside the month folder ${below}: retention would delete it with the month` });
  }
  return issues;
}

/**
 * What the file system says of the storage paths: a root (or backup) that is a file, or a folder that cannot be
 * created or written. Checked before anything is touched.
 */
export async function checkStoragePaths(config: RecorderConfig, file: string): Promise<void> {
  const issues: ConfigIssue[] = [];
  for (const [path, value] of [
    ['storage.root', config.storage.root],
    ['storage.workDir', config.storage.workDir],
    ['storage.backup', config.storage.backup],
  ] as const) {
    if (value === undefined) continue;
    let probe = value;
    for (;;) {
      try {
        const info = await stat(probe);
        if (!info.isDirectory()) issues.push({ path, reason: probe === value ? `${value} is a file, not a folder` : `${probe} is a file, so ${value} cannot be created` });
        else await access(probe, constants.W_OK);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Missing, or a file in the way on the path (ENOTDIR): look at the folder above.
        if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(probe) !== probe) {
          probe = dirname(probe);
          continue;
        }
        issues.push({ path, reason: code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? `${probe} cannot be written (${code})` : `${probe}: ${code ?? String(error)}` });
        break;
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(file, issues);
}

/** Validate a parsed configuration; defaults filled in, relative paths resolved against `baseDir`. Secrets untouched. */
export function validateConfig(value: unknown, file: string, baseDir = '.'): RecorderConfig {
  const result = recorderConfigSchema.safeParse(value, { reportInput: true });
  if (!result.success) throw new ConfigError(file, configIssues(result.error.issues));
  const config = result.data;
  const root = resolvePath(baseDir, config.storage.root);
  const workDir = resolvePath(baseDir, config.storage.workDir ?? join(root, 'REC'));
  const pathIssues = storagePathIssues(root, workDir, config.storage.backup !== undefined ? resolvePath(baseDir, config.storage.backup) : undefined);
  if (pathIssues.length > 0) throw new ConfigError(file, pathIssues);
  return {
    ...config,
    drive: config.drive.kind === 'local' ? { ...config.drive, path: resolvePath(baseDir, config.drive.path) } : config.drive,
    storage: {
      ...config.storage,
      root,
      ...(config.storage.backup !== undefined ? { backup: resolvePath(baseDir, config.storage.backup) } : {}),
      workDir,
      journalPath: resolvePath(baseDir, config.storage.journalPath ?? join(workDir, 'journal.jsonl')),
      indexPath: resolvePath(baseDir, config.storage.indexPath ?? join(root, 'TMP', 'index.sqlite')),
      auditPath: resolvePath(baseDir, config.storage.auditPath ?? join(root, 'TMP', 'service-audit.log')),
    },
    encryption: { ...config.encryption, keyFiles: config.encryption.keyFiles.map((path) => resolvePath(baseDir, path)) },
    log: { ...config.log, ...(config.log.dir !== undefined ? { dir: resolvePath(baseDir, config.log.dir) } : {}) },
    server: {
      ...config.server,
      ...(config.server.tlsCert !== undefined ? { tlsCert: resolvePath(baseDir, config.server.tlsCert) } : {}),
      ...(config.server.tlsKey !== undefined ? { tlsKey: resolvePath(baseDir, config.server.tlsKey) } : {}),
    },
  };
}

/**
 * The keyring the configuration names (encryption.keyFiles; current = currentKeyId or the first), or undefined
 * when it names none. Errors are ConfigErrors naming the key file's path in the config.
 */
export async function configKeyring(config: RecorderConfig, file = 'config', env: Readonly<Record<string, string | undefined>> = process.env): Promise<Keyring | undefined> {
  const { keyFiles, currentKeyId, passphraseEnv } = config.encryption;
  if (keyFiles.length === 0) return undefined;
  const keys: Key[] = [];
  for (const [index, path] of keyFiles.entries()) {
    try {
      const passphrase = env[passphraseEnv];
      keys.push(await readKeyFile(path, passphrase !== undefined ? { passphrase } : {}));
    } catch (error) {
      throw new ConfigError(file, [{ path: `encryption.keyFiles[${index}]`, reason: error instanceof Error ? error.message : String(error) }]);
    }
  }
  if (currentKeyId !== undefined && !keys.some((key) => key.id === currentKeyId)) {
    throw new ConfigError(file, [{ path: 'encryption.currentKeyId', reason: `no key file holds key ${currentKeyId} (have ${keys.map((k) => k.id).join(', ')})` }]);
  }
  return new Keyring(keys, currentKeyId);
}

function getAt(config: Record<string, unknown>, path: string): unknown {
  let node: unknown = config;
  for (const part of path.split('.')) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  return node;
}

function setAt(config: Record<string, unknown>, path: string, value: string): void {
  const parts = path.split('.');
  let node = config;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}

/** Decrypt every "enc:" secret in place of a validated config (a new object is returned). */
export async function resolveSecrets(config: RecorderConfig, file: string, options: LoadConfigOptions = {}): Promise<RecorderConfig> {
  const encrypted = SECRET_PATHS.filter((path) => {
    const value = getAt(config as unknown as Record<string, unknown>, path);
    return typeof value === 'string' && isEncryptedSecret(value);
  });
  if (encrypted.length === 0) return config;
  const keyring = options.keyring ?? (await configKeyring(config, file, options.env));
  if (!keyring) throw new ConfigError(file, encrypted.map((path) => ({ path, reason: 'an encrypted secret (enc:…) needs a key: set encryption.keyFiles' })));
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  for (const path of encrypted) {
    try {
      setAt(copy, path, decryptSecret(getAt(copy, path) as string, keyring));
    } catch (error) {
      const reason = error instanceof CryptoError ? `cannot decrypt: ${error.message}` : `cannot decrypt: ${error instanceof Error ? error.message : String(error)}`;
      issues.push({ path, reason });
    }
  }
  if (issues.length > 0) throw new ConfigError(file, issues);
  return copy as unknown as RecorderConfig;
}

/** Read, validate and complete the configuration file; throws ConfigError (file, path, reason). */
export async function loadConfig(path: string, options: LoadConfigOptions = {}): Promise<RecorderConfig> {
  const file = basename(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(path, [{ path: '', reason: code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? 'error'})` }]);
  }
  const value = parseConfigText(text.replace(/^\uFEFF/, ''), file);
  const config = validateConfig(value, file, options.baseDir ?? dirname(resolve(path)));
  if (options.checkPaths !== false) await checkStoragePaths(config, file);
  return resolveSecrets(config, file, options);
}
