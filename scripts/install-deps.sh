#!/usr/bin/env bash
# Installs the Debian packages Barrage builds, tests and benchmarks with (see
# docs/dependencies.md for why each is here). Idempotent: only what is missing is installed.
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --bench  also wrk and tsung for `make bench`
set -euo pipefail
pkgs=(build-essential pkg-config clang libclang-rt-14-dev
      libcurl4-openssl-dev libssl-dev libevent-dev libyaml-dev libssh2-1-dev
      libjansson-dev libpcre2-dev libcmocka-dev libexpat1-dev libhttp-parser-dev zlib1g-dev
      gnuplot-nox jq openssh-server openssh-client iproute2 procps psmisc curl
      tsung libtemplate-perl chromium nginx-light
      libjs-dygraphs xxd libprotobuf-c-dev protobuf-c-compiler libsnappy-dev prometheus)
[ "${1:-}" = --bench ] && pkgs+=(wrk tsung)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
