#!/bin/sh
# Makes the tree runnable with one command on any machine: picks a Node >= 22
# (installing Node 24 from the npm registry into .toolchain/ only when the
# system Node is older), then installs node_modules with *that* Node's npm run,
# because npm under Node 20 silently skips EDR's native package (engines >=22).
# Cheap when nothing changed: a stamp records the lockfile hash and Node major.
set -eu
cd "$(dirname "$0")/.."

MIN_MAJOR=22
TOOLCHAIN_NODE=".toolchain/node_modules/node/bin/node"

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Inside an npm script, `node` may already be our own link to the toolchain's
# Node (node_modules/.bin/node, from an earlier run): that is the toolchain
# case too, or a reinstall below would delete the link and never remake it.
current=$(command -v node 2>/dev/null || true)
own_link=0
if [ -n "$current" ] && [ -x "$TOOLCHAIN_NODE" ] &&
  [ "$(readlink -f "$current")" = "$(readlink -f "$TOOLCHAIN_NODE")" ]; then
  own_link=1
fi
system_major=$(major node)
if [ "$own_link" -eq 0 ] && [ "$system_major" -ge "$MIN_MAJOR" ]; then
  NODE_BIN=$(command -v node)
  use_toolchain=0
else
  use_toolchain=1
  if [ ! -x "$TOOLCHAIN_NODE" ]; then
    echo "toolchain: system Node is $(node --version 2>/dev/null || echo missing); installing Node 24 into .toolchain/ (npm package node@24)" >&2
    mkdir -p .toolchain
    [ -f .toolchain/package.json ] || echo '{"private":true}' > .toolchain/package.json
    npm install --prefix .toolchain --no-audit --no-fund --loglevel=error node@24 >&2
  fi
  NODE_BIN="$PWD/$TOOLCHAIN_NODE"
  # npm, npx and every '#!/usr/bin/env node' tool resolve node through PATH.
  PATH="$PWD/.toolchain/node_modules/.bin:$PATH"
  export PATH
fi

lock_hash=$( (cat package-lock.json 2>/dev/null || cat package.json) | cksum | cut -d' ' -f1)
stamp="$lock_hash node$(major "$NODE_BIN")"
if [ ! -f node_modules/.toolchain-stamp ] || [ "$(cat node_modules/.toolchain-stamp)" != "$stamp" ]; then
  echo "toolchain: installing dependencies with Node $("$NODE_BIN" --version)" >&2
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error >&2
  else
    npm install --no-audit --no-fund --loglevel=error >&2
  fi
  echo "$stamp" > node_modules/.toolchain-stamp
fi

# npm puts node_modules/.bin first on PATH for every script it runs, so a node
# link there makes all later scripts (and nested npm runs) use the chosen Node.
if [ "$use_toolchain" -eq 1 ]; then
  ln -sf "$NODE_BIN" node_modules/.bin/node
fi
