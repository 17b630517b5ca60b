// `recorder run`: the unattended recording service (ingest, SOAP, reporting, rules, conversion, store, index).
export { RecorderService } from './recorder-service.js';
export type { FiledEvent, RecorderServiceOptions, ServiceCounters, ServiceLamps, ServiceStatus } from './recorder-service.js';
