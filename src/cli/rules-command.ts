import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../platform/config/index.js';
import type { RecorderConfig } from '../platform/config/index.js';
import { CdrParseError, ReportParseError, parseCallRecords } from '../recorder/pbx/index.js';
import type { CallRecordsFormat, Cdr } from '../recorder/pbx/index.js';
import { DEFAULT_RECORDING_GROUP, NoCdrError, decideRecording, markedDuringCall, recordingCallIdOf } from '../recorder/rules/index.js';
import type { RecordingDecision } from '../recorder/rules/index.js';
import { recordingFileName } from '../recordings/index.js';
import { RANDOM_SAMPLING_FILE, RandomSampler } from '../recorder/service/index.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';

/** What `rules explain` says about one capture of one conference. */
export interface RuleExplanation {
  readonly file: string;
  readonly format: CallRecordsFormat;
  readonly conference: string;
  /** The records (legs) of the conference in the file. */
  readonly records: number;
  readonly capture: string;
  readonly outcome: 'filed' | 'discarded' | 'waits';
  readonly agent: string | null;
  readonly agentName?: string;
  readonly direction?: 'i' | 'o';
  readonly internal?: string;
  readonly external?: string | null;
  readonly secondsToAnswer?: number;
  readonly tan?: string;
  /** The recording's file name, when filed. */
  readonly fileName?: string;
  readonly rule?: string;
  /** Thread-call recording (mode "tcr"): marked during the call, or waiting for a mark after it. */
  readonly threadCall?: 'marked during the call' | 'waits for a mark';
  /** Random recording (mode "random"): where the call would fall in the counters, counting on from their state. */
  readonly sampling?: { readonly keep: boolean; readonly systemCall: number; readonly agentCall?: number };
  readonly reason: string;
}

interface ExplainSettings {
  readonly group: string;
  readonly gatewayIds: readonly string[];
  readonly tanPrefix?: string;
  readonly timeZone: RecorderConfig['storage']['timezone'];
  readonly format: RecorderConfig['recording']['format'];
  /** Mode "random": the service's counters, opened to count in memory only. */
  readonly sampler?: RandomSampler;
  /** Mode "tcr": the TCR object's number and the mark window. */
  readonly threadCall?: { readonly number: string; readonly markWindowSeconds: number };
}

/**
 * The decisions the service would take for the conferences in a Report XML
 * or CDR-XML document: per conference its gateway capture (`<conf>.pcap`),
 * plus the named captures asked for (phones: `<conf>-<device>-<n>.pcap`).
 */
export function explainRecords(xml: string, file: string, settings: ExplainSettings, captures: readonly string[] = []): RuleExplanation[] {
  const { format, legs } = parseCallRecords(xml, file);
  const byConference = new Map<string, Cdr[]>();
  for (const leg of legs) {
    const list = byConference.get(leg.conf);
    if (list) list.push(leg);
    else byConference.set(leg.conf, [leg]);
  }
  const out: RuleExplanation[] = [];
  for (const [conference, cdrs] of byConference) {
    const names = [`${conference}.pcap`, ...captures.filter((name) => name.toLowerCase().startsWith(conference))];
    for (const capture of names) {
      const base = { file, format, conference, records: cdrs.length, capture };
      let decision: RecordingDecision;
      try {
        decision = decideRecording({
          captureName: capture,
          cdrs,
          recordingGroup: settings.group,
          ...(settings.gatewayIds.length > 0 ? { gatewayIds: settings.gatewayIds } : {}),
          ...(settings.tanPrefix !== undefined ? { tanPrefix: settings.tanPrefix } : {}),
        });
      } catch (error) {
        if (!(error instanceof NoCdrError)) throw error;
        out.push({ ...base, outcome: 'waits', agent: null, reason: error.message });
        continue;
      }
      let sampling: RuleExplanation['sampling'];
      if (settings.sampler && decision.action === 'file' && decision.agent !== null) {
        const verdict = settings.sampler.sample(conference, decision.agent);
        sampling = { keep: verdict.keep, systemCall: verdict.systemCall, ...(verdict.agentCall !== undefined ? { agentCall: verdict.agentCall } : {}) };
        decision = verdict.keep ? { ...decision, reason: `${decision.reason}; ${verdict.reason}` } : { ...decision, action: 'delete', reason: `${verdict.reason} (the rules: ${decision.reason})` };
      }
      let threadCall: RuleExplanation['threadCall'];
      if (settings.threadCall && decision.action === 'file' && decision.agent !== null) {
        threadCall = markedDuringCall(cdrs, decision.agent, settings.threadCall.number) ? 'marked during the call' : 'waits for a mark';
      }
      const filed = decision.action === 'file';
      const fileName = filed
        ? recordingFileName(
            {
              start: new Date(decision.start),
              internal: decision.agent ?? '',
              direction: decision.direction === 'i' ? 'in' : 'out',
              external: decision.external ?? '',
              secondsToAnswer: decision.secondsToAnswer,
              callId: recordingCallIdOf(capture),
              ...(decision.tan !== undefined ? { tan: decision.tan } : {}),
            },
            settings.format,
            settings.timeZone,
          )
        : undefined;
      out.push({
        ...base,
        outcome: filed ? 'filed' : 'discarded',
        agent: decision.agent,
        ...(decision.agentName !== undefined ? { agentName: decision.agentName } : {}),
        direction: decision.direction,
        ...(decision.agent !== null ? { internal: decision.agent } : {}),
        external: decision.external,
        secondsToAnswer: decision.secondsToAnswer,
        ...(decision.tan !== undefined ? { tan: decision.tan } : {}),
        ...(fileName !== undefined ? { fileName } : {}),
        rule: decision.rule,
        ...(sampling ? { sampling } : {}),
        ...(threadCall ? { threadCall } : {}),
        reason: decision.reason,
      });
    }
  }
  return out;
}

