# SUNWscims — every target sets up what it needs (a virtual environment with pinned
# dependencies in .venv) on a fresh Debian machine with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test unit lint sysdeps package deb rpm bench clean

$(STAMP): requirements/dev.txt pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian package: python3-venv"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends python3-venv >/dev/null || exit 1; \
	  else echo "$(PYTHON) cannot create a virtual environment; install python3-venv" >&2; exit 1; fi; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

## The main job: the administrator's guide, run end to end on a two-node stand-in cluster.
## Its hosts need the system tools (sysdeps), as every target that starts real hosts does.
demo: sysdeps $(STAMP)
	$(PY) -m imsguide.demo $(ARGS)

## The whole test suite: lint, the Python 3.9 check of shipped code, then every test.
## End-to-end tests spend their time waiting on real processes, so test files run three at a
## time (each file keeps its own clusters, addresses and sockets).
PYTEST_ARGS ?= -n 3 --dist loadfile
test: sysdeps lint
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests; that is a failure" >&2; fi; \
	exit $$rc

## The fast tests: every test not marked e2e, so no stand-in cluster, no Pacemaker bed and no
## end-to-end run of Messaging Server; for the edit-test loop (`make test` stays the whole bar).
unit: sysdeps $(STAMP)
	@$(PY) -m pytest -m "not e2e" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make unit: pytest collected no tests; that is a failure" >&2; fi; \
	exit $$rc

## System tools the targets use, as tool:Debian-package pairs: ksh (Solaris 11's /bin/sh is
## ksh93: the install scripts must parse with it), man, groff and col (SUNW.ims(5) must
## render); for the real hosts of hostlab, iproute2, util-linux, mount, e2fsprogs, procps
## and iputils-arping (logical hosts announce themselves with a gratuitous ARP); for the OCF
## agent and its Pacemaker test bed: corosync, pacemakerd, crm_resource/cibadmin/crm_verify,
## pcs and crmsh (the bed is configured with the administrator's tools; docs/ocf.md),
## resource-agents (its ocf-tester, Filesystem, IPaddr2 and dovecot agents), xmllint
## (ocf-tester validates meta-data), dpkg-deb and rpmbuild (the .deb and the .rpm), dovecot
## (the benchmark's comparison), strace (bench_calls counts the programs each method runs),
## git (benchmarks name the commit they measured), stress-ng (the chaos campaign's load),
## sshd and ssh (the report may reach nodes by ssh); and psutil for /usr/bin/python3 (the
## packages' dependency). tests/test_makefile.py checks that every program the code starts
## is here or in every Debian system. Installed from Debian when missing, in one apt-get.
SYSDEPS := ksh:ksh man:man-db groff:groff-base col:bsdextrautils ip:iproute2 \
    nsenter:util-linux losetup:mount mkfs.ext4:e2fsprogs pgrep:procps arping:iputils-arping \
    corosync:corosync pacemakerd:pacemaker crm_resource:pacemaker-cli-utils pcs:pcs crm:crmsh \
    ocf-tester:resource-agents xmllint:libxml2-utils dpkg-deb:dpkg rpmbuild:rpm \
    dovecot:dovecot-imapd modprobe:kmod strace:strace git:git stress-ng:stress-ng \
    sshd:openssh-server ssh:openssh-client
sysdeps:
	@missing=""; pkgs=""; \
	for pair in $(SYSDEPS); do \
	  tool=$${pair%%:*}; pkg=$${pair#*:}; \
	  command -v $$tool >/dev/null 2>&1 || { missing="$$missing $$tool"; pkgs="$$pkgs $$pkg"; }; \
	done; \
	if ! /usr/bin/python3 -c 'import psutil' 2>/dev/null; then \
	  missing="$$missing psutil"; pkgs="$$pkgs python3-psutil"; \
	fi; \
	if [ -n "$$pkgs" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages:$$pkgs"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends $$pkgs >/dev/null || exit 1; \
	  else echo "missing tools:$$missing; install the Debian packages$$pkgs" >&2; exit 1; fi; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check src methods ocf admin tests bench packaging
	$(PY) tools/check_py39.py

package: $(STAMP)
	$(PY) packaging/build.py

## The OCF resource agent ocf:sunw:ims as a Debian package (build/deb/scims-ocf_<v>_all.deb).
deb: $(STAMP)
	$(PY) packaging/debian.py

## The same agent as an RPM for RHEL-family systems (build/rpm/scims-ocf-<v>-1.noarch.rpm),
## its files laid out by packaging/debian.py's description; rpmbuild comes from sysdeps.
rpm: sysdeps $(STAMP)
	$(PY) packaging/rpm.py

bench: sysdeps $(STAMP)
	$(PY) bench/run.py $(BENCH)

## A chaos campaign (docs/chaos.md): mail flowing while a seeded nemesis injects faults, then
## the store read back and a verdict, e.g. ARGS="--engine sc --seed 1 --minutes 10 --out DIR".
.PHONY: chaos
chaos: sysdeps $(STAMP)
	$(PY) -m chaos $(ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .hypothesis
