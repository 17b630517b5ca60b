// `recorder user add|passwd|set|list|remove`: the player's accounts, kept in the accounts file beside the index.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../platform/config/index.js';
import { AccountStore, PERMISSIONS, ROLES } from './accounts.js';
import type { Account, Permission, Role } from './accounts.js';
import { AccountError } from './errors.js';

/** The accounts file that goes with an index: accounts.sqlite in the same folder (ROOT/TMP by default). */
export function defaultAccountsPath(indexPath: string): string {
  return join(dirname(indexPath), 'accounts.sqlite');
}

interface CommonFlags {
  accounts?: string;
  config?: string;
  json?: boolean;
}

interface AccountFlags extends CommonFlags {
  role?: string;
  numbers?: string;
  allow?: string;
  player?: string;
  passwordEnv: string;
}

const list = (value: string | undefined): string[] | undefined =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0);

async function accountsPath(flags: CommonFlags): Promise<string> {
  if (flags.accounts) return flags.accounts;
  if (flags.config) return defaultAccountsPath((await loadConfig(flags.config)).storage.indexPath!);
  throw new AccountError('--accounts', 'give the accounts file (--accounts FILE) or the recorder configuration (--config FILE)');
}

async function withAccounts<T>(flags: CommonFlags, run: (accounts: AccountStore) => Promise<T>): Promise<T> {
  const path = await accountsPath(flags);
  await mkdir(dirname(path), { recursive: true });
  const accounts = new AccountStore(path);
  try {
    return await run(accounts);
  } finally {
    accounts.close();
  }
}

/** The new password: from the named environment variable, else the first line on standard input. */
async function readPassword(envName: string): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (process.stdin.isTTY) process.stderr.write('password: ');
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') throw new AccountError('password', `none given (set ${envName} or write it on standard input)`);
  return line;
}

function describe(account: Account): Record<string, unknown> {
  return { name: account.name, role: account.role, numbers: account.numbers, permissions: account.permissions, player: account.player, createdAt: account.createdAt.toISOString() };
}

function print(flags: CommonFlags, value: unknown, text: string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

function addCommon(command: Command): Command {
  return command
    .option('--accounts <file>', 'the accounts file (SQLite)')
    .option('--config <file>', 'recorder configuration: the accounts file is accounts.sqlite beside the index')
    .option('--json', 'print the result as JSON');
}

function addAccountOptions(command: Command): Command {
  return command
    .option('--role <role>', `${ROLES.join(' or ')} (an agent sees only the calls of its numbers)`)
    .option('--numbers <list>', 'internal numbers whose calls the account sees, comma-separated')
    .option('--allow <list>', `what the account may change, comma-separated: ${PERMISSIONS.join(', ')} (empty: nothing)`)
    .option('--player <name>', 'player name for remote control (default: the account name)');
}

/** Register `recorder user …` on a commander program. Errors are thrown (AccountError names the field). */
export function registerUserCommands(program: Command): void {
  const user = program.command('user').description("the web player's accounts: roles, numbers, permissions, passwords");

  addAccountOptions(addCommon(user.command('add').description('create an account').argument('<name>', 'account name')))
    .option('--password-env <name>', 'environment variable holding the password (otherwise read from standard input)', 'RECORDER_USER_PASSWORD')
    .action(async (name: string, flags: AccountFlags) => {
      const password = await readPassword(flags.passwordEnv);
      const account = await withAccounts(flags, (accounts) =>
        accounts.add({
          name,
          password,
          role: (flags.role ?? 'agent') as Role,
          numbers: list(flags.numbers) ?? [],
          permissions: (list(flags.allow) ?? []) as Permission[],
          ...(flags.player !== undefined ? { player: flags.player } : {}),
        }),
      );
      print(flags, describe(account), `added ${account.role} ${account.name}`);
    });

  addCommon(user.command('passwd').description("set an account's password (its sessions end)").argument('<name>', 'account name'))
    .option('--password-env <name>', 'environment variable holding the password (otherwise read from standard input)', 'RECORDER_USER_PASSWORD')
    .action(async (name: string, flags: AccountFlags) => {
      const password = await readPassword(flags.passwordEnv);
      await withAccounts(flags, (accounts) => accounts.setPassword(name, password));
      print(flags, { name, changed: true }, `password of ${name} changed`);
    });

  addAccountOptions(addCommon(user.command('set').description("change an account's role, numbers, permissions or player name").argument('<name>', 'account name'))).action(
    async (name: string, flags: AccountFlags) => {
      const account = await withAccounts(flags, async (accounts) =>
        accounts.update(name, {
          ...(flags.role !== undefined ? { role: flags.role as Role } : {}),
          ...(flags.numbers !== undefined ? { numbers: list(flags.numbers)! } : {}),
          ...(flags.allow !== undefined ? { permissions: list(flags.allow)! as Permission[] } : {}),
          ...(flags.player !== undefined ? { player: flags.player } : {}),
        }),
      );
      print(flags, describe(account), `changed ${account.name}`);
    },
  );

  addCommon(user.command('list').description('list the accounts')).action(async (flags: CommonFlags) => {
    const all = await withAccounts(flags, async (accounts) => accounts.list());
    const lines = all.map((a) => `${a.name.padEnd(20)} ${a.role.padEnd(10)} numbers: ${a.numbers.join(',') || '—'}  may: ${a.permissions.join(',') || '—'}  player: ${a.player}`);
    print(flags, all.map(describe), lines.length > 0 ? lines.join('\n') : 'no accounts');
  });

  addCommon(user.command('remove').description('remove an account').argument('<name>', 'account name')).action(async (name: string, flags: CommonFlags) => {
    const removed = await withAccounts(flags, async (accounts) => accounts.remove(name));
    if (!removed) throw new AccountError('name', `no account ${name}`);
    print(flags, { name, removed: true }, `removed ${name}`);
  });
}
