export { writeFileAtomic } from './atomic-file.js';
export { mulberry32 } from './random.js';
