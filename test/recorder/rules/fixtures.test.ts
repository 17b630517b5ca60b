// Hand-written call records in the documented formats (test/recorder/rules/fixtures/, each with its expected decision in
// expected.json), decided by the rules and explained by `recorder rules explain` alike.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCallRecords } from '../../../src/recorder/pbx/index.js';
import { NoCdrError, decideRecording } from '../../../src/recorder/rules/index.js';
import type { RuleExplanation } from '../../../src/cli/rules-command.js';
import { runInProcess } from '../../helpers/in-process-cli.js';
import { writeOfflineConfig } from '../../helpers/offline-config.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const GATEWAY = '009033000001';

interface FixtureCase {
  readonly file: string;
  readonly capture?: string;
  readonly outcome: 'filed' | 'discarded' | 'waits';
  readonly agent: string | null;
  readonly external?: string;
  readonly direction?: 'i' | 'o';
  readonly secondsToAnswer?: number;
  readonly rule?: string;
  readonly tan?: string;
}

const { cases } = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as { cases: FixtureCase[] };

let dir: string;
let config: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rule-fixtures-'));
  config = writeOfflineConfig(dir, 'recorder.json', join(dir, 'store'), { pbx: { gatewayIds: [GATEWAY] }, tan: { prefix: '50' } });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hand-written Report XML and CDR-XML fixtures', () => {
  for (const c of cases) {
    const title = `${c.file}${c.capture ? ` (${c.capture})` : ''}: ${c.outcome}${c.agent ? ` under ${c.agent}` : ''}${c.rule ? `, ${c.rule}` : ''}`;
    it(title, async () => {
      const xml = readFileSync(join(FIXTURES, c.file), 'utf8');
      const { format, legs } = parseCallRecords(xml, c.file);
      expect(format).toBe(c.file.endsWith('.cdr.xml') ? 'cdr-xml' : 'report-xml');
      const capture = c.capture ?? `${legs[0]!.conf}.pcap`;
      let decided: { outcome: string; agent: string | null; external?: string | null; direction?: string; secondsToAnswer?: number; rule?: string; tan?: string };
      try {
        const d = decideRecording({ captureName: capture, cdrs: legs, gatewayIds: [GATEWAY], tanPrefix: '50' });
        decided = { outcome: d.action === 'file' ? 'filed' : 'discarded', agent: d.agent, external: d.external, direction: d.direction, secondsToAnswer: d.secondsToAnswer, rule: d.rule, ...(d.tan ? { tan: d.tan } : {}) };
      } catch (error) {
        if (!(error instanceof NoCdrError)) throw error;
        decided = { outcome: 'waits', agent: null };
      }
      const { file: _file, capture: _capture, ...want } = c;
      expect(decided).toMatchObject(want);
      if (c.tan === undefined) expect(decided.tan).toBeUndefined();

      // The same through the command administrators use.
      const run = await runInProcess(['rules', 'explain', join(FIXTURES, c.file), '-c', config, '--json', ...(c.capture ? ['--capture', c.capture] : [])]);
      expect(run.code, run.stderr).toBe(0);
      const explained = (JSON.parse(run.stdout) as { decisions: RuleExplanation[] }).decisions.find((e) => e.capture === capture)!;
      expect(explained).toMatchObject({ outcome: c.outcome, agent: c.agent, ...(c.rule ? { rule: c.rule } : {}), ...(c.tan ? { tan: c.tan } : {}) });
    });
  }
});
