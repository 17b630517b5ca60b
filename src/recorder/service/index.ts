// `recorder run`: the unattended recording service (ingest, SOAP, reporting, rules, conversion, store, index).
export { RecorderService } from './recorder-service.js';
export { RANDOM_SAMPLING_FILE, RandomSampler, RandomSamplingError } from './random-sampling.js';
export type { RandomSamplingCounts, RandomSamplingSettings, SampleVerdict } from './random-sampling.js';
export type { FiledEvent, RecorderServiceOptions, ServiceCounters, ServiceLamps, ServiceStatus } from './recorder-service.js';
export { FINISHED_STATES, JOURNAL_STATES, Journal, JournalError, canTransition, isFinished, readJournal, replayJournalText } from './journal.js';
export type { CompactOptions, JournalData, JournalItem, JournalOptions, JournalReplay, JournalState, JournalValue } from './journal.js';
