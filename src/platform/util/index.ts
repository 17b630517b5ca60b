export { writeFileAtomic } from './atomic-file.js';
export { PartialFile, OutputExistsError, landFile, partialPathFor } from './partial-file.js';
export type { LandingOptions } from './partial-file.js';
export { mulberry32, xorshift32 } from './random.js';
export { plural } from './plural.js';
export { namesIn } from './names-in.js';
export {
  TEMP_PREFIX,
  copyFileDurable,
  errnoOf,
  exists,
  fsyncDir,
  fsyncFile,
  isAbandonedTemp,
  linkOrCopy,
  moveFile,
  renameNoReplace,
  tempPathIn,
  writeFileDurable,
  writeNewFile,
} from './durable-fs.js';
export { TimeZoneError, checkTimeZone, instantOf, localDateTime } from './time-zone.js';
export type { LocalDateTime, TimeZoneSetting } from './time-zone.js';
export { Serial } from './serial.js';
