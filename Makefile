# TwampProbe — see README.md. `make demo` and `make test` work on a fresh Debian 12 with the .NET 10 SDK.
SHELL := /bin/bash
DOTNET ?= dotnet
RID ?= linux-x64
CONFIG ?= Release
OUT := out/$(RID)
BIN := $(OUT)/twampprobe
SRC := $(shell find src -name '*.cs' -o -name '*.csproj') Directory.Build.props

# Debian packages the tests need, installed only when missing.
TEST_DEBS := tshark iproute2 gcc python3
CROSS_DEBS := clang lld gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static zlib1g-dev
# arm64 runtime libraries for running the cross-built binary under qemu-user (scripts/arm64-smoke.sh):
# the binary loads libssl.so.3 at run time (Debian multiarch; needs 'dpkg --add-architecture arm64').
CROSS_ARM64_DEBS := libssl3:arm64
# make fuzz: afl++ (SharpFuzz and its command-line tool come from NuGet: tests/TwampProbe.Fuzz, .config/dotnet-tools.json).
FUZZ_DEBS := afl++
FUZZ_SECONDS ?= 60
# make boot-test: qemu-system for the boards' architectures and cpio for the initramfs (host), plus the
# target's Debian packages (busybox-static, libc6, libssl3, the kernel) fetched with 'apt-get download'
# into out/boot/debs/<arch> (cached; scripts/boot/fetch-debs.sh; nothing of them is installed).
BOOT_DEBS := qemu-system-arm qemu-system-x86 cpio

.PHONY: all build publish demo test test-unit test-e2e deps deps-cross deps-fuzz deps-boot bench fuzz soak image boot-test clean

all: publish

build:
	$(DOTNET) build TwampProbe.sln -c $(CONFIG) -nologo -v q

publish: $(BIN)

$(BIN): $(SRC)
	$(DOTNET) publish src/TwampProbe/TwampProbe.csproj -c $(CONFIG) -r $(RID) -o $(OUT) -nologo -v q -p:TreatWarningsAsErrors=true
	@rm -f $(OUT)/*.dbg
	@ls -l $(BIN)

deps:
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections; \
	  apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; fi

deps-cross:
	@missing=""; for p in $(CROSS_DEBS) $(CROSS_ARM64_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64; \
	  apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; fi

deps-fuzz:
	@missing=""; for p in $(FUZZ_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; fi

deps-boot:
	@missing=""; for p in $(BOOT_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi
	@scripts/boot/fetch-debs.sh

demo: publish
	scripts/demo.sh $(BIN)

# One test project after another, the end-to-end one (which runs its own classes in parallel) last:
# the timing-sensitive unit tests never share the CPUs with the image builds and qemu boots.
TEST_PROJECTS := tests/TwampProbe.Protocol.Tests tests/TwampProbe.Linux.Tests tests/TwampProbe.Fuzz.Tests \
  tests/TwampProbe.Tests tests/TwampProbe.EndToEnd.Tests

test: deps publish
	@mkdir -p out; : > out/test.log
	@$(DOTNET) build TwampProbe.sln -c $(CONFIG) -nologo -v q 2>&1 | tee -a out/test.log; \
	  rc=$${PIPESTATUS[0]}; \
	  if [ $$rc -eq 0 ]; then for p in $(TEST_PROJECTS); do \
	    $(DOTNET) test $$p -c $(CONFIG) --no-build -nologo -v q --logger "console;verbosity=minimal" \
	      -e TWAMPPROBE_BIN=$(abspath $(BIN)) 2>&1 | tee -a out/test.log; \
	    [ $${PIPESTATUS[0]} -eq 0 ] || rc=1; done; fi; \
	  awk '/(Passed|Failed)! +- +Failed:/ { gsub(",", ""); for (i = 1; i <= NF; i++) { if ($$i == "Failed:") f += $$(i+1); if ($$i == "Passed:") p += $$(i+1) } } \
	       END { printf "tests: %d passed, %d failed\n", p, f }' out/test.log; exit $$rc

bench: publish
	scripts/bench.sh $(BIN)

# make fuzz [FUZZ_SECONDS=N]: every fuzz target under afl-fuzz for N seconds (scripts/fuzz.sh).
fuzz: deps-fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) DOTNET=$(DOTNET) scripts/fuzz.sh

# make soak [SOAK_MINUTES=N]: sustained load + session churn on loopback, every mode, N minutes (default 30); not in CI.
SOAK_MINUTES ?= 30
soak: publish
	SOAK_MINUTES=$(SOAK_MINUTES) scripts/soak.sh $(BIN)

# make image BOARD=<name>: out/<name>/rootfs.tar.gz (see board/README.md).
image:
	@if [ -z "$(BOARD)" ]; then echo "make image: BOARD is required, e.g. make image BOARD=raspberrypi4; boards:" $$(cd board && for d in */; do [ -f "$$d/board.env" ] && printf '%s ' "$${d%/}"; done) >&2; exit 2; fi
	scripts/make-image.sh $(BOARD)

# make boot-test BOARD=<name>: boot out/<name>/rootfs.tar.gz (rebuilt from the current tree) in qemu-system with the
# Debian kernel, measure every mode from a private network namespace over a tap, exercise the init
# script's reload/restart/stop (scripts/boot-test.sh). Runs in 'make test' through BootTests.cs.
boot-test: deps-boot publish
	@if [ -z "$(BOARD)" ]; then echo "make boot-test: BOARD is required, e.g. make boot-test BOARD=raspberrypi4; boards:" $$(cd board && for d in */; do [ -f "$$d/board.env" ] && printf '%s ' "$${d%/}"; done) >&2; exit 2; fi
	CLIENT=$(abspath $(BIN)) scripts/boot-test.sh $(BOARD)

clean:
	rm -rf out src/*/bin src/*/obj tests/*/bin tests/*/obj
