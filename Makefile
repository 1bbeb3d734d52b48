# x86/Xen I/O-privilege series: from kernel source to a verdict in guests.
# Each target calls one script; settings are variables:
#   BASE=7.3|6.12|6.1  KSRC=/path/to/linux  ENVS="native xen-pv ..."
#   VARIANTS="unpatched patched"  ENV=<one environment>  VARIANT=<one>
#   TESTS=a,b (subset of tests in the guest)  BUILD_DIR=<dir>
#   XEN=4.17|4.20 (the Xen the Xen environments boot: Debian 12's or 13's)

# boot takes one cell (ENV=, VARIANT=), the other targets sets of them
# (ENVS=, VARIANTS=): a setting of the wrong kind is refused, not ignored.
ONE_CELL = $(if $(ENVS)$(VARIANTS),$(error make $@ boots one cell: ENV=<environment> VARIANT=<variant>, not ENVS= or VARIANTS=))
MANY_CELLS = $(if $(filter command line,$(origin ENV) $(origin VARIANT)),$(error make $@ takes ENVS= and VARIANTS=, not ENV= or VARIANT=))

ENV ?= native
VARIANT ?= patched

run:		## main job: build, boot every environment, print the verdict
	$(MANY_CELLS)scripts/run.sh

check:		## the tests: static checks, kernels, DKMS, guest matrix
	$(MANY_CELLS)scripts/check.sh

deps:		## install the Debian packages the harness needs, fetch the 7.3 source
	scripts/install-deps.sh

tree:		## unpack the pristine kernel tree of BASE (or copy KSRC)
	scripts/prepare-tree.sh

apply:		## apply the series to a copy of the pristine tree
	scripts/apply-series.sh

bisect:		## apply the series patch by patch, building after each
	scripts/build-each-patch.sh

build:		## build kernels, module, selftests and initramfs
	scripts/build.sh

build-configs:	## build the patched tree without guest support, without PARAVIRT, 32-bit
	scripts/build-configs.sh

selftests:	## build the selftests (static)
	scripts/build-selftests.sh

module:		## build the module against KDIR
	scripts/build-module.sh

boot:		## boot VARIANT in ENV and report its tests
	$(ONE_CELL)scripts/boot-guest.sh $(ENV) $(VARIANT)

matrix:		## boot every environment and print the matrix
	$(MANY_CELLS)scripts/run-matrix.sh

xl-configs:	## write xl configs for a real Xen host
	scripts/write-xl-configs.sh

bench:		## benchmark I/O privilege per context switch, unpatched vs patched
	scripts/bench.sh

flake-rates:	## boot cells BOOTS times each; count emulator-defect signatures
	scripts/flake-rates.sh

suspend-rate:	## count kernel warnings over repeated xl save/restore of a PV domU
	scripts/suspend-rate.sh

lint:		## checkpatch --strict and shellcheck
	scripts/lint.sh

posting:	## the series of BASE as you would send it: your sign-off, To:/Cc:, checked
	scripts/make-posting.sh

clean:		## remove the build cache (trees, builds, results)
	scripts/clean.sh

help:
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## */\t/'

.PHONY: run check deps tree apply bisect build build-configs selftests module boot matrix \
	xl-configs bench flake-rates suspend-rate lint posting clean help
