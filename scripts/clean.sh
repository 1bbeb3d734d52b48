#!/usr/bin/env bash
# Remove the build cache: pristine trees, builds and results.
#
# Usage: [BUILD_DIR=...] scripts/clean.sh
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

msg "removing $BUILD_DIR"
rm -rf "$BUILD_DIR"
