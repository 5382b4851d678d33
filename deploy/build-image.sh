#!/usr/bin/env bash
# Builds Kontor's container image without any registry (what `task image` runs):
# a static CGO_ENABLED=0 binary stamped with the version, the host's CA certificates
# and time-zone data, and a passwd/group for the unprivileged user kontor (10001),
# staged in .image/ and copied into a FROM scratch image by the Dockerfile.
#
#   bash deploy/build-image.sh [TAG]        TAG defaults to $KONTOR_IMAGE or kontor:local
#
# KONTOR_VERSION overrides the version (default: git describe, or "dev").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tag=${1:-${KONTOR_IMAGE:-kontor:local}}
version=${KONTOR_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)

certs=/etc/ssl/certs/ca-certificates.crt
zoneinfo=/usr/share/zoneinfo
[ -s "$certs" ] || { echo "build-image: $certs is missing (Debian: apt-get install ca-certificates)" >&2; exit 1; }
[ -f "$zoneinfo/UTC" ] || { echo "build-image: $zoneinfo is missing (Debian: apt-get install tzdata)" >&2; exit 1; }

stage=.image
rm -rf "$stage"
mkdir -p "$stage/rootfs/etc/ssl/certs" "$stage/rootfs/usr/share" "$stage/data" "$stage/tmp"

echo "build-image: compiling kontor $version (static, CGO_ENABLED=0)" >&2
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$stage/rootfs/kontor" ./cmd/kontor

cp "$certs" "$stage/rootfs/etc/ssl/certs/ca-certificates.crt"
cp -RL "$zoneinfo" "$stage/rootfs/usr/share/zoneinfo"
printf 'root:x:0:0:root:/:/sbin/nologin\nkontor:x:10001:10001:Kontor:/data:/sbin/nologin\n' >"$stage/rootfs/etc/passwd"
printf 'root:x:0:\nkontor:x:10001:\n' >"$stage/rootfs/etc/group"
chmod 0755 "$stage/rootfs/kontor"
chmod 0700 "$stage/data"
chmod 1777 "$stage/tmp"

# The legacy builder needs no buildx; BuildKit is used when buildx is installed.
if ! docker buildx version >/dev/null 2>&1; then
  export DOCKER_BUILDKIT=0
fi
echo "build-image: docker build -t $tag" >&2
docker build --quiet \
  --build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg CREATED="$created" \
  -t "$tag" . >/dev/null
docker image inspect "$tag" --format 'build-image: {{index .RepoTags 0}} {{.Size}} bytes, version {{index .Config.Labels "org.opencontainers.image.version"}}' >&2
echo "$tag"
