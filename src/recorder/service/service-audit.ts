// The service's own audit trail (a hash-chained trail as the player's, in its own file: two processes never append
// to one chain). It holds what an auditor asks of the unattended side: each call's outcome — recorded as which
// recording, or why not —, every deletion by retention, alarm acknowledgements, and each start with the digest of
// the configuration it ran with. `recorder reconcile` matches the reporting's calls against it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { findPackageFile, writeFileDurable } from '../../platform/util/index.js';
import { AuditTrail } from '../../platform/audit/index.js';
import { ReconcileError, parsePeriodTime, reconcilePeriod } from '../reconcile/index.js';
import type { NotRecordedCause, ReconcileReport } from '../reconcile/index.js';
import { confsInProgress } from './journal.js';
import { describeConfig } from '../../platform/config/index.js';
import type { RecorderConfig } from '../../platform/config/index.js';
import type { Keyring } from '../../platform/crypto/index.js';

type RetentionPolicyConfig = RecorderConfig['storage']['retentionPolicies'][number];

/** In WORKDIR: the digest of the configuration the service last started with. */
export const CONFIG_DIGEST_FILE = 'config.sha256';

/** This package's version (package.json), or "unknown" where it is not shipped. */
export function packageVersion(): string {
  const path = findPackageFile('package.json');
  if (path === undefined) return 'unknown';
  try {
    const version = (JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** A checkpoint at the latest this long after the first entry it would cover: a quiet night is sealed too. */
const CHECKPOINT_AFTER_MS = 10 * 60_000;

/** SHA-256 of the configuration with its secrets redacted (the trail says which configuration ran, never a secret). */
export function configDigest(config: RecorderConfig): string {
  return createHash('sha256').update(JSON.stringify(describeConfig(config)), 'utf8').digest('hex');
}

export class ServiceAudit {
  readonly #trail: AuditTrail;

  constructor(
    readonly path: string,
    keyring: Keyring | undefined,
    onError: (error: unknown) => void,
  ) {
    this.#trail = new AuditTrail(path, { onError, checkpointAfterMs: CHECKPOINT_AFTER_MS, ...(keyring ? { keyring } : {}) });
  }

  /**
   * The service starts: with which configuration, and a `config-changed` entry when it differs from the last
   * start's (kept in `digestFile`, so that a start does not read years of trail).
   */
  async started(config: RecorderConfig, version: string, digestFile: string): Promise<void> {
    const digest = configDigest(config);
    const before = (await readFile(digestFile, 'utf8').catch(() => '')).trim() || undefined;
    await this.#trail.append('system', 'service-start', { version, config: digest, mode: config.recording.mode, format: config.recording.format, ...(config.storage.retentionMonths !== undefined ? { retentionMonths: config.storage.retentionMonths } : {}) });
    if (before !== undefined && before !== digest) await this.#trail.append('system', 'config-changed', { from: before, to: digest });
    if (before !== digest) await writeFileDurable(digestFile, `${digest}\n`);
  }

  /** Awaited before the journal records the step done: an outcome is in the trail before the capture is gone. */
  callRecorded(conf: string, capture: string, recording: string, agent: string | null): Promise<void> {
    return this.#trail.append('system', 'call-recorded', { conf, capture, recording, ...(agent !== null ? { agent } : {}) });
  }

  callNotRecorded(conf: string, capture: string, cause: NotRecordedCause, reason: string): Promise<void> {
    return this.#trail.append('system', 'call-not-recorded', { conf, capture, cause, reason });
  }

  captureQuarantined(conf: string | undefined, capture: string, reason: string, kept: string | undefined): Promise<void> {
    return this.#trail.append('system', 'capture-quarantined', { ...(conf !== undefined ? { conf } : {}), capture, reason, ...(kept !== undefined ? { kept } : { leftOnDrive: true }) });
  }

  /** The PBX ended a call of the recording group and no capture of it reached the drive. */
  callWithoutCapture(conf: string, users: readonly string[]): Promise<void> {
    return this.#trail.append('system', 'call-without-capture', { conf, users: [...users] });
  }

  /** Recordings deleted because their policy's time was over, one entry each, with the policy. */
  async retentionDeleted(deleted: ReadonlyArray<{ readonly recording: string; readonly policy: string }>): Promise<void> {
    for (const { recording, policy } of deleted) await this.#trail.append('system', 'retention-delete', { recording, policy });
  }

  /** Recordings past their time that legal holds kept, in one entry per sweep. */
  retentionHeld(held: ReadonlyArray<{ readonly name: string; readonly policy: string; readonly hold: string }>): Promise<void> {
    return this.#trail.append('system', 'retention-held', { count: held.length, holds: [...new Set(held.map((entry) => entry.hold))], recordings: held.slice(0, 100).map((entry) => entry.name) });
  }

  quarantineExpired(captures: readonly string[], days: number): Promise<void> {
    return this.#trail.append('system', 'quarantine-expired', { captures: [...captures], policy: `quarantineDays = ${days}` });
  }

  /** RESET or OFF of the master alarm, by whom ("cli", "player:<account>"). */
  alarmCommand(action: string, by: string): Promise<void> {
    return this.#trail.append(by, `alarm-${action}`, {});
  }

  /** A reconciliation ran: its period and what it found (the calls at fault are listed). */
  reconciled(report: ReconcileReport): Promise<void> {
    const findings = report.calls.filter((call) => call.problem).map((call) => ({ conf: call.conf, verdict: call.verdict, agents: [...call.agents] }));
    return this.#trail.append('system', 'reconcile', { from: report.from, to: report.to, counts: report.counts, problems: report.problems, ...(findings.length > 0 ? { findings } : {}) });
  }

  /** Seal the chain (a checkpoint) as the service stops. */
  close(): Promise<void> {
    return this.#trail.close();
  }
}

/**
 * Reconciliation of a period given as an operator types it (`2026-12-04`, `2026-12-04 10:00` in the store's time
 * zone, or an ISO time), beside a running service (its journal says what is still being worked on): what the
 * player's completeness report runs.
 */
export function periodReconciler(config: RecorderConfig): (from: string, to: string) => Promise<ReconcileReport> {
  return async (fromText, toText) => {
    const zone = config.storage.timezone;
    const from = parsePeriodTime(fromText, 'from', zone, false);
    const to = parsePeriodTime(toText, 'to', zone, true);
    if (from.getTime() > to.getTime()) throw new ReconcileError(`to: ${to.toISOString()} is before from ${from.toISOString()}`);
    return reconcilePeriod(config, { from, to, inProgress: await confsInProgress(config.storage.journalPath) });
  };
}

/** A policy as the trail names it: its name and period (`traders: 60 months`, `default: retentionMonths = 24`). */
export function describePolicy(name: string | undefined, retentionMonths: number | undefined, policies: readonly RetentionPolicyConfig[]): string {
  const policy = policies.find((candidate) => candidate.name === name);
  if (policy) return `${policy.name}: ${policy.months !== undefined ? `${policy.months} months` : `${policy.days} days`}`;
  return `default: retentionMonths = ${retentionMonths ?? '?'}`;
}
