#!/bin/sh
# Copies the front-end files the pages use from node_modules (installed by `npm ci`
# from package-lock.json) into static/vendor, which is built, never committed.
set -eu
cd "$(dirname "$0")"
out=static/vendor
rm -rf "$out"
mkdir -p "$out/codemirror" "$out/vis-network"
cm=node_modules/codemirror
cp "$cm/lib/codemirror.js" "$cm/lib/codemirror.css" "$out/codemirror/"
cp "$cm/mode/sparql/sparql.js" "$out/codemirror/"
cp "$cm/addon/hint/show-hint.js" "$cm/addon/hint/show-hint.css" "$out/codemirror/"
cp "$cm/addon/edit/matchbrackets.js" "$out/codemirror/"
cp node_modules/vis-network/standalone/umd/vis-network.min.js node_modules/vis-network/styles/vis-network.min.css "$out/vis-network/"
for licence in "$cm/LICENSE" node_modules/vis-network/LICENSE*; do
  [ -f "$licence" ] && cp "$licence" "$out/$(basename "$(dirname "$licence")")-$(basename "$licence")"
done
