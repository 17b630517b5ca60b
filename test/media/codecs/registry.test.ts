// The codec registry against RFC 3551's table and against the decoders it hands out: one description, no drift.
import { describe, expect, it } from 'vitest';
import { CODECS, codecFromEncodingName, codecOfPayloadType, createStreamDecoder, decodeRawStream } from '../../../src/media/codecs/index.js';
import { audioSampleRate, staticPayloadTypes } from '../../../src/media/rtp/index.js';

describe('codec registry', () => {
  for (const codec of CODECS) {
    it(`${codec.title}: payload type, clock and sample rate as RFC 3551 assigns them; the decoder agrees`, () => {
      const rfc = staticPayloadTypes.get(codec.payloadType)!;
      expect(codec.encodingNames).toContain(rfc.encoding);
      expect(codec.clockRate).toBe(rfc.clockRate);
      expect(codec.sampleRate).toBe(audioSampleRate(rfc.encoding, rfc.clockRate));
      expect(codecOfPayloadType(codec.payloadType)).toBe(codec.name);
      for (const name of codec.encodingNames) expect(codecFromEncodingName(name.toLowerCase())).toBe(codec.name);
      const decoder = createStreamDecoder(codec.name)!;
      expect([decoder.codec, decoder.sampleRate, decoder.rtpClockRate]).toEqual([codec.name, codec.sampleRate, codec.clockRate]);
      // A frame's bytes decode to a frame's samples, through the stream decoder and the raw one alike.
      const frames = new Uint8Array(codec.frameBytes * 4).fill(0x55);
      expect(decoder.decode(frames).length).toBe(codec.frameSamples * 4);
      expect(decodeRawStream(codec.name, frames).samples.length).toBe(codec.frameSamples * 4);
    });
  }

  it('knows nothing it cannot decode', () => {
    expect(codecOfPayloadType(3)).toBeUndefined(); // GSM
    expect(codecFromEncodingName('iLBC')).toBeUndefined();
  });
});
