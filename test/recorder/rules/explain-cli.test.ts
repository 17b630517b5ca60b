import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../../helpers/in-process-cli.js';
import { cdrXmlFor, cdrsFor, reportXml } from '../../../src/embedded/reporting/index.js';
import type { RuleExplanation } from '../../../src/cli/rules-command.js';
import { planCalls } from '../../../src/embedded/plan/index.js';
import { RANDOM_SAMPLING_FILE } from '../../../src/recorder/service/index.js';
import { E, START, directory, planOne } from './cases.js';
import { writeOfflineConfig } from '../../helpers/offline-config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rules-explain-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = runInProcess;

/** A configuration file for `rules explain` (the PBX and the reporting are never reached). */
function writeConfig(name: string, storeRoot: string, extra: Record<string, unknown>): string {
  return writeOfflineConfig(dir, name, storeRoot, extra);
}

describe('recorder rules explain', () => {
  it('explains a Report XML answer and a CDR-XML file alike: agent, direction, numbers, TAN, file name and the deciding rule', async () => {
    const call = planOne({ kind: 'pickup', from: E, to: '20', via: '21', talkSeconds: 30, tan: '123456' });
    const report = join(dir, 'report.xml');
    writeFileSync(report, reportXml(cdrsFor(call, directory)));
    const cdrFile = join(dir, 'cdrs.xml');
    writeFileSync(cdrFile, `<cdrs>\n${cdrXmlFor(call, directory).join('\n')}\n</cdrs>\n`);
    const tanObject = directory.vmObjects.find((vm) => vm.role === 'tan')!.number;
    const config = writeConfig('recorder.json', join(dir, 'store'), { tan: { prefix: tanObject } });
    const { code, stdout, stderr } = await run(['rules', 'explain', report, cdrFile, '-c', config, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const { decisions } = JSON.parse(stdout) as { decisions: RuleExplanation[] };
    expect(decisions.map((d) => d.format)).toEqual(['report-xml', 'cdr-xml']);
    for (const d of decisions) {
      expect(d).toMatchObject({
        conference: call.confId,
        capture: `${call.confId}.pcap`,
        outcome: 'filed',
        agent: '20',
        internal: '20',
        external: E,
        direction: 'i',
        tan: '123456',
        rule: 'pickup-agentB-of-agentA-call',
      });
      expect(d.fileName).toMatch(new RegExp(`^\\d{4}_\\d{2}_\\d{2}_\\d{4}_20_i_${E}_\\d+_${call.confId}_T123456\\.wav$`));
    }
    const text = await run(['rules', 'explain', report, '-c', config]);
    expect(text.stdout).toContain(`conference ${call.confId} (${report}: Report XML, 2 records)`);
    expect(text.stdout).toContain('  decision    filed under 20 (');
    expect(text.stdout).toContain('  rule        pickup-agentB-of-agentA-call');
  });

  it('without a TAN prefix configured, digits dialled in the call are no TAN', async () => {
    const call = planOne({ kind: 'outbound', from: '22', to: E, talkSeconds: 30, tan: '654321' });
    const file = join(dir, 'tan.xml');
    writeFileSync(file, reportXml(cdrsFor(call, directory)));
    const { code, stdout } = await run(['rules', 'explain', file, '--json']);
    expect(code).toBe(0);
    const [decision] = (JSON.parse(stdout) as { decisions: RuleExplanation[] }).decisions;
    expect(decision).toMatchObject({ outcome: 'filed', agent: '22', rule: 'agent-to-external' });
    expect(decision!.tan).toBeUndefined();
  });

  it('a broken file is named with its reason and the command exits 1; the readable files are still explained', async () => {
    const call = planOne({ kind: 'inbound', from: E, to: '30' });
    const good = join(dir, 'good.xml');
    writeFileSync(good, reportXml(cdrsFor(call, directory)));
    const bad = join(dir, 'bad.xml');
    writeFileSync(bad, '<report><record><obj>x</obj><dir>i</dir><time utc="1"/></record></report>');
    const { code, stdout, stderr } = await run(['rules', 'explain', good, bad, join(dir, 'missing.xml')]);
    expect(code).toBe(1);
    expect(stdout).toContain('  decision    discarded');
    expect(stdout).toContain('  rule        external-to-user');
    expect(stderr).toContain(`recorder rules explain: ${bad}: report/record[1]: no <id> (conference id)`);
    expect(stderr).toContain(`recorder rules explain: ${join(dir, 'missing.xml')}: cannot read: ENOENT`);
  });

  it('a bad configuration is a usage error', async () => {
    const file = join(dir, 'cfg.json');
    writeFileSync(file, '{"pbx": 1}');
    const { code, stderr } = await run(['rules', 'explain', join(dir, 'good.xml'), '-c', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/pbx/);
  });

  it('in mode "random" says where each call would fall in the service\'s counters, without moving them', async () => {
    const calls = planCalls(directory, { seed: 5, calls: [0, 1, 2].map((i) => ({ at: i * 60, kind: 'inbound' as const, from: E, to: '20' })) }, START);
    const report = join(dir, 'random-report.xml');
    writeFileSync(report, reportXml(calls.flatMap((call) => cdrsFor(call, directory))));
    const store = join(dir, 'random-store');
    const config = writeConfig('random.json', store, { recording: { mode: 'random' }, random: { systemEvery: 2 } });
    // The service has counted one call so far.
    const counters = join(store, 'REC', RANDOM_SAMPLING_FILE);
    mkdirSync(dirname(counters), { recursive: true });
    const before = JSON.stringify({ version: 1, systemCalls: 1, agentCalls: { '20': 1 }, kept: 1, skipped: 0, recent: [['earlier', { keep: true, systemCall: 1, agentCall: 1, reason: 'r' }]] });
    writeFileSync(counters, before);
    const { code, stdout, stderr } = await run(['rules', 'explain', report, '-c', config, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const { decisions } = JSON.parse(stdout) as { decisions: RuleExplanation[] };
    expect(decisions.map((d) => [d.conference, d.outcome, d.sampling?.systemCall, d.sampling?.keep])).toEqual([
      [calls[0]!.confId, 'discarded', 2, false],
      [calls[1]!.confId, 'filed', 3, true],
      [calls[2]!.confId, 'discarded', 4, false],
    ]);
    expect(decisions[0]!.reason).toMatch(/^random recording: call 2 of the system, only every 2nd is kept \(the rules: /);
    const text = await run(['rules', 'explain', report, '-c', config]);
    expect(text.stdout).toContain("random      kept (call 3 of the system, the agent's call 2, counting on from the service's counters)");
    expect(readFileSync(counters, 'utf8')).toBe(before);
  });

  it('in mode "tcr" says whether a call was marked during it or waits for a mark', async () => {
    const calls = planCalls(directory, { seed: 9, calls: [{ at: 0, kind: 'inbound', from: E, to: '20', talkSeconds: 10, tcr: 'during' }, { at: 60, kind: 'inbound', from: E, to: '21' }] }, START);
    const report = join(dir, 'tcr-report.xml');
    writeFileSync(report, reportXml(calls.flatMap((call) => cdrsFor(call, directory))));
    const config = writeConfig('tcr.json', join(dir, 'tcr-store'), { recording: { mode: 'tcr' }, tcr: { number: '51', markWindowSeconds: 300 } });
    const { code, stdout } = await run(['rules', 'explain', report, '-c', config, '--json']);
    expect(code).toBe(0);
    const { decisions } = JSON.parse(stdout) as { decisions: RuleExplanation[] };
    expect(decisions.map((d) => [d.conference, d.outcome, d.threadCall])).toEqual([
      [calls[0]!.confId, 'filed', 'marked during the call'],
      [calls[1]!.confId, 'filed', 'waits for a mark'],
    ]);
    const text = await run(['rules', 'explain', report, '-c', config]);
    expect(text.stdout).toContain('thread-call kept only if 21 marks it (calls the TCR object) within the window after its end, else deleted');
  });
});
