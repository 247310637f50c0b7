# Debian packages dstm needs, installed idempotently (sourced by scripts/test and scripts/demo).
# One list: each package is here once, with what needs it.
DSTM_BUILD_PACKAGES=(
  build-essential pkg-config meson ninja-build   # the build
  clang libclang-rt-14-dev                        # libFuzzer targets and their sanitizer runtimes
  dpdk-dev libdpdk-dev                            # DPDK 22.11: dataplane, rte_rcu_qsbr, rte_ring, rte_hash
  libabsl-dev libpugixml-dev libssl-dev           # Abseil, pugixml (TSP XML), OpenSSL 3 (SASL crypto)
  libsqlite3-dev                                  # SQLite: lease store, agent's mapping store (lib/sqlite)
  libtomlplusplus-dev                             # toml++: every daemon's configuration file
  libasio-dev                                     # standalone Asio: the control plane's sockets and timers
  libnl-route-3-dev                               # libnl-route-3: dstm-client's DTI (ip6tnl, address, routes) over netlink
  catch2 libbenchmark-dev                         # unit tests, micro-benchmarks
  python3 python3-scapy                           # count_catch.py; conformance cases (scapy, /usr/bin/python3)
  libcli11-dev                                    # CLI11: dstmctl's subcommands (header-only)
  iproute2 iputils-ping                           # namespace tests: ip netns, ping through dstm-client's DTI
  ethtool netcat-openbsd                          # tests/e2e: checksum offload off on veths; a TCP transfer
  openssl                                         # tests/integration/controlplane: throwaway CA and certificates for TLS
)

# Only scripts/bench: the peer dstm-server's allocation rate is compared with (Kea's DHCPv4
# server and its load tool perfdhcp; Debian's default Kea configuration listens on no interface).
DSTM_BENCH_PACKAGES=(
  kea-dhcp4-server kea-admin                      # kea-dhcp4 (memfile) and perfdhcp: bench/controlplane/kea_peer.py
)

# ensure_packages PKG...: apt-get installs the ones that are missing; silent when all are present.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "dstm: missing packages: ${missing[*]} (run as root, or install them first)" >&2
    return 1
  fi
  echo "dstm: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || { echo "dstm: apt-get update failed" >&2; return 1; }
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    { echo "dstm: apt-get install ${missing[*]} failed" >&2; return 1; }
}
