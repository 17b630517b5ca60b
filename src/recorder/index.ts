// The recorder: captures off the PBX's drive (ingest), who talked to whom (the PBX's SOAP, reporting and CDR
// interface), the agent rules, conversion, and the service that runs them with its journal. Files its results
// through recordings; imports media, recordings, platform and domain.
export * as ingest from './ingest/index.js';
export * as pbx from './pbx/index.js';
export * as rules from './rules/index.js';
export * as convert from './convert/index.js';
export * as service from './service/index.js';
export * as reconcile from './reconcile/index.js';
