#!/bin/sh
# Builds Keel's user runtime and links user programs against it, with the
# same flags as the top-level Makefile (for testing libc on its own).
#
#   libc/build.sh                 compile libc/src/* into $OUT/libkeel.a
#   libc/build.sh prog.c [...]    also link each program into $OUT/prog.elf
#
# Paths are relative to the repository root, wherever this is run from.
# OUT defaults to build/libc-sh, apart from the Makefile's build/libc.
# crt0.o is kept out of the archive and linked first, as the Makefile does.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/build/libc-sh}
NEWLIB=$ROOT/.cache/newlib/riscv64-unknown-elf
CC=riscv64-unknown-elf-gcc
AR=riscv64-unknown-elf-ar
ARCH="-march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany"
CFLAGS="-std=gnu11 -O2 -g $ARCH -Wall -Wextra -Werror -Wno-unused-parameter
 -ffreestanding -I $ROOT/libc/include -isystem $NEWLIB/include"
# The multilib lookup does not match the _zicsr_zifencei spelling.
LIBGCC=$($CC -march=rv64imac -mabi=lp64 -print-libgcc-file-name)

mkdir -p "$OUT/obj"
objs=""
for src in "$ROOT"/libc/src/*.c "$ROOT"/libc/src/*.S; do
    [ -e "$src" ] || continue
    base=$(basename "$src")
    obj="$OUT/obj/${base%.*}.o"
    $CC $CFLAGS -c "$src" -o "$obj"
    [ "$base" = crt0.S ] || objs="$objs $obj"
done
rm -f "$OUT/libkeel.a"
$AR rcs "$OUT/libkeel.a" $objs

for prog in "$@"; do
    name=$(basename "$prog" .c)
    $CC $CFLAGS -c "$prog" -o "$OUT/obj/prog-$name.o"
    $CC $ARCH -nostdlib -nostartfiles -static -T "$ROOT/libc/user.ld" \
        -o "$OUT/$name.elf" "$OUT/obj/crt0.o" "$OUT/obj/prog-$name.o" \
        -Wl,--start-group "$OUT/libkeel.a" "$NEWLIB/lib/libc.a" \
        "$NEWLIB/lib/libm.a" "$LIBGCC" -Wl,--end-group
    echo "$OUT/$name.elf"
done
