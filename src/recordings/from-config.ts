// The recordings of a configuration, opened the same way by every command: root, backup tree, zone, keys and the
// encryption settings all come from the one configuration, so `serve` and `reindex` file and edit exactly as `run`.
import { dirname, join } from 'node:path';
import type { RecorderConfig } from '../platform/config/index.js';
import type { Keyring } from '../platform/crypto/index.js';
import { RecordingBucket } from './bucket.js';
import { Recordings } from './recordings.js';
import type { RecordingsOptions } from './recordings.js';
import { parseRecordingName } from './naming.js';
import { retentionEnd } from './retention.js';
import type { RetentionPolicy } from './retention.js';

/** Per-recording data keys, beside the index (encryption.perRecordingKeys). */
export const DATA_KEYS_DIR = 'data-keys';

/** A recording's retention end from its file name (any of its files), for the bucket's object lock. */
function lockUntil(policies: readonly RetentionPolicy[], defaultMonths: number | undefined, zone: string): (file: string) => Date | undefined {
  return (file) => {
    let parsed;
    try {
      parsed = parseRecordingName(file);
    } catch {
      return undefined;
    }
    return retentionEnd(parsed, { policies, ...(defaultMonths !== undefined ? { defaultMonths } : {}) }, zone);
  };
}

/** The options `Recordings.open` takes for this configuration and these keys. */
export function recordingsOptions(config: RecorderConfig, keyring: Keyring | undefined): RecordingsOptions {
  const { storage, encryption } = config;
  return {
    root: storage.root,
    indexPath: storage.indexPath,
    ...(storage.backup ? { backupRoot: storage.backup } : {}),
    ...(storage.bucket
      ? {
          bucket: new RecordingBucket({
            ...(storage.bucket.endpoint ? { endpoint: storage.bucket.endpoint } : {}),
            region: storage.bucket.region,
            name: storage.bucket.name,
            prefix: storage.bucket.prefix,
            accessKeyId: storage.bucket.accessKeyId,
            secretAccessKey: storage.bucket.secretAccessKey,
            forcePathStyle: storage.bucket.forcePathStyle,
            ...(storage.bucket.objectLock ? { objectLock: storage.bucket.objectLock } : {}),
            // The object lock runs to each recording's retention end: the bucket enforces the policy too.
            ...(storage.bucket.objectLock && (storage.retentionPolicies.length > 0 || storage.retentionMonths !== undefined)
              ? { retainUntil: lockUntil(storage.retentionPolicies, storage.retentionMonths, storage.timezone) }
              : {}),
          }),
        }
      : {}),
    timeZone: storage.timezone,
    fourEyes: storage.fourEyesHolds,
    retentionPolicies: storage.retentionPolicies,
    ...(keyring && encryption.enabled && encryption.perRecordingKeys ? { dataKeysDir: join(dirname(storage.indexPath), DATA_KEYS_DIR) } : {}),
    // Keys without encryption switched on still open and verify what was sealed before; new files stay plain.
    ...(keyring && encryption.enabled
      ? { keyring, ...(encryption.currentKeyId ? { keyId: encryption.currentKeyId } : {}), encryptAudio: encryption.encryptAudio, encryptSidecar: encryption.encryptSidecar }
      : keyring
        ? { keyring, encryptAudio: false, encryptSidecar: false }
        : {}),
  };
}

/** Open the configured recordings; `follow: false` for a command that does not wait for other processes' changes. */
export function openRecordings(config: RecorderConfig, keyring: Keyring | undefined, options: { follow?: boolean; feedPollMs?: number } = {}): Promise<Recordings> {
  return Recordings.open({ ...recordingsOptions(config, keyring), ...options });
}
