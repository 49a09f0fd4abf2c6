# Herald: build, test and demo. Every target installs what it needs on a fresh Debian machine.
SWIFT  ?= swift
PYTHON ?= python3
CAMPAIGN := Campaigns/eu-china-dialogue-1999.toml
HERALD := .build/debug/herald
DEMO := demo

.PHONY: all deps build lint test test-browser demo clean install

all: build

# System and Python dependencies: libcurl (transport), libcrypto (SHA-256), dovecot-imapd (the bounce
# tests' IMAP server, started by the tests themselves), chromium (headless, the judge of the HTML letters'
# tests), aiosmtpd (test server), croniter (the cron
# oracle), cryptography (throwaway test CAs and DKIM keys), dkimpy and pynacl (the DKIM oracle; pynacl
# for its ed25519-sha256). Installed only when missing.
deps:
	@if ! pkg-config --exists libcurl libcrypto 2>/dev/null; then \
		echo "installing libcurl4-openssl-dev libssl-dev pkg-config"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcurl4-openssl-dev libssl-dev pkg-config >/dev/null; \
	fi
	@if [ ! -x /usr/sbin/dovecot ] || [ ! -e /usr/lib/dovecot/imap ]; then \
		echo "installing dovecot-imapd (the bounce tests' IMAP server; its service is kept from starting)"; \
		if [ ! -e /usr/sbin/policy-rc.d ]; then \
			trap 'rm -f /usr/sbin/policy-rc.d' EXIT; printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; \
		fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null || exit $$?; \
		if [ -d /run/systemd/system ]; then systemctl disable --now dovecot >/dev/null 2>&1 || true; fi; \
	fi
	@command -v chromium >/dev/null 2>&1 || { echo "installing chromium (the HTML letters' browser tests)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@$(PYTHON) -c "import aiosmtpd, croniter, cryptography, dkim, nacl" 2>/dev/null || { echo "installing aiosmtpd croniter cryptography dkimpy pynacl"; $(PYTHON) -m pip install -q aiosmtpd croniter cryptography dkimpy pynacl; }

build: deps
	$(SWIFT) build

# Style and layering, before the tests. `swift format lint --strict` (the toolchain's, with
# .swift-format: 4 spaces, lines up to 160, the rules that would rewrite Herald's deliberate
# style turned off: `a; b` on one line, `var a = 0, b = 0`, snake_case Codable fields) fails on
# any finding of its rules. The findings listed in LINT_DEFERRED are the pretty-printer's layout
# (hand-aligned continuation lines, trailing commas, long lines) and the import order: every one
# is what `swift format format -i -r Sources Tests` fixes by itself, so they are shown as a count
# and left to that one formatting pass (then `make lint LINT_DEFERRED=` holds the layout too).
# Then Scripts/layers.py: HeraldCore's folders must not refer to each other in a cycle; and
# Scripts/test_tags.py: integration tests are tagged `.integration`, not named so.
LINT_DEFERRED ?=
lint:
	@findings=$$(mktemp); trap 'rm -f "$$findings"' EXIT; \
	$(SWIFT) format lint --strict --parallel -r Sources Tests >"$$findings" 2>&1; status=$$?; \
	deferred=$$(echo "$(LINT_DEFERRED)" | tr -s ' ' '|'); \
	if [ -n "$$deferred" ]; then \
		left=$$(grep -v -E "\[($$deferred)\]" "$$findings" | grep -E ': (warning|error): |^error'); \
		echo "lint: $$(grep -c -E "\[($$deferred)\]" "$$findings") layout findings deferred to the formatter ($(LINT_DEFERRED))"; \
	else \
		left=$$(grep -E ': (warning|error): |^error' "$$findings"); \
	fi; \
	if [ -n "$$left" ]; then echo "$$left"; echo "lint: swift format found the above (.swift-format)"; exit 1; fi; \
	if [ $$status -ne 0 ] && [ -z "$$deferred" ]; then cat "$$findings"; exit 1; fi; \
	echo "lint: swift format: no finding of its rules"
	$(PYTHON) Scripts/layers.py Sources/HeraldCore
	$(PYTHON) Scripts/test_tags.py --check Tests

# Unit tests and integration tests; the integration tests start their own SMTP servers
# (Tests/Support/smtp_server.py, aiosmtpd) on free loopback ports. Then the fuzz harnesses are
# built and replayed over their corpus and regressions (fuzz-replay, below), so they cannot rot.
# `make lint` comes first: a style finding or a layer cycle fails the run in seconds.
test: lint build
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip '$(ALONE_SUITES)'
	$(SWIFT) test --skip-build --filter '$(ALONE_SUITES)'
	$(MAKE) --no-print-directory fuzz-replay

# The suites and tests that run a send or the daemon in this process on a mock clock, run on their own
# after the rest: the other suites' synchronous tests wait for herald subprocesses on Swift's
# cooperative pool (one thread per core), and a run in this process waiting behind them for
# seconds would fail its waits on the condition it watches (seen in combined runs on 2 cores).
ALONE_SUITES = CampaignDispatcherTests|DispatchPipelineTests|DaemonServiceTests|ReloadSignalTests|theDaemonRefusesEachFiringOfABrokenLog|integrationTheDaemonPollsTheMailbox

# The review page in a real headless browser (Tests/Support/browser_test.sh): preview the 1999
# campaign, load its index.html in Debian's Chromium (installed when missing), check there is no
# console message and the DOM shows the 15 letters and the manifest hash, and write the
# screenshot the README shows (docs/review-page.png).
test-browser: build
	@command -v chromium >/dev/null 2>&1 || { echo "installing chromium"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	Tests/Support/browser_test.sh $(HERALD) $(CAMPAIGN) 15 docs/review-page.png

# The main job on a loopback SMTP server: validate, preview, send the Secretary General's
# letter to the 15 governments, send again (nothing new), show the status.
demo: build
	@rm -rf $(DEMO) && mkdir -p $(DEMO)/mailbox
	@$(PYTHON) Tests/Support/smtp_server.py --store $(DEMO)/mailbox --ready-file $(DEMO)/port 2>$(DEMO)/smtp-server.log & \
	server=$$!; trap "kill $$server 2>/dev/null; wait $$server 2>/dev/null" EXIT; \
	for i in $$(seq 100); do [ -s $(DEMO)/port ] && break; sleep 0.1; done; \
	[ -s $(DEMO)/port ] || { echo "the demo SMTP server did not start; see $(DEMO)/smtp-server.log"; exit 69; }; \
	url="smtp://127.0.0.1:$$(cat $(DEMO)/port)"; \
	echo "== SMTP server (aiosmtpd) listening on $$url"; \
	echo "== herald validate $(CAMPAIGN)"; $(HERALD) validate $(CAMPAIGN) || exit $$?; \
	echo "== herald preview $(CAMPAIGN) --out $(DEMO)/preview"; $(HERALD) preview $(CAMPAIGN) --out $(DEMO)/preview || exit $$?; \
	echo "== herald send $(CAMPAIGN) --smtp-url $$url --log $(DEMO)/delivery.jsonl"; \
	$(HERALD) send $(CAMPAIGN) --smtp-url $$url --log $(DEMO)/delivery.jsonl || exit $$?; \
	echo "== herald send again: the log says every letter went, so nothing is sent"; \
	$(HERALD) send $(CAMPAIGN) --smtp-url $$url --log $(DEMO)/delivery.jsonl || exit $$?; \
	echo "== herald status $(CAMPAIGN) --log $(DEMO)/delivery.jsonl"; \
	$(HERALD) status $(CAMPAIGN) --log $(DEMO)/delivery.jsonl || exit $$?; \
	echo "== the server received $$(ls $(DEMO)/mailbox/*.eml | wc -l) messages: $(DEMO)/mailbox/ (index.jsonl lists them)"; \
	echo "== previews: $(DEMO)/preview/   delivery log: $(DEMO)/delivery.jsonl"

clean:
	rm -rf .build $(DEMO) preview

# A release build put on the PATH (GNU conventions): `make install` puts herald in /usr/local/bin;
# `make install PREFIX=/opt/herald`, or `DESTDIR=/tmp/stage` to stage a package. SCRATCH is
# SwiftPM's build folder (--scratch-path). Needs libcurl's and OpenSSL's headers only (`make deps`
# also installs the Python test tools, so it is not run here).
PREFIX  ?= /usr/local
BINDIR   = $(PREFIX)/bin
SCRATCH ?= .build
install:
	$(SWIFT) build -c release --scratch-path $(SCRATCH)
	install -D -m 0755 $(SCRATCH)/release/herald $(DESTDIR)$(BINDIR)/herald

# libFuzzer harnesses (Fuzz/README.md). The Fuzz package is built with ASan and libFuzzer in
# its own scratch folder (.build-fuzz), so it never rebuilds the main build. Its dependency on
# this package goes through the link .build-fuzz/herald (→ ..), so the package identity is
# `herald` whatever folder the repository is checked out in (even one named `fuzz`).
FUZZ_TARGETS := FuzzCSV FuzzCompose FuzzLog FuzzDSN FuzzHTML FuzzFileName FuzzCampaign
FUZZ_BUILD_FLAGS ?=
# SWIFT_BACKTRACE: Swift's own crash backtracer reads the stack in a way ASan reports as a
# second error; libFuzzer and ASan print the stack themselves.
FUZZ_ENV := LSAN_OPTIONS="suppressions=$(CURDIR)/Fuzz/lsan.supp" SWIFT_BACKTRACE=enable=no
.PHONY: fuzz-build fuzz-replay fuzz
fuzz-build: deps
	@mkdir -p .build-fuzz && ln -sfn .. .build-fuzz/herald
	@# SwiftPM does not notice a source file added to the path dependency (reached through the
	@# link): drop the build plan so it is made anew (compiled objects are kept).
	@rm -f .build-fuzz/debug.yaml
	cd Fuzz && HERALD_SOURCE=../.build-fuzz/herald $(SWIFT) build -c debug $(FUZZ_BUILD_FLAGS) \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld --scratch-path ../.build-fuzz

# Part of `make test`, so the harnesses cannot rot: builds them, then runs each over its seed
# corpus and its saved regressions once, without fuzzing (seconds). Any crash, sanitizer report,
# leak or input over 10 s fails the make, and the harness's output is shown.
fuzz-replay: fuzz-build
	@failed=""; log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	for target in $(FUZZ_TARGETS); do \
		files=$$(find Fuzz/Corpus/$$target Fuzz/Regressions/$$target -type f ! -name '.*' 2>/dev/null | sort); \
		count=$$(printf '%s\n' $$files | grep -c .); \
		if $(FUZZ_ENV) .build-fuzz/debug/$$target -timeout=10 $$files >"$$log" 2>&1; then \
			echo "fuzz-replay: $$target: $$count inputs, no crash"; \
		else \
			cat "$$log"; echo "fuzz-replay: $$target FAILED on one of its $$count inputs (see above)"; failed="$$failed $$target"; \
		fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz-replay: crash in$$failed; see Fuzz/README.md, When a target crashes"; exit 1; fi

# Fuzzing proper; not part of CI. Runs each target for FUZZ_SECONDS on a scratch copy of its seed
# corpus (plus the saved crashes, replayed first). New crashes land in Fuzz/Regressions/<target>/;
# any crash fails. `make fuzz FUZZ_TARGETS=FuzzDSN` fuzzes one target.
FUZZ_SECONDS ?= 60
fuzz: fuzz-build
	@scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; failed=""; \
	for target in $(FUZZ_TARGETS); do \
		mkdir -p "Fuzz/Regressions/$$target" "$$scratch/$$target" && cp Fuzz/Corpus/$$target/* "$$scratch/$$target/"; \
		echo "== $$target: fuzzing for $(FUZZ_SECONDS) s"; \
		$(FUZZ_ENV) .build-fuzz/debug/$$target "$$scratch/$$target" "Fuzz/Regressions/$$target" \
			-max_total_time=$(FUZZ_SECONDS) -timeout=10 -dict=Fuzz/Dictionaries/$$target.dict \
			-artifact_prefix="Fuzz/Regressions/$$target/" -print_final_stats=1 || failed="$$failed $$target"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crash in$$failed; the inputs are in Fuzz/Regressions/<target>/ (see Fuzz/README.md)"; exit 1; fi; \
	echo "fuzz: no crash in $(FUZZ_TARGETS)"

# Issue 10's send benchmark (Benchmarks/bench.py has the details): `herald send` at concurrency 1
# and 4, a bare libcurl client (Benchmarks/bare_client.c) at 1 and 4 threads, Postfix's smtp-source
# at 1 and 4 sessions and Python's mailmerge, each sending BENCH_ROWS letters to Postfix's smtp-sink
# on a free loopback port; `herald preview` and `validate` against `mailmerge --dry-run`; Herald's
# peak RSS at BENCH_BIG_ROWS. Medians of BENCH_RUNS interleaved rounds in one table, then the
# issue's targets; the figures also in .build-bench/results.json. Installs what is missing: postfix
# (only for smtp-sink and smtp-source: preseeded "No configuration", its service kept from starting
# during the install and stopped after it, and the install refused rather than remove another mail
# server), GNU time (peak RSS), mailmerge from PyPI. Builds a release in SCRATCH. Not part of `make test`.
# Issue 19's ledger rows: a send with nothing left to do and `status --json` of BENCH_BIG_ROWS and of
# BENCH_HUGE_ROWS letters already sent (the huge log written by a first send; 0 leaves it out).
# BENCH_BASELINE=<commit>: that commit's release is built in its own git worktree under .build-bench and
# run in the same rounds (send c1/c4, preview, validate, peak RSS, the ledger rows): an A/B table.
BENCH_ROWS ?= 10000
BENCH_BIG_ROWS ?= 100000
BENCH_HUGE_ROWS ?= 1000000
BENCH_BASELINE ?=
BENCH_RUNS ?= 3
.PHONY: bench
bench: deps
	@missing=""; [ -x /usr/sbin/smtp-sink ] && [ -x /usr/sbin/smtp-source ] || missing="postfix"; \
	[ -x /usr/bin/time ] || missing="$${missing:+$$missing }time"; \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing"; \
		echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
		if [ ! -e /usr/sbin/policy-rc.d ]; then \
			trap 'rm -f /usr/sbin/policy-rc.d' EXIT; printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; \
		fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-remove $$missing >/dev/null || exit $$?; \
		if /usr/sbin/postfix status >/dev/null 2>&1; then /usr/sbin/postfix stop; fi; \
		if [ -d /run/systemd/system ]; then systemctl disable --now postfix >/dev/null 2>&1 || true; fi; \
	fi
	@$(PYTHON) -c "import mailmerge" 2>/dev/null || { echo "installing mailmerge"; $(PYTHON) -m pip install -q mailmerge; }
	$(SWIFT) build -c release --scratch-path $(SCRATCH)
	@mkdir -p .build-bench
	cc -O2 -Wall -o .build-bench/bare_client Benchmarks/bare_client.c $$(pkg-config --cflags --libs libcurl) -lpthread
	@baseline=""; \
	if [ -n "$(BENCH_BASELINE)" ]; then \
		commit=$$(git rev-parse --verify --quiet "$(BENCH_BASELINE)^{commit}") || { echo "BENCH_BASELINE=$(BENCH_BASELINE): not a commit"; exit 64; }; \
		dir=.build-bench/baseline-$$commit; \
		[ -d "$$dir" ] || git worktree add --detach "$$dir" "$$commit" >/dev/null || exit $$?; \
		echo "building the baseline $$(git rev-parse --short $$commit) in $$dir"; \
		$(SWIFT) build -c release --product herald --package-path "$$dir" --scratch-path "$$dir/.build" || exit $$?; \
		baseline="--baseline-herald $$dir/.build/release/herald --baseline-label $$(git rev-parse --short $$commit)"; \
	fi; \
	$(PYTHON) Benchmarks/bench.py --herald $(SCRATCH)/release/herald --bare-client .build-bench/bare_client \
		--rows $(BENCH_ROWS) --big-rows $(BENCH_BIG_ROWS) --huge-rows $(BENCH_HUGE_ROWS) --runs $(BENCH_RUNS) --out .build-bench $$baseline
