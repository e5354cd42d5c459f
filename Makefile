# The two commands a newcomer needs: `make serve` and `make test`. Everything else hangs off them.
# PYTHON picks the interpreter (3.11, 3.12 or 3.13); give each its own VENV, as .ci/run does:
#   make test PYTHON=$$(.ci/python 3.13) VENV=.venv-3.13
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8080
HOST   ?= 127.0.0.1

.PHONY: serve test certs lint bench fuzz install clean browser vectors farm sysdeps kdc wheel-check

# Kerberos: the KDC, kadmin.local and kinit for `mockwcf kdc` and the tests; libkrb5-dev and gcc to build
# the gssapi wheel. Installed only when missing (CI runs on a clean clone).
SYSDEPS_OK := $(shell command -v krb5kdc >/dev/null && command -v kadmin.local >/dev/null \
	&& command -v kinit >/dev/null && command -v krb5-config >/dev/null && command -v gcc >/dev/null && echo yes)

sysdeps:
ifneq ($(SYSDEPS_OK),yes)
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
		krb5-kdc krb5-admin-server krb5-user libkrb5-dev gcc \
	|| (apt-get -o DPkg::Lock::Timeout=900 update && DEBIAN_FRONTEND=noninteractive \
		apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
		krb5-kdc krb5-admin-server krb5-user libkrb5-dev gcc)
endif

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python setup.cfg pyproject.toml | sysdeps
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

certs/ca.pem: | $(STAMP)
	$(BIN)/mockwcf certs certs

certs: $(STAMP)
	$(BIN)/mockwcf certs certs

serve: $(STAMP) certs/ca.pem
	$(BIN)/mockwcf serve --host $(HOST) --port $(PORT)

# The journal page is tested in a real headless browser: Debian's chromium and chromedriver, installed
# when missing (no browser download of a test tool's own).
APT := apt-get -o DPkg::Lock::Timeout=900
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		$(APT) install -y chromium chromium-driver || \
		($(APT) update && $(APT) install -y chromium chromium-driver)

test: $(STAMP) browser
	@command -v openssl >/dev/null || $(APT) install -y openssl || ($(APT) update && $(APT) install -y openssl)
	$(BIN)/python -m pytest -q -n 2 -p no:randomly

# the built wheel (not editable) in a throw-away project outside the repository runs README.md's pytest example
wheel-check:
	.ci/wheel-check $(PYTHON)

lint: $(STAMP)
	$(BIN)/ruff check mockwcf tests bench interop
	$(BIN)/ruff format --check mockwcf tests bench interop

# seed 003 with a real balancer: `mockwcf serve --node-id K` processes behind HAProxy (installed when missing)
SCENARIO ?= scenarios/seed003-session-round-robin.yaml
BALANCE  ?= roundrobin
farm: $(STAMP) certs/ca.pem
	$(BIN)/python -m mockwcf.farm $(SCENARIO) --balance $(BALANCE) --port $(PORT)

bench: $(STAMP) certs/ca.pem
	@command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/stages.py
	$(BIN)/python bench/sessions.py
	$(BIN)/python bench/symmetric.py
	$(BIN)/python bench/concurrency.py --output bench/results.json

# Real third-party clients (zeep, node soap, WSS4J, Mono WCF) against the shipped scenarios; installs what is
# missing (interop/install.sh: apt packages, npm ci). Separate from `make test`: it needs Mono, a JDK and node.
.PHONY: interop
interop: $(STAMP) certs/ca.pem
	interop/install.sh
	$(BIN)/python -m pytest interop -q -n 2 -p no:randomly

# A throw-away Kerberos realm on loopback for trying the Windows scenarios by hand (see docs/recipes.md).
kdc: $(STAMP)
	$(BIN)/mockwcf kdc

# A long hypothesis run over the HTTP front end, the envelope parse and the receive pipeline (tests/test_fuzz.py);
# the smallest failing input of each target is written to tests/hostile/fuzz/, which every run replays.
FUZZ_EXAMPLES ?= 5000
fuzz: $(STAMP)
	MOCKWCF_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) MOCKWCF_FUZZ_SAVE=1 $(BIN)/python -m pytest -q -p no:randomly tests/test_fuzz.py

clean:
	rm -rf $(VENV) .venv-3.* build *.egg-info

# P_SHA1 vectors from Apache WSS4J (a second implementation; tests/test_conversation.py checks ours against them)
vectors:
	@test -f /usr/share/java/wss4j.jar || apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends libwss4j-java default-jdk-headless || (apt-get -o DPkg::Lock::Timeout=900 update && apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends libwss4j-java default-jdk-headless)
	javac -cp /usr/share/java/wss4j.jar -d build/vectors tests/vectors/PSha1Vectors.java
	java -cp /usr/share/java/wss4j.jar:/usr/share/java/commons-logging.jar:build/vectors PSha1Vectors > tests/data/psha1_wss4j.json
