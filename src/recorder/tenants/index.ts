// Several tenants on one recording platform: one service each, nothing shared that would couple them.
export { RecorderPlatform, tenantConflicts, tenantName } from './platform.js';
export type { PlatformOptions, TenantConfig } from './platform.js';
