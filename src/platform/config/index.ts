// The recorder's configuration: one JSON or TOML file, validated with zod; secrets may be encrypted.
export { ConfigError, checkStoragePaths, configIssues, configKeyring, formatPath, loadConfig, parseConfigText, resolveSecrets, validateConfig } from './load.js';
export type { ConfigIssue, LoadConfigOptions } from './load.js';
export { LOG_LEVELS, RECORDING_MODES, recorderConfigSchema } from './schema.js';
export type { RecorderConfig, RecorderConfigInput } from './schema.js';
export { REDACTED, SECRET_PATHS, decryptSecret, describeConfig, encryptSecret, isEncryptedSecret } from './secrets.js';