function describe(e: RuleExplanation): string {
  const lines = [`conference ${e.conference} (${e.file}: ${e.format === 'report-xml' ? 'Report XML' : 'CDR-XML'}, ${e.records} record${e.records === 1 ? '' : 's'})`];
  lines.push(`  capture     ${e.capture}`);
  if (e.outcome === 'waits') {
    lines.push('  decision    none yet: the capture waits for records that decide it');
  } else {
    lines.push(`  decision    ${e.outcome === 'filed' ? `filed under ${e.agent}${e.agentName ? ` (${e.agentName})` : ''}` : 'discarded'}`);
    lines.push(`  rule        ${e.rule}`);
    lines.push(`  direction   ${e.direction === 'i' ? 'i (the external party called in)' : 'o (called out)'}`);
    lines.push(`  internal    ${e.internal ?? '-'}`);
    lines.push(`  external    ${e.external ?? '-'}`);
    lines.push(`  answered    after ${e.secondsToAnswer} s`);
    lines.push(`  TAN         ${e.tan ?? '-'}`);
    if (e.threadCall) {
      lines.push(`  thread-call ${e.threadCall === 'marked during the call' ? 'kept: marked during the call' : `kept only if ${e.agent} marks it (calls the TCR object) within the window after its end, else deleted`}`);
    }
    if (e.sampling) {
      const place = `call ${e.sampling.systemCall} of the system${e.sampling.agentCall !== undefined ? `, the agent's call ${e.sampling.agentCall}` : ''}`;
      lines.push(`  random      ${e.sampling.keep ? 'kept' : 'skipped'} (${place}, counting on from the service's counters)`);
    }
    if (e.fileName) lines.push(`  file name   ${e.fileName}`);
  }
  lines.push(`  why         ${e.reason}`);
  return lines.join('\n');
}

export function registerRulesCommand(program: Command): void {
  const rules = program.command('rules').description('the recording rules: which Agent a call is filed under, and why');
  rules
    .command('explain')
    .description('for each conference in Report XML or CDR-XML files, print the decision the service would take and the rule that took it')
    .argument('<files...>', 'Report XML (report.php answers) or CDR-XML (what a PBX posts to a CDR interface) files')
    .option('-c, --config <file>', 'configuration file (JSON or TOML): recording group, gateway ids, TAN prefix, time zone, format, and in mode "random" the counters')
    .option('--capture <name...>', 'also explain these capture file names (e.g. a phone capture <conf>-<device>-<n>.pcap)')
    .option('--json', 'print the decisions as JSON')
    .action(async (files: string[], flags: { config?: string; capture?: string[]; json?: boolean }) => {
      let settings: ExplainSettings = { group: DEFAULT_RECORDING_GROUP, gatewayIds: [], timeZone: 'local', format: 'wav' };
      if (flags.config !== undefined) {
        try {
          const config = await loadConfig(flags.config);
          settings = {
            group: config.pbx.group,
            gatewayIds: config.pbx.gatewayIds,
            ...(config.tan.prefix !== undefined ? { tanPrefix: config.tan.prefix } : {}),
            timeZone: config.storage.timezone,
            format: config.recording.format,
            ...(config.recording.mode === 'tcr' && config.tcr ? { threadCall: config.tcr } : {}),
            ...(config.recording.mode === 'random' && config.random
              ? { sampler: RandomSampler.open(join(dirname(config.storage.journalPath), RANDOM_SAMPLING_FILE), config.random, { persist: false }) }
              : {}),
          };
        } catch (error) {
          process.stderr.write(`${error instanceof ConfigError ? error.message : `recorder rules explain: ${error instanceof Error ? error.message : String(error)}`}\n`);
          throw new CommandExit(EXIT_USAGE);
        }
      }
      const explained: RuleExplanation[] = [];
      const failures: { file: string; error: string }[] = [];
      for (const file of files) {
        let xml: string;
        try {
          xml = await readFile(file, 'utf8');
        } catch (error) {
          failures.push({ file, error: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
          continue;
        }
        try {
          explained.push(...explainRecords(xml, file, settings, flags.capture ?? []));
        } catch (error) {
          if (error instanceof ReportParseError || error instanceof CdrParseError) failures.push({ file, error: error.message });
          else throw error;
        }
      }
      if (flags.json) process.stdout.write(`${JSON.stringify({ decisions: explained, errors: failures }, null, 2)}\n`);
      else {
        if (explained.length > 0) process.stdout.write(`${explained.map(describe).join('\n\n')}\n`);
        for (const failure of failures) process.stderr.write(`recorder rules explain: ${failure.error.startsWith(failure.file) ? failure.error : `${failure.file}: ${failure.error}`}\n`);
      }
      if (failures.length > 0) throw new CommandExit(EXIT_FAILED);
    });
}
