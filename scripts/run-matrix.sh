#!/usr/bin/env bash
# Boot every environment with every kernel variant of a base, then print
# the results matrix and each environment's module state.  The worst
# result decides the exit status.
#
# Usage: BASE=7.3|6.12|6.1 [VARIANTS="unpatched patched patched-noxen"]
#        [ENVS="native ..."]
#        scripts/run-matrix.sh
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/envs.sh
. "$(dirname "$0")/lib/envs.sh"

print_states() {
	local variant env state

	for variant in "$@"; do
		for env in ${ENVS:-${ALL_ENVS[*]}}; do
			state=$BUILD_DIR/results/$BASE/$variant/$env/state.txt
			[ -f "$state" ] || continue
			printf '\nModule state, Linux %s %s, %s:\n' "$BASE" "$variant" "$env"
			sed 's/^/  /' "$state"
		done
	done
}

main() {
	local variant env variants

	check_base
	read -r -a variants <<<"${VARIANTS:-${ALL_VARIANTS[*]}}"
	for variant in "${variants[@]}"; do
		check_variant "$variant"
	done
	for env in ${ENVS:-${ALL_ENVS[*]}}; do
		env_known "$env" || die "unknown environment '$env' (known: ${ALL_ENVS[*]})"
	done
	rm -rf "$BUILD_DIR/results/$BASE"
	for variant in "${variants[@]}"; do
		for env in ${ENVS:-${ALL_ENVS[*]}}; do
			variant_boots_in "$variant" "$env" || continue
			"$(dirname "$0")/boot-guest.sh" "$env" "$variant" || true
		done
	done
	print_states "${variants[@]}"
	python3 "$REPO_DIR/scripts/report.py" matrix "$BUILD_DIR/results/$BASE"
}

main "$@"
