#!/usr/bin/env bash
# Installs what Keel needs on a fresh Debian machine and builds newlib once.
# Idempotent: does nothing when the packages and the newlib cache exist.
# Runs as root (apt-get directly) or as a user with sudo.
#
#   scripts/setup.sh               the cross toolchain, QEMU, gdb, newlib
#   scripts/setup.sh --host-tools  only the host compilers: gcc, and clang
#                                  with its sanitizer/libFuzzer runtime,
#                                  which only the host fuzzer of `make
#                                  host-test` (and so `make check`) needs;
#                                  then writes .cache/.host-tools-v1
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/.cache"
newlib_prefix="$cache/newlib"
pkgs="gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf qemu-system-misc gdb-multiarch newlib-source gcc make"
host_tools=0
case "${1:-}" in
--host-tools)
    host_tools=1
    pkgs="gcc make clang libclang-rt-14-dev"
    ;;
"") ;;
*)
    echo "usage: scripts/setup.sh [--host-tools]" >&2
    exit 2
    ;;
esac

need=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
    echo "setup: installing$need"
    as_root=()
    if [ "$(id -u)" != 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "setup: not root and no sudo: as root, run  apt-get install$need" >&2
            exit 1
        fi
        as_root=(sudo)
    fi
    "${as_root[@]}" apt-get update -qq
    # env inside sudo: sudo's env_reset would drop DEBIAN_FRONTEND
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends $need
fi
if [ "$host_tools" = 1 ]; then
    mkdir -p "$cache"
    touch "$cache/.host-tools-v1"
    exit 0
fi

stamp="$newlib_prefix/.built-v2"
if [ ! -f "$stamp" ]; then
    echo "setup: building newlib for rv64imac/lp64/medany (one time, ~2 min)"
    rm -rf "$cache/newlib-build" "$cache/newlib-src" "$newlib_prefix"
    mkdir -p "$cache/newlib-src" "$cache/newlib-build"
    tarball=$(ls /usr/src/newlib/newlib-*.tar.* | head -n 1)
    tar -xf "$tarball" -C "$cache/newlib-src"
    src=$(find "$cache/newlib-src" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    (
        cd "$cache/newlib-build"
        # __DYNAMIC_REENT__: newlib asks __getreent() for the per-thread
        # struct _reent (errno, stdio state), which libc/ supplies.
        # Retargetable locking: libc/ supplies real locks for malloc/stdio.
        "$src/configure" --target=riscv64-unknown-elf --prefix="$newlib_prefix" \
            --disable-multilib --disable-newlib-supplied-syscalls \
            --enable-newlib-reent-small --disable-nls \
            --enable-newlib-retargetable-locking \
            CFLAGS_FOR_TARGET="-O2 -march=rv64imac -mabi=lp64 -mcmodel=medany -D__DYNAMIC_REENT__" \
            >"$cache/newlib-configure.log" 2>&1
        make -j"$(nproc)" all-target-newlib >"$cache/newlib-build.log" 2>&1
        make install-target-newlib >"$cache/newlib-install.log" 2>&1
    ) || { echo "setup: newlib build failed, see $cache/newlib-*.log"; exit 1; }
    rm -rf "$cache/newlib-build" "$cache/newlib-src"
    touch "$stamp"
fi
