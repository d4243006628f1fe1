#!/usr/bin/env bash
# 100,000 think-time users on this machine (docs/scale.md): six local agents of 16,667 users
# each (under the 20,000 descriptors `ulimit -Hn` allows a process here), their connections
# bound round robin to 127.0.0.2 .. 127.0.0.9 (http.source_addresses: one source address allows
# ~28,000 connections to one target port), against nginx with eight worker processes sharing
# the port (reuseport). Each user: GET / then 30 s of think time, in a loop; users start over
# 120 s, the run lasts 240 s. Any variable of bench/scale.sh can be changed the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
export USERS=${USERS:-100000} AGENTS=${AGENTS:-6} SOURCES=${SOURCES:-8} TARGET=${TARGET:-nginx}
export NGINX_WORKERS=${NGINX_WORKERS:-8} THINK=${THINK:-30s} RAMP=${RAMP:-120s}
export DURATION=${DURATION:-240s}
exec bench/scale.sh
