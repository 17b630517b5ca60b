import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RandomSampler, RandomSamplingError } from '../../../src/recorder/service/index.js';

const base = mkdtempSync(join(tmpdir(), 'random-sampling-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let files = 0;
const freshFile = (): string => join(base, `counters-${++files}.json`);

/** Keeps, in call order, for calls of the given agents. */
function run(sampler: RandomSampler, agents: readonly string[], first = 0): boolean[] {
  return agents.map((agent, i) => sampler.sample(`conf-${first + i}`, agent).keep);
}

describe('random recording (every x-th call of the system, every y-th of an agent)', () => {
  it('every 3rd of the system keeps one and skips the following two', () => {
    const sampler = RandomSampler.open(freshFile(), { systemEvery: 3, agentEvery: 1 });
    expect(run(sampler, ['20', '21', '20', '22', '20', '21', '20'])).toEqual([true, false, false, true, false, false, true]);
  });

  it('every 2nd of an agent counts each agent on its own', () => {
    const sampler = RandomSampler.open(freshFile(), { systemEvery: 1, agentEvery: 2 });
    expect(run(sampler, ['20', '21', '20', '21', '20', '22'])).toEqual([true, true, false, false, true, true]);
    expect(sampler.counts().agentCalls).toEqual({ '20': 3, '21': 2, '22': 1 });
  });

  it('combined, the system skips first and the agent counts only the calls that passed it (the reference example)', () => {
    const sampler = RandomSampler.open(freshFile(), { systemEvery: 3, agentEvery: 2 });
    // System positions 1, 4, 7, 10 pass; of those, agent 20 has calls 1 (kept), 2 (skipped), 3 (kept).
    const keeps = run(sampler, ['20', '20', '20', '20', '20', '20', '20', '20', '20', '20']);
    expect(keeps).toEqual([true, false, false, false, false, false, true, false, false, false]);
    const verdict = sampler.sample('conf-next', '20');
    expect(verdict).toMatchObject({ keep: false, systemCall: 11 });
    expect(sampler.counts()).toMatchObject({ systemCalls: 11, agentCalls: { '20': 4 }, kept: 2, skipped: 9 });
  });

  it('a conference is counted once: its other captures and a second decision get the first answer', () => {
    const sampler = RandomSampler.open(freshFile(), { systemEvery: 2, agentEvery: 1 });
    expect(sampler.sample('conf-a', '20').keep).toBe(true);
    expect(sampler.sample('conf-a', '20').keep).toBe(true);
    expect(sampler.sample('conf-b', '20').keep).toBe(false);
    expect(sampler.sample('conf-b', '21').keep).toBe(false);
    expect(sampler.counts().systemCalls).toBe(2);
  });

  it('the counters and the answers survive a restart (reopened from the file)', () => {
    const file = freshFile();
    const before = RandomSampler.open(file, { systemEvery: 3, agentEvery: 2 });
    const first = run(before, ['20', '21', '20', '21', '20']);
    const after = RandomSampler.open(file, { systemEvery: 3, agentEvery: 2 });
    expect(after.counts()).toEqual(before.counts());
    // The same conference asked again after the restart: same answer, not counted again.
    expect(after.sample('conf-3', '21').keep).toBe(first[3]);
    const continued = run(after, ['20', '21', '20', '21', '20'], 5);
    const straight = RandomSampler.open(freshFile(), { systemEvery: 3, agentEvery: 2 });
    expect([...first, ...continued]).toEqual(run(straight, ['20', '21', '20', '21', '20', '20', '21', '20', '21', '20']));
    expect(RandomSampler.open(file, { systemEvery: 3, agentEvery: 2 }).counts().systemCalls).toBe(10);
  });

  it('a damaged counters file is an error naming the file, never silently reset', () => {
    const file = freshFile();
    writeFileSync(file, '{"version":1,"systemCalls":');
    expect(() => RandomSampler.open(file, { systemEvery: 2, agentEvery: 1 })).toThrow(RandomSamplingError);
    expect(() => RandomSampler.open(file, { systemEvery: 2, agentEvery: 1 })).toThrow(file);
    writeFileSync(file, JSON.stringify({ version: 1, systemCalls: -1, agentCalls: {}, kept: 0, skipped: 0, recent: [] }));
    expect(() => RandomSampler.open(file, { systemEvery: 2, agentEvery: 1 })).toThrow(/not a random-recording counters file/);
    expect(readFileSync(file, 'utf8')).toContain('"systemCalls":-1');
  });
});
