export { writeFileAtomic } from './atomic-file.js';
export { PartialFile, OutputExistsError, landFile, partialPathFor } from './partial-file.js';
export type { LandingOptions } from './partial-file.js';
export { mulberry32, xorshift32 } from './random.js';
export { plural } from './plural.js';
export { namesIn } from './names-in.js';
