#!/usr/bin/env bash
# Regenerates guard-core/data/wx-apis.txt, the built-in API catalogue, from the
# npm package miniprogram-api-typings: every `wx.NAME(` in
# types/wx/lib.wx.api.d.ts, plus getPhoneNumber and getEmailAddress (JS SDK
# APIs named by the login seed), sorted bytewise, one a line.
#
#   guard-core/scripts/update-catalogue.sh            # version 5.2.3 (shipped)
#   guard-core/scripts/update-catalogue.sh 5.3.0      # another version
#   guard-core/scripts/update-catalogue.sh --check    # exit 1 if the file differs
set -euo pipefail
version=5.2.3
check=false
for arg in "$@"; do
  case "$arg" in
    --check) check=true ;;
    *) version=$arg ;;
  esac
done
out="$(cd "$(dirname "$0")/.." && pwd)/data/wx-apis.txt"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "miniprogram-api-typings@$version" --silent >/dev/null && tar xzf ./*.tgz)
{
  grep -oP 'wx\.[A-Za-z0-9_]+\(' "$work/package/types/wx/lib.wx.api.d.ts" | sed -E 's/^wx\.(.*)\($/\1/'
  printf 'getPhoneNumber\ngetEmailAddress\n'
} | LC_ALL=C sort -u > "$work/wx-apis.txt"
if $check; then
  diff -u "$out" "$work/wx-apis.txt" && echo "catalogue matches miniprogram-api-typings@$version ($(wc -l < "$out") names)"
else
  mv "$work/wx-apis.txt" "$out"
  echo "wrote $(wc -l < "$out") names to $out"
fi
