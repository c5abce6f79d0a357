#!/usr/bin/env bash
# The differential test of incremental builds, at bench length: STEPS random edits (adds, edits,
# deletes, renames, tag and date changes, draft toggles, template, taxonomy and config edits),
# each followed by an incremental build that must equal a clean build byte for byte, with the
# cache loaded from disk (as `digest build`) and kept in memory (as `digest serve`).
#   bash bench/incremental_walk.sh [STEPS]     (default 2000; CI runs 100)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DIGEST_INCREMENTAL_STEPS="${1:-2000}" exec .venv/bin/python -m pytest -q -p no:cacheprovider \
    "tests/test_incremental.py::test_random_edits_build_like_a_clean_build"
