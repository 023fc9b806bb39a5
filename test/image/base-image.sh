#!/usr/bin/env bash
# Builds the stand-in for the Dockerfile's base image (node:<version>-bookworm-slim) when no
# registry can be reached: a Debian bookworm minbase root filesystem with this machine's own node
# and npm laid out as the official image has them (/usr/local), its CA bundle, and the user
# `node` (uid 1000). Prints the image's name on stdout; everything else goes to stderr.
#
# The root filesystem is cached as a tarball under SLUICE_IMAGE_CACHE (default
# /var/tmp/sluice-image), keyed by node version and CA bundle, so repeated runs only re-import it
# (or reuse the image podman already holds). Needs root, debootstrap and podman.
set -euo pipefail
cache=${SLUICE_IMAGE_CACHE:-/var/tmp/sluice-image}
node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
node_prefix=$(dirname "$(dirname "$node_bin")")
ca_bundle=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
node_version=$(node --version)
key=$(cat "$node_bin" "$ca_bundle" "$0" | sha256sum | cut -c1-12)
image="localhost/sluice-node-base:${node_version#v}-$key"

if podman image exists "$image"; then
  echo "$image"
  exit 0
fi
mkdir -p "$cache"
tarball="$cache/rootfs-${node_version#v}-$key.tar"
if [ ! -f "$tarball" ]; then
  echo "base image: debootstrap bookworm minbase (first run on this machine)" >&2
  rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
  debootstrap --variant=minbase bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" >&2
  # Node and npm where the official image has them; the headers let native addons build offline.
  install -D -m 755 "$node_bin" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/include"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  if [ -d "$node_prefix/include/node" ]; then cp -a "$node_prefix/include/node" "$rootfs/usr/local/include/node"; fi
  # The registry is reached the way this machine reaches it: through the same CA bundle.
  install -D -m 644 "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  tar -C "$rootfs" -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
fi
podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV NODE_VERSION='"${node_version#v}" \
  --change 'CMD ["node"]' \
  "$tarball" "$image" >&2
echo "$image"
