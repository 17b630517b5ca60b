// Media: from capture bytes to audio. Captures (pcap), RTP, SIP/SDP, the codecs, the audio writers and the call
// timeline that renders each call. Imports only platform and domain; nothing here knows of PBXs or storage.
export * as pcap from './pcap/index.js';
export * as rtp from './rtp/index.js';
export * as sip from './sip/index.js';
export * as codecs from './codecs/index.js';
export * as audio from './audio/index.js';
export * as calls from './calls/index.js';
