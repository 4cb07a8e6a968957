#!/bin/sh
# Push tenantry's apply notes (refs/notes/tenantry) to a remote, merging them with the
# notes other jobs pushed meanwhile (sharded applies all write notes on the same commit).
# Notes are JSON lines; git's cat_sort_uniq strategy keeps every line of both sides.
# Usage: push-notes.sh [REMOTE]       (default: origin)
set -eu
remote=${1:-origin}
ref=refs/notes/tenantry
if ! git rev-parse -q --verify "$ref" >/dev/null; then
  echo "no apply notes to push"; exit 0
fi
attempt=1
while [ "$attempt" -le 5 ]; do
  if git fetch -q "$remote" "+$ref:refs/notes/tenantry-remote" 2>/dev/null; then
    git notes --ref=tenantry merge -q -s cat_sort_uniq refs/notes/tenantry-remote
  fi
  if git push -q "$remote" "$ref"; then
    echo "pushed $ref"; exit 0
  fi
  sleep $((attempt * 2))   # another job pushed first: fetch, merge and try again
  attempt=$((attempt + 1))
done
echo "error: could not push $ref to $remote after 5 attempts" >&2
exit 1
