#!/usr/bin/env bash
# The Debian tools the tests compare against (npm test's own preparation and .ci/run use this one list).
# Installs the missing ones with apt-get when it can (root, or sudo without a password); otherwise stops at once
# with the one command to run — rather than letting dozens of tests fail. RECORDER_SKIP_TOOL_CHECK=1 skips it.
set -euo pipefail

DEBIAN_PACKAGES=(
  ffmpeg            # reference decoder/encoder for G.711 and G.722
  sox               # signal generation and measurement in fixture scripts
  tshark            # independent RTP stream analysis and pcap/pcapng conversion (editcap)
  espeak-ng         # speech for fixtures
  lame              # MP3 baseline in the bench
  opus-tools        # opusinfo checks the Ogg Opus files we write; opusdec decodes them with libopus
  libbcg729-dev     # G.729 baseline in the bench
  sip-tester        # SIPp's sample captures: third-party RTP captures the tests check against tshark
  golang-github-gopacket-gopacket-dev  # third-party pcap/pcapng test files
  litmus            # WebDAV conformance suite run against the embedded PBX's drive
  python3-zeep      # independent SOAP client run against the embedded PBX's SOAP service
  chromium          # the real browser the web player's end-to-end tests drive (playwright-core)
  openssl           # a throw-away certificate for the player's HTTPS tests
  systemd           # systemd-analyze verify checks the units recorder service install writes
  redis-server      # the job queue (BullMQ) of the cluster tests, started by the tests on loopback
)

if [ "${RECORDER_SKIP_TOOL_CHECK:-}" = "1" ]; then exit 0; fi
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "test tools: this is not a Debian-like system (no dpkg-query); the tests need: ${DEBIAN_PACKAGES[*]}" >&2
  echo "test tools: install their equivalents, then run npm test with RECORDER_SKIP_TOOL_CHECK=1" >&2
  exit 1
fi

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

command_line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=sudo
else
  echo "test tools: missing Debian packages: ${missing[*]}" >&2
  echo "test tools: install them once, then run npm test again:" >&2
  echo "  sudo sh -c '${command_line}'" >&2
  exit 1
fi
echo "test tools: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
