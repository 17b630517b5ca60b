export { CaptureError } from './types.js';
export type { CaptureErrorCode, CaptureStats, TcpSegment, UdpDatagram } from './types.js';
export { detectCaptureFormat, parseCapture, readCapture, readCaptureStream, DEFAULT_CHUNK_SIZE } from './read.js';
export type { ReadCaptureOptions } from './read.js';
export { EtherType, LinkType, LoopbackFamily } from './constants.js';
export { formatIpv4, formatIpv6, parseIpAddress, parseIpv4, parseIpv6 } from './address.js';
export {
  buildIpv4Packet,
  buildIpv6Packet,
  buildUdpFrame,
  buildUdpPacket,
  buildUdpSegment,
  concatBytes,
  fragmentIpv4,
  fragmentIpv6,
  wrapInLinkLayer,
} from './frame-builder.js';
export type {
  Ipv4Options,
  Ipv6ExtensionHeader,
  Ipv6Options,
  LinkOptions,
  UdpFrameOptions,
  UdpPacketOptions,
  VlanTag,
} from './frame-builder.js';
export {
  encodePcapHeader,
  encodePcapRecord,
  encodePcapngHeader,
  encodePcapngRecord,
  PcapFileWriter,
  writePcap,
  writePcapng,
} from './writer.js';
export type {
  ByteOrder,
  CaptureFrame,
  FrameTime,
  PcapFileWriterOptions,
  PcapngInterfaceOptions,
  PcapngOptions,
  PcapngPacket,
  PcapngRawBlock,
  PcapngRecord,
  PcapOptions,
  TimestampResolution,
} from './writer.js';
