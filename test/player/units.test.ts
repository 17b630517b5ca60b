// Small pieces of the player server: Range decisions, wildcard matching, the `recorder user` commands.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountStore, decideRange, matchesWildcard, registerUserCommands, verifyPassword } from '../../src/player/index.js';
import { tempDir } from '../recordings/helpers.js';

describe('decideRange', () => {
  it('single ranges, suffixes, open ends; 416 past the end; anything else is the whole body', () => {
    expect(decideRange(undefined, 100)).toEqual({ kind: 'full' });
    expect(decideRange('bytes=0-9', 100)).toEqual({ kind: 'partial', start: 0, end: 10 });
    expect(decideRange('bytes=90-', 100)).toEqual({ kind: 'partial', start: 90, end: 100 });
    expect(decideRange('bytes=-5', 100)).toEqual({ kind: 'partial', start: 95, end: 100 });
    expect(decideRange('bytes=-500', 100)).toEqual({ kind: 'partial', start: 0, end: 100 });
    expect(decideRange('bytes=50-5000', 100)).toEqual({ kind: 'partial', start: 50, end: 100 });
    expect(decideRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=1234567890123456789-', 100)).toEqual({ kind: 'unsatisfiable' });
    for (const bad of ['bytes=', 'bytes=a-b', 'bytes=1-2,3-4', 'items=0-1', 'bytes=5-1', 'bytes 0-1']) expect(decideRange(bad, 100), bad).toEqual({ kind: 'full' });
  });
});

describe('matchesWildcard', () => {
  it('follows the player: exact, * any run, ? one character, escapes', () => {
    expect(matchesWildcard('201', '201')).toBe(true);
    expect(matchesWildcard('20', '201')).toBe(false);
    expect(matchesWildcard('2*', '2010')).toBe(true);
    expect(matchesWildcard('3?6', '396')).toBe(true);
    expect(matchesWildcard('3?6', '3906')).toBe(false);
    expect(matchesWildcard('a\\*', 'a*')).toBe(true);
    expect(matchesWildcard('a\\*', 'ab')).toBe(false);
    expect(matchesWildcard('+49.*', '+49x1')).toBe(false); // '.' is literal
  });
});

describe('recorder user commands', () => {
  let dir: { path: string; remove: () => void } | undefined;
  afterEach(() => dir?.remove());

  async function run(...args: string[]): Promise<string> {
    const program = new Command('recorder').exitOverride();
    registerUserCommands(program);
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
    try {
      await program.parseAsync(args, { from: 'user' });
    } finally {
      process.stdout.write = write;
    }
    return out;
  }

  it('add, set, passwd, list, remove', async () => {
    dir = tempDir('player-users');
    const file = join(dir.path, 'TMP', 'accounts.sqlite');
    process.env.TEST_PW = 'first password';
    await run('user', 'add', 'rossi', '--accounts', file, '--role', 'agent', '--numbers', '24,25', '--allow', 'notes,tan', '--password-env', 'TEST_PW');
    expect(existsSync(file)).toBe(true);
    const listed = JSON.parse(await run('user', 'list', '--accounts', file, '--json')) as Array<Record<string, unknown>>;
    expect(listed).toEqual([expect.objectContaining({ name: 'rossi', role: 'agent', numbers: ['24', '25'], permissions: ['tan', 'notes'], player: 'rossi' })]);
    await run('user', 'set', 'rossi', '--accounts', file, '--role', 'supervisor', '--player', 'Rossi');
    process.env.TEST_PW = 'second password';
    await run('user', 'passwd', 'rossi', '--accounts', file, '--password-env', 'TEST_PW');
    const accounts = new AccountStore(file);
    expect(accounts.get('rossi')).toMatchObject({ role: 'supervisor', player: 'Rossi' });
    expect(await accounts.authenticate('rossi', 'second password')).toBeDefined();
    expect(await accounts.authenticate('rossi', 'first password')).toBeUndefined();
    accounts.close();
    await expect(run('user', 'add', 'x y', '--accounts', file, '--password-env', 'TEST_PW')).rejects.toThrow(/name/);
    process.env.SHORT_PW = 'short';
    await expect(run('user', 'add', 'short', '--accounts', file, '--password-env', 'SHORT_PW')).rejects.toThrow(/password/);
    await expect(run('user', 'add', 'eve', '--accounts', file, '--allow', 'everything', '--password-env', 'TEST_PW')).rejects.toThrow(/permission/);
    expect(await run('user', 'remove', 'rossi', '--accounts', file)).toContain('removed rossi');
    await expect(run('user', 'remove', 'rossi', '--accounts', file)).rejects.toThrow(/no account/);
    expect(await verifyPassword('x', 'not a hash')).toBe(false);
  });
});
