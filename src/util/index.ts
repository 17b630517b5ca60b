export { writeFileAtomic } from './atomic-file.js';
export { PartialFile } from './partial-file.js';
export { mulberry32, xorshift32 } from './random.js';
