// What tenants of one platform may not share: checked before anything starts (the folders, ports and queues are
// covered end to end in service-tenants; here the bucket folders, which need no server to check).
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/platform/config/index.js';
import { tenantConflicts } from '../../../src/recorder/tenants/index.js';

function tenant(name: string, bucket: { name: string; prefix: string; endpoint?: string }) {
  const input = {
    tenant: name,
    pbx: { url: 'http://127.0.0.1:1/PBX0/user.soap', username: 'u', password: 'p' },
    reporting: { url: 'http://127.0.0.1:1/reporting', username: 'u', password: 'p' },
    drive: { kind: 'local' as const, path: `/srv/${name}/drive` },
    storage: { root: `/srv/${name}/store`, bucket: { endpoint: 'http://127.0.0.1:9000', accessKeyId: 'a', secretAccessKey: 's', ...bucket } },
  };
  return { path: `/etc/recorder/${name}.json`, config: validateConfig(input, `${name}.json`, '/') };
}

describe('tenant conflicts: buckets', () => {
  it('one bucket folder is one tenant’s; other prefixes of the same bucket, or another server, are fine', () => {
    expect(tenantConflicts([tenant('acme', { name: 'calls', prefix: 'acme/' }), tenant('bravo', { name: 'calls', prefix: 'bravo/' })])).toEqual([]);
    expect(tenantConflicts([tenant('acme', { name: 'calls', prefix: 'x/' }), tenant('bravo', { name: 'calls', prefix: 'x/', endpoint: 'http://127.0.0.1:9001' })])).toEqual([]);
    expect(tenantConflicts([tenant('acme', { name: 'calls', prefix: 'shared/' }), tenant('bravo', { name: 'calls', prefix: 'shared/' })])).toEqual([
      'tenants acme and bravo share the bucket folder http://127.0.0.1:9000 s3://calls/shared/: each needs its own',
    ]);
  });
});
