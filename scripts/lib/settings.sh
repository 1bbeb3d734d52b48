#!/usr/bin/env bash
# The settings every entry script takes as variables, checked before any
# work, so that a typo costs nothing: sourced after common.sh, envs.sh and
# variants.sh, and tested by scripts/test-harness.sh.

# The tests a guest can run, one per line: the init's own, the selftests
# and the benchmark (one program per .c file), and the host's env_check.
known_tests() {
	local src

	printf '%s\n' module_load kunit kernel_log module_reload boot_declared kexec_handover env_check
	for src in "$REPO_DIR"/selftests/x86/*.c "$REPO_DIR"/bench/*.c; do
		src=${src##*/}
		printf '%s\n' "${src%.c}"
	done
}

# check_words WHAT KNOWN_FUNCTION WORD...: die naming the known words
# unless every WORD is one
check_words() {
	local what=$1 known=$2 word
	local -a words
	shift 2

	mapfile -t words < <("$known")
	for word in "$@"; do
		in_list "$word" "${words[@]}" ||
			die "unknown $what '$word' (known: ${words[*]})"
	done
}

all_envs() {
	printf '%s\n' "${ALL_ENVS[@]}"
}

all_variants() {
	printf '%s\n' "${ALL_VARIANTS[@]}"
}

# check_settings: BASE, XEN, ENVS, VARIANTS, DOMU_VARIANTS, TESTS,
# BOOT_JOBS, BOOT_STALL, BOOT_TIMEOUT and MAX_BOOTS are all known words or
# numbers.
check_settings() {
	local var

	check_base
	check_xen
	# shellcheck disable=SC2086  # lists of words
	check_words environment all_envs ${ENVS:-}
	# shellcheck disable=SC2086
	check_words "kernel variant" all_variants ${VARIANTS:-} ${DOMU_VARIANTS:-}
	# shellcheck disable=SC2046  # a comma-separated list
	check_words test known_tests $(tr ',' ' ' <<<"${TESTS:-}")
	for var in BOOT_JOBS BOOT_STALL BOOT_TIMEOUT MAX_BOOTS; do
		[ -z "${!var:-}" ] || [[ "${!var}" =~ ^[1-9][0-9]*$ ]] ||
			die "$var=${!var}: not a positive number"
	done
}
