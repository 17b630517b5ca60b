import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Key, Keyring, hasContainerMagic, signDigest, signatureFromXml } from '../../src/platform/crypto/index.js';
import { SidecarError, decodeSidecar, encodeSidecar, sidecarFromXml, sidecarToXml } from '../../src/recordings/index.js';
import type { RecordingSidecar } from '../../src/recordings/index.js';
import { mulberry32 } from '../../src/platform/util/index.js';
import { meta, randomString, tempDir, utf8 } from './helpers.js';

const keyring = new Keyring([Key.generate()]);
const cdr = '<cdr e164="0800102" dir="to"><event type="conn" time="1371998292"/></cdr>';

function sample(overrides: Partial<RecordingSidecar> = {}): RecordingSidecar {
  return {
    meta: meta({ tan: '123456', executive: true, externalName: 'Ext <Co> & "Sons"' }),
    audio: { format: 'wav', mix: 'stereo', codec: 'pcma', durationMs: 103000, bytes: 1648044, encrypted: false },
    cdr: [cdr, 'second ]]> fragment with \r\n CRLF'],
    signature: signDigest('ab'.repeat(32), keyring),
    ...overrides,
  };
}

function sidecarError(run: () => unknown): SidecarError {
  try {
    run();
  } catch (error) {
    if (error instanceof SidecarError) return error;
    throw error;
  }
  throw new Error('expected a SidecarError');
}

describe('XML sidecar', () => {
  it('round-trips every field', () => {
    const value = sample();
    const xml = sidecarToXml(value);
    expect(xml).toContain('<![CDATA[<cdr e164="0800102"');
    expect(sidecarFromXml(xml)).toEqual(value);
    // Minimal sidecar (no optional fields).
    const minimal: RecordingSidecar = { meta: { callId: 'c', start: new Date(0), secondsToAnswer: 0, direction: 'in', internal: '', external: '' }, audio: { format: 'pcap', encrypted: true }, cdr: [] };
    expect(sidecarFromXml(sidecarToXml(minimal))).toEqual(minimal);
  });

  it('keeps the signature readable by src/platform/crypto, ahead of any CDR text', () => {
    const value = sample({ cdr: [`<signature algorithm="HMAC-SHA256" keyId="${'0'.repeat(16)}" digest="${'1'.repeat(64)}" value="${'2'.repeat(64)}"/>`] });
    expect(signatureFromXml(sidecarToXml(value))).toEqual(value.signature);
  });

  it('round-trips fuzzed strings in every text field, and stays well-formed XML', () => {
    const random = mulberry32(42);
    for (let i = 0; i < 400; i++) {
      const s = (): string => randomString(random, 30);
      const value = sample({
        meta: meta({ callId: s() || 'id', internal: s(), external: s(), internalName: s(), externalName: s(), agentRule: s() }),
        audio: { format: 'mp3', codec: s(), encrypted: false },
        cdr: [s(), s(), ''],
      });
      const parsed = sidecarFromXml(sidecarToXml(value));
      const wellFormed = (x: string | undefined): string | undefined => (x === undefined ? undefined : utf8(x));
      expect(parsed.meta.callId).toBe(wellFormed(value.meta.callId));
      expect(parsed.meta.internal).toBe(wellFormed(value.meta.internal));
      expect(parsed.meta.external).toBe(wellFormed(value.meta.external));
      expect(parsed.meta.internalName).toBe(wellFormed(value.meta.internalName));
      expect(parsed.meta.externalName).toBe(wellFormed(value.meta.externalName));
      expect(parsed.meta.agentRule).toBe(wellFormed(value.meta.agentRule));
      expect(parsed.audio.codec).toBe(wellFormed(value.audio.codec));
      expect(parsed.cdr).toEqual(value.cdr.map((c) => utf8(c)));
    }
  });

  it('is read the same by an independent XML parser (python3 ElementTree)', () => {
    const dir = tempDir('sidecar-py');
    try {
      const random = mulberry32(5);
      const values = Array.from({ length: 30 }, () => randomString(random, 30).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\uFFFE\uFFFF\uD800-\uDFFF]/g, ''));
      const files = values.map((v, i) => {
        const path = join(dir.path, `${i}.xml`);
        writeFileSync(path, sidecarToXml(sample({ meta: meta({ externalName: v }), cdr: [v] })));
        return path;
      });
      const script = 'import sys, json\nimport xml.etree.ElementTree as ET\nout=[]\nfor f in sys.argv[1:]:\n  r=ET.parse(f).getroot()\n  out.append([r.find("call/external/name").text or "", r.find("cdr").text or ""])\nprint(json.dumps(out))';
      const result = JSON.parse(execFileSync('python3', ['-c', script, ...files], { encoding: 'utf8' })) as string[][];
      expect(result).toEqual(values.map((v) => [v, v]));
    } finally {
      dir.remove();
    }
  });

  it('encrypts with the keyring and decodes back', () => {
    const bytes = encodeSidecar(sample(), keyring);
    expect(hasContainerMagic(bytes)).toBe(true);
    expect(bytes.includes(Buffer.from('0800102'))).toBe(false);
    const { sidecar, encrypted } = decodeSidecar(bytes, keyring);
    expect(encrypted).toBe(true);
    expect(sidecar).toEqual(sample());
    expect(() => decodeSidecar(bytes, new Keyring([Key.generate()]))).toThrow(/unknown key/);
    expect(decodeSidecar(encodeSidecar(sample()), undefined).encrypted).toBe(false);
  });

  it('rejects malformed sidecars naming the file and element', () => {
    const good = sidecarToXml(sample());
    const cases: Array<[string, string, RegExp]> = [
      [good.replace('<start>2013-06-24T16:38:12.000Z</start>', '<start>yesterday</start>'), 'recording/call/start', /ISO 8601/],
      [good.replace('direction="out"', 'direction="up"'), 'recording/call', /direction/],
      [good.replace('<tan>123456</tan>', '<tan>12</tan>'), 'recording/call/tan', /6 digits/],
      [good.replace('<agentRule>', '<color>red</color><agentRule>'), 'recording/call/color', /unknown element/],
      [good.replace('format="wav"', 'format="ogg"'), 'recording/audio', /format/],
      [good.replace('<recording version="1">', '<recording version="9">'), 'recording', /unsupported version/],
      [good.replace(/<id>[^<]*<\/id>/, ''), 'recording/call/id', /missing/],
      [good.replace('bytes="1648044"', 'bytes="-1"'), 'recording/audio', /bytes/],
      [good.replace(/value="[0-9a-f]+"/, 'value="zz"'), 'recording/signature', /value/],
      [good.replace('</recording>', ''), '', /not well-formed/],
      [good.replace('<recording', '<!DOCTYPE x [<!ENTITY a "b">]><recording'), '', /DOCTYPE/],
      [good.replace('Anna Agent', 'Anna &bogus; Agent'), '', /unknown entity/],
      [good.replace('Anna Agent', 'Anna \u0001 Agent'), '', /does not allow/],
      ['<other/>', 'other', /root element/],
    ];
    for (const [xml, element, reason] of cases) {
      const error = sidecarError(() => sidecarFromXml(xml, 'x.xml'));
      expect(error.element, element).toBe(element);
      expect(error.message).toMatch(/^x\.xml: /);
      expect(error.reason).toMatch(reason);
    }
  });
});
