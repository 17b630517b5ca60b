/** LINKTYPE_* numbers from the tcpdump.org link-layer header type registry. */
export const LinkType = {
  /** BSD loopback: 4-byte address family in the capturing host's byte order. */
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW as written by some BSDs and old libpcap: a raw IPv4/IPv6 packet. */
  RAW_12: 12,
  /** DLT_RAW on OpenBSD. */
  RAW_14: 14,
  RAW: 101,
  /** OpenBSD loopback: 4-byte address family in network byte order. */
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  QINQ: 0x88a8,
  /** Pre-standard QinQ tag protocol identifier still used by some switches. */
  QINQ_OLD: 0x9100,
} as const;

/** Address-family values in the loopback (NULL/LOOP) header: AF_INET is 2 everywhere, AF_INET6 differs by OS. */
export const LoopbackFamily = {
  INET: 2,
  /** OpenBSD, NetBSD */
  INET6_BSD: 24,
  /** FreeBSD */
  INET6_FREEBSD: 28,
  /** macOS */
  INET6_DARWIN: 30,
} as const;

/** Magic numbers as read little-endian from the first 4 bytes. */
export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
/** Kuznetsov's "modified" pcap: 8 extra bytes in each record header. */
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const PcapngBlockType = {
  INTERFACE_DESCRIPTION: 1,
  OBSOLETE_PACKET: 2,
  SIMPLE_PACKET: 3,
  NAME_RESOLUTION: 4,
  INTERFACE_STATISTICS: 5,
  ENHANCED_PACKET: 6,
  SECTION_HEADER: PCAPNG_SHB_TYPE,
} as const;

export const PcapngOption = {
  END: 0,
  COMMENT: 1,
  IF_NAME: 2,
  IF_TSRESOL: 9,
  IF_TSOFFSET: 14,
} as const;

/** Any single record or block larger than this is taken as garbage rather than allocated. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;
