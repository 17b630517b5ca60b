// `recorder run`: the unattended recording service (ingest, SOAP, reporting, rules, conversion, store, index).
export { RecorderService } from './recorder-service.js';
export { RANDOM_SAMPLING_FILE, RandomSampler, RandomSamplingError } from './random-sampling.js';
export type { RandomSamplingCounts, RandomSamplingSettings, SampleVerdict } from './random-sampling.js';
export type { FiledEvent, RecorderServiceOptions, ServiceCounters, ServiceLamps, ServiceStatus } from './recorder-service.js';
export { FINISHED_STATES, JOURNAL_STATES, Journal, JournalError, canTransition, confsInProgress, isFinished, readJournal, replayJournalText } from './journal.js';
export type { CompactOptions, JournalData, JournalItem, JournalOptions, JournalReplay, JournalState, JournalValue } from './journal.js';
export { ALARM_ACTIONS, LAMP_NAMES, MasterAlarm } from './master-alarm.js';
export type { AlarmAction, AlarmEvent, LampName, LampState, Lamps, MasterAlarmState, MasterAlarmStatus } from './master-alarm.js';
export { ALARM_CONTROL_DIR, STATUS_FILE, STATUS_INTERVAL_MS, STATUS_STALE_MS, queueAlarmCommand, readStatus, statusFileOf, takeAlarmCommands } from './service-status.js';
export type { AlarmCommand, StatusReading, StatusSnapshot } from './service-status.js';
export { AlarmMailer } from './alarm-mail.js';
export type { AlarmMailSettings, AlarmMailerOptions } from './alarm-mail.js';
export { MASTER_ALARM_FILE } from './recorder-service.js';
export { StatusEndpoint } from './status-endpoint.js';
export { CONFIG_DIGEST_FILE, ServiceAudit, configDigest, packageVersion, periodReconciler } from './service-audit.js';
