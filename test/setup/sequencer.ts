// Test files in order of their measured duration (test/setup/durations.json, written by
// scripts/test-durations.mjs from a full run), longest first, then the rest as vitest orders them. On a fresh
// clone vitest has no timings and starts the largest files first, which left the 50-second end-to-end and
// fuzz files to the end of the run with one worker idle; longest-first packs the two workers.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

const durations = JSON.parse(readFileSync(new URL('./durations.json', import.meta.url), 'utf8')) as Record<string, number>;

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    const seconds = (spec: TestSpecification): number => durations[relative(root, spec.moduleId)] ?? 0;
    // Array.prototype.sort is stable: files without a figure keep vitest's order among themselves.
    return base.sort((a, b) => seconds(b) - seconds(a));
  }
}
