# sockhelp for make users. The real build is cargo's; this file builds the release
# library and the reference, and installs them the way libuv / libevent do.
#
#   make                                 cargo build --release --lib (libsockhelp.a, .so),
#                                        the SONAME link target/release/libsockhelp.so.ABI,
#                                        and the man pages + HTML (make docs)
#   make build                           only the libraries
#   make docs                            only the reference: TARGET_DIR/docs/{man,html}
#   make install PREFIX=/usr/local       copies what `make` built; runs no cargo, so it works
#                                        as root with sudo's PATH (strips debug info)
#   make uninstall PREFIX=...            removes what install put there
#
# Variables: PREFIX (/usr/local); LIBDIR, INCLUDEDIR, MANDIR, DOCDIR, PKGCONFIGDIR
# (relative to PREFIX; defaults follow the OS: lib, include, share/man, share/doc/sockhelp,
# LIBDIR/pkgconfig, with FreeBSD's libdata/pkgconfig and OpenBSD's man); DESTDIR (staging
# root for packagers); STRIP (strip; empty: install as built); CARGO (cargo); PYTHON
# (python3, for the docs); TARGET_DIR ($CARGO_TARGET_DIR, else target); TLS (auto: the
# cargo feature `tls` when $(RUSTC) is 1.71 or newer; on; off); RUSTC (rustc). The work is in
# scripts/install.sh.

PREFIX     ?= /usr/local
DESTDIR    ?=
CARGO      ?= cargo
PYTHON     ?= python3
STRIP      ?= strip
TARGET_DIR ?= $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),target)
RUSTC      ?= rustc
TLS        ?= auto

# TLS (rustls 0.23) needs Rust 1.71+: on where the compiler allows, unless TLS=off.
RUSTC_MINOR := $(shell $(RUSTC) --version 2>/dev/null | sed -n 's/^rustc 1\.\([0-9]*\).*/\1/p')
TLS_ON      := $(if $(filter on,$(TLS)),1,$(if $(filter auto,$(TLS)),$(shell [ "0$(RUSTC_MINOR)" -ge 71 ] && echo 1)))
FEATURES    := $(if $(TLS_ON),--features tls)

# The SONAME's version, as build.rs sets it: 0.MINOR before 1.0, MAJOR after.
VERSION   := $(shell sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
V_MAJOR   := $(word 1,$(subst ., ,$(VERSION)))
V_MINOR   := $(word 2,$(subst ., ,$(VERSION)))
ABI       := $(if $(filter 0,$(V_MAJOR)),0.$(V_MINOR),$(V_MAJOR))

# Only the directories given on the command line (or in the environment) are passed on;
# scripts/install.sh picks the OS's defaults for the rest.
INSTALL_ARGS = --prefix "$(PREFIX)" --destdir "$(DESTDIR)" --target-dir "$(TARGET_DIR)" \
               --strip "$(STRIP)" \
               $(if $(LIBDIR),--libdir "$(LIBDIR)") \
               $(if $(INCLUDEDIR),--includedir "$(INCLUDEDIR)") \
               $(if $(MANDIR),--mandir "$(MANDIR)") \
               $(if $(DOCDIR),--docdir "$(DOCDIR)") \
               $(if $(PKGCONFIGDIR),--pkgconfigdir "$(PKGCONFIGDIR)")

.PHONY: all build docs install uninstall release-check

all: build docs

# cargo decides whether anything needs rebuilding.
build:
	@if [ -n "$(TLS_ON)" ]; then echo "sockhelp: TLS on (rustc 1.$(RUSTC_MINOR))"; \
	else echo "sockhelp: TLS off (TLS=$(TLS), rustc 1.$(RUSTC_MINOR); needs 1.71+): TLS calls return SOCKHELP_EUNSUPPORTED"; fi
	$(CARGO) build --release --lib $(FEATURES) --target-dir "$(TARGET_DIR)"
	@if [ "$$(uname -s)" = Linux ]; then \
	  ln -sfn libsockhelp.so "$(TARGET_DIR)/release/libsockhelp.so.$(ABI)"; fi

# The reference, rendered from include/sockhelp.h (scripts/gen-docs.py: any warning fails).
docs:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "make docs: $(PYTHON) not found; it renders the man pages and HTML." >&2; \
	  echo "Install python3, or run 'make build' for the libraries alone." >&2; exit 1; }
	$(PYTHON) scripts/gen-docs.py --out "$(TARGET_DIR)/docs"

# Copies only: no cargo here (under sudo, PATH may find another cargo, or none).
install:
	sh scripts/install.sh $(INSTALL_ARGS)

uninstall:
	sh scripts/install.sh --uninstall $(INSTALL_ARGS)

# What a release must pass (RELEASING.md).
release-check:
	sh scripts/release-check.sh
