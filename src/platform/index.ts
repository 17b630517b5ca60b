// Platform: what every wing stands on and that knows nothing of calls — encryption and signatures, XML,
// the configuration, durable files and small utilities.
export * as crypto from './crypto/index.js';
export * as xml from './xml/index.js';
export * as config from './config/index.js';
export * as util from './util/index.js';
