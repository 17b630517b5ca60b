import { describe, expect, it } from 'vitest';
import { DtmfCollector, dtmfDigit, parseRtp, parseTelephoneEvents } from '../../../src/media/rtp/index.js';
import { encodeRtpPacket, encodeTelephoneEvent } from '../../../src/embedded/index.js';

/** One RTP packet of a telephone-event stream as the collector is fed it. */
interface EventPacket {
  readonly payload: Uint8Array;
  readonly timestamp: number;
  readonly time: number;
}

const SAMPLES_PER_PACKET = 160; // 20 ms at 8000 Hz

/**
 * The packets an RFC 4733 sender emits for one key press starting at
 * `timestamp`: an update every 20 ms with the duration so far, then the
 * final report (E bit) three times with the final duration (§2.5.1.4).
 */
function press(event: number, timestamp: number, startTime: number, durationSamples: number): EventPacket[] {
  const packets: EventPacket[] = [];
  let duration = SAMPLES_PER_PACKET;
  let time = startTime;
  while (duration < durationSamples) {
    packets.push({ payload: encodeTelephoneEvent(event, false, 10, duration), timestamp, time });
    duration += SAMPLES_PER_PACKET;
    time += 0.02;
  }
  for (let i = 0; i < 3; i++) {
    packets.push({ payload: encodeTelephoneEvent(event, true, 10, durationSamples), timestamp, time });
    time += 0.02;
  }
  return packets;
}

function collect(packets: readonly EventPacket[]): DtmfCollector {
  const collector = new DtmfCollector();
  for (const p of packets) collector.push(p.payload, p.timestamp, p.time);
  return collector;
}

describe('DTMF key presses from RFC 4733 events', () => {
  it('"12#" with 3× end retransmission and a long press of "2" → exactly 1, 2, #', () => {
    const packets = [
      ...press(1, 8000, 1.0, 800), // 100 ms
      ...press(2, 16000, 2.0, 16000), // 2 s long press: 99 duration updates
      ...press(11, 40000, 5.0, 960),
    ];
    expect(packets.length).toBe(4 + 3 + 99 + 3 + 5 + 3); // updates + 3 end reports per press
    const collector = collect(packets);
    expect(collector.presses.map((p) => p.digit)).toEqual(['1', '2', '#']);
    expect(collector.digits).toBe('12#');
    expect(collector.presses).toEqual([
      { digit: '1', rtpTimestamp: 8000, time: 1.0, durationSamples: 800, ended: true, volume: 10 },
      { digit: '2', rtpTimestamp: 16000, time: 2.0, durationSamples: 16000, ended: true, volume: 10 },
      { digit: '#', rtpTimestamp: 40000, time: 5.0, durationSamples: 960, ended: true, volume: 10 },
    ]);
  });

  it('through real RTP packets: parse, then collect (marker on the first packet of each event)', () => {
    let sequence = 100;
    const datagrams = [...press(1, 8000, 1.0, 800), ...press(2, 16000, 2.0, 800), ...press(11, 24000, 3.0, 800)].map((p, i, all) =>
      encodeRtpPacket({ payloadType: 101, sequence: sequence++, timestamp: p.timestamp, ssrc: 0x1234, payload: p.payload, marker: i === 0 || all[i - 1]!.timestamp !== p.timestamp }),
    );
    const collector = new DtmfCollector();
    datagrams.forEach((bytes, i) => {
      const packet = parseRtp(bytes)!;
      collector.push(packet.payload, packet.timestamp, i * 0.02);
    });
    expect(collector.digits).toBe('12#');
  });

  it('the same key twice is two presses; reordered and duplicated packets are not extra presses', () => {
    const packets = [...press(5, 1000, 0, 640), ...press(5, 3000, 1, 640)];
    // Swap two updates and repeat one: a network reorders and duplicates.
    const shuffled = [packets[1]!, packets[0]!, packets[0]!, ...packets.slice(2), packets[3]!];
    const collector = collect(shuffled);
    expect(collector.digits).toBe('55');
    expect(collector.presses.map((p) => p.durationSamples)).toEqual([640, 640]);
  });

  it('a press whose end packets were all lost is still one press, with the longest duration seen', () => {
    const packets = press(7, 5000, 0, 800).filter((p) => (p.payload[1]! & 0x80) === 0);
    const collector = collect(packets);
    expect(collector.presses).toEqual([{ digit: '7', rtpTimestamp: 5000, time: 0, durationSamples: 640, ended: false, volume: 10 }]);
  });

  it('a press longer than the 16-bit duration is split into segments (RFC 4733 §2.5.1.3) and stays one press', () => {
    // 10 s of "0": one segment of 0xFFFF units, then one of 14465 units starting where the first ended.
    const first: EventPacket[] = [];
    for (let d = 160; d < 0xffff; d += 160 * 50) first.push({ payload: encodeTelephoneEvent(0, false, 10, d), timestamp: 0, time: d / 8000 });
    first.push({ payload: encodeTelephoneEvent(0, false, 10, 0xffff), timestamp: 0, time: 8.19 });
    const second = press(0, 0xffff, 8.2, 80000 - 0xffff);
    const collector = collect([...first, ...second]);
    expect(collector.presses).toEqual([{ digit: '0', rtpTimestamp: 0, time: 0.02, durationSamples: 80000, ended: true, volume: 10 }]);
  });

  it('timestamps that wrap past 2^32 keep presses apart and together as they should', () => {
    const packets = [...press(3, 0xffffff00, 0, 480), ...press(4, 0x00000200, 1, 480)];
    expect(collect(packets).digits).toBe('34');
  });

  it('several events packed into one packet share its timestamp, each starting where the previous ended (§2.5.1.5)', () => {
    const packed = Uint8Array.from([...encodeTelephoneEvent(1, true, 10, 400), ...encodeTelephoneEvent(2, true, 10, 400), ...encodeTelephoneEvent(3, false, 10, 160)]);
    expect(parseTelephoneEvents(packed).map((e) => e.event)).toEqual([1, 2, 3]);
    const collector = new DtmfCollector();
    for (let i = 0; i < 3; i++) collector.push(packed, 7000, i * 0.02); // retransmitted like any other report
    collector.push(encodeTelephoneEvent(3, true, 10, 480), 7800, 0.1); // the third event continues on its own
    expect(collector.presses.map((p) => [p.digit, p.rtpTimestamp, p.durationSamples, p.ended])).toEqual([
      ['1', 7000, 400, true],
      ['2', 7400, 400, true],
      ['3', 7800, 480, true],
    ]);
  });

  it('events that are not keys (flash, tones) are ignored; key names follow RFC 4733 §3.2', () => {
    const collector = new DtmfCollector();
    collector.push(encodeTelephoneEvent(16, true, 10, 800), 0, 0); // flash
    collector.push(encodeTelephoneEvent(12, true, 10, 800), 1000, 1);
    expect(collector.digits).toBe('A');
    expect(Array.from({ length: 17 }, (_, i) => dtmfDigit(i) ?? '-').join('')).toBe('0123456789*#ABCD-');
    collector.push(Uint8Array.of(1, 2), 2000, 2); // too short to be an event
    expect(collector.presses.length).toBe(1);
  });
});
