#!/usr/bin/env bash
# Installs every Debian 12 package Postern needs to build, run and test.
# Idempotent: asks apt only for what is missing. Run as root (or with sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang-format git
  # libraries (ARCHITECTURE.md §9)
  libboost1.81-dev libssl-dev libc-ares-dev libsqlite3-dev libzstd-dev zlib1g-dev
  libargon2-dev libcrypt-dev libtomlplusplus-dev libfmt-dev nlohmann-json3-dev
  libcli11-dev liblua5.4-dev libicu-dev libldap2-dev libmaxminddb-dev
  # tests and tools (libnet-ssleay-perl gives swaks its TLS)
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pytest python3-dnslib python3-aiosmtpd swaks libnet-ssleay-perl curl openssl netcat-openbsd procps iproute2
  # real IMAP clients for the e2e tests (mbsync syncs both ways, mutt reads in batch mode)
  isync mutt
  # real POP3 clients for the e2e tests (curl above does pop3/pop3s too)
  fetchmail getmail6
  # a real ManageSieve client (RFC 5804) for the e2e tests
  sieve-connect
  # sender authentication: SPF suites (YAML), DKIM cross-checks, the Public Suffix List
  python3-yaml python3-dkim opendkim-tools publicsuffix
  # real scanners for the e2e tests (started by the tests with private configs; no signatures
  # are downloaded: the tests give clamd a one-signature database)
  spamd spamassassin clamav-daemon clamav-milter
  # a real libmilter-based milter for the SMTP-time milter tests (tests/e2e/milter_server.py)
  python3-milter
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
