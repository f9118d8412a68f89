# sockhelp for make users. The real build is cargo's; this file builds the release
# library and installs it like libuv / libevent do.
#
#   make                                 cargo build --release --lib (libsockhelp.a, .so),
#                                        plus target/release/libsockhelp.so.ABI -> libsockhelp.so
#                                        so programs linked in the build tree find it
#   make install PREFIX=/usr/local       header, libraries, sockhelp.pc, CMake package
#   make install PREFIX=$HOME/.local     ... or any prefix you can write; no sudo needed
#   make uninstall PREFIX=...            removes what install put there
#
# Variables: PREFIX (/usr/local), LIBDIR and INCLUDEDIR (lib, include: relative to
# PREFIX), DESTDIR (staging root for packagers), CARGO (cargo), TARGET_DIR
# ($CARGO_TARGET_DIR, else target). The work is in scripts/install.sh.

PREFIX     ?= /usr/local
LIBDIR     ?= lib
INCLUDEDIR ?= include
DESTDIR    ?=
CARGO      ?= cargo
TARGET_DIR ?= $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),target)

# The SONAME's version, as build.rs sets it: 0.MINOR before 1.0, MAJOR after.
VERSION   := $(shell sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
V_MAJOR   := $(word 1,$(subst ., ,$(VERSION)))
V_MINOR   := $(word 2,$(subst ., ,$(VERSION)))
ABI       := $(if $(filter 0,$(V_MAJOR)),0.$(V_MINOR),$(V_MAJOR))

INSTALL_ARGS = --prefix "$(PREFIX)" --libdir "$(LIBDIR)" --includedir "$(INCLUDEDIR)" \
               --destdir "$(DESTDIR)" --target-dir "$(TARGET_DIR)"

.PHONY: all build install uninstall

all: build

# cargo decides whether anything needs rebuilding.
build:
	$(CARGO) build --release --lib --target-dir "$(TARGET_DIR)"
	@if [ "$$(uname -s)" = Linux ]; then \
	  ln -sfn libsockhelp.so "$(TARGET_DIR)/release/libsockhelp.so.$(ABI)"; fi

install: build
	sh scripts/install.sh $(INSTALL_ARGS)

uninstall:
	sh scripts/install.sh --uninstall $(INSTALL_ARGS)
