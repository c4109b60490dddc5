#!/usr/bin/env bash
# Installs Debian's PostgreSQL if needed, starts it on loopback and creates the `mythic` role and
# database the tests use. Prints the URL to use as MYTHIC_TEST_DATABASE_URL on its last line.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $4 }' | grep -q online; then
  pg_ctlcluster "$version" main start >&2
fi
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q -h 127.0.0.1" && break
  sleep 1
done
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_roles WHERE rolname = 'mythic'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE mythic LOGIN PASSWORD 'mythic' CREATEDB\"" >&2
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname = 'mythic_test'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE DATABASE mythic_test OWNER mythic\"" >&2
echo "postgres://mythic:mythic@127.0.0.1:5432/mythic_test"
