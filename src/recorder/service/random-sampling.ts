/**
 * Random recording (the reference's "Random recording" mode): of the calls the rules would record, keep every
 * x-th in the system and/or every y-th of each agent, for quality checks. Only calls to be recorded are counted.
 * Combined, the system's count goes first and the agent's counts only the calls that passed it (the reference's
 * example: "3rd in system and 2nd for an agent: the system will first skip 2 calls and then for the specific agent
 * skip each 2nd one"). The first of a count is kept: "store one record and then skip the following 2".
 *
 * A call is counted once, by its conference: its other captures (a phone's beside the gateway's) and a second
 * decision after a crash get the answer it got the first time. The counters and the recent answers are kept in
 * one small JSON file beside the journal, replaced atomically (fsync, rename) before the journal records the
 * decision, so a restart neither counts a call twice nor forgets a count.
 */
import { StateFileError, readStateFile, writeFileAtomic } from '../../platform/util/index.js';

export interface RandomSamplingSettings {
  /** Keep every x-th call in the system (1: every call). */
  readonly systemEvery: number;
  /** Keep every y-th call of each agent (1: every call). */
  readonly agentEvery: number;
}

/** What the sampler answered for one call. */
export interface SampleVerdict {
  readonly keep: boolean;
  /** The call's place in the system's count (1-based), and in its agent's when it reached that count. */
  readonly systemCall: number;
  readonly agentCall?: number;
  /** One sentence for the log, the journal and `rules explain`. */
  readonly reason: string;
}

/** The counters as `recorder status` and `rules explain` show them. */
export interface RandomSamplingCounts extends RandomSamplingSettings {
  readonly systemCalls: number;
  readonly agentCalls: Readonly<Record<string, number>>;
  readonly kept: number;
  readonly skipped: number;
}

interface SamplingFile {
  readonly version: 1;
  systemCalls: number;
  agentCalls: Record<string, number>;
  kept: number;
  skipped: number;
  /** Conference id → the answer it got, newest last (bounded). */
  recent: Array<[string, SampleVerdict]>;
}

/** The counters' file name, beside the journal. */
export const RANDOM_SAMPLING_FILE = 'random-sampling.json';

/** How many answers are remembered: far more than captures of one call can be apart in time. */
const RECENT_LIMIT = 5000;

/** A random-recording counters file that cannot be used (named, with the reason). */
export class RandomSamplingError extends StateFileError {}

export class RandomSampler {
  private readonly state: SamplingFile;
  private readonly recent: Map<string, SampleVerdict>;

  private constructor(
    readonly file: string,
    readonly settings: RandomSamplingSettings,
    state: SamplingFile,
    private readonly persist: boolean,
  ) {
    this.state = state;
    this.recent = new Map(state.recent);
  }

  /**
   * Opens the counters kept in `file` (new counters when it does not exist yet). `persist: false` counts in
   * memory only, for what-if answers (`rules explain`) that must not move the service's counters.
   */
  static open(file: string, settings: RandomSamplingSettings, options: { persist?: boolean } = {}): RandomSampler {
    const state = readSamplingFile(file) ?? { version: 1 as const, systemCalls: 0, agentCalls: {}, kept: 0, skipped: 0, recent: [] };
    return new RandomSampler(file, settings, state, options.persist ?? true);
  }

  counts(): RandomSamplingCounts {
    const { systemCalls, agentCalls, kept, skipped } = this.state;
    return { ...this.settings, systemCalls, agentCalls: { ...agentCalls }, kept, skipped };
  }

  /** Counts the call of conference `conference`, filed under `agent` by the rules, and says whether it is kept. */
  sample(conference: string, agent: string): SampleVerdict {
    const known = this.recent.get(conference);
    if (known) return known;
    const systemCall = this.state.systemCalls + 1;
    let agentCall: number | undefined;
    const verdict = this.verdictFor(systemCall, () => {
      agentCall = (this.state.agentCalls[agent] ?? 0) + 1;
      return agentCall;
    });
    this.state.systemCalls = systemCall;
    if (agentCall !== undefined) this.state.agentCalls[agent] = agentCall;
    if (verdict.keep) this.state.kept++;
    else this.state.skipped++;
    this.recent.set(conference, verdict);
    while (this.recent.size > RECENT_LIMIT) this.recent.delete(this.recent.keys().next().value!);
    if (this.persist) {
      this.state.recent = [...this.recent];
      writeFileAtomic(this.file, Buffer.from(`${JSON.stringify(this.state)}\n`));
    }
    return verdict;
  }

  private verdictFor(systemCall: number, nextAgentCall: () => number): SampleVerdict {
    const { systemEvery, agentEvery } = this.settings;
    if ((systemCall - 1) % systemEvery !== 0) {
      return { keep: false, systemCall, reason: `random recording: call ${systemCall} of the system, only every ${ordinal(systemEvery)} is kept` };
    }
    const agentCall = nextAgentCall();
    if ((agentCall - 1) % agentEvery !== 0) {
      return { keep: false, systemCall, agentCall, reason: `random recording: the agent's call ${agentCall}, only every ${ordinal(agentEvery)} of an agent is kept` };
    }
    return { keep: true, systemCall, agentCall, reason: `random recording: kept (call ${systemCall} of the system, every ${ordinal(systemEvery)}; the agent's call ${agentCall}, every ${ordinal(agentEvery)})` };
  }
}

function ordinal(n: number): string {
  if (n === 1) return 'call';
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${suffix}`;
}

function readSamplingFile(file: string): SamplingFile | undefined {
  const value = readStateFile(file, 'random-recording counters', (f, reason) => new RandomSamplingError(f, reason));
  if (value === undefined) return undefined;
  const data = value as Partial<SamplingFile>;
  const counts = [data.systemCalls, data.kept, data.skipped];
  if (data.version !== 1 || counts.some((n) => !Number.isSafeInteger(n) || (n as number) < 0) || typeof data.agentCalls !== 'object' || data.agentCalls === null || !Array.isArray(data.recent)) {
    throw new RandomSamplingError(file, 'not a random-recording counters file of this version (expected version 1 with systemCalls, agentCalls, kept, skipped, recent)');
  }
  return data as SamplingFile;
}
