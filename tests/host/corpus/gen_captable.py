#!/usr/bin/env python3
"""Regenerate the seed corpus of tests/host/fuzz_captable.c.

Each seed is a small program in the fuzzer's input format (see the op enum
in fuzz_captable.c): per table a 4-byte seed and a quota byte, then opcode
bytes each followed by their operands.

    python3 tests/host/corpus/gen_captable.py
"""
import os
import struct

(OPEN, ALLOC, THREAD, CLEAR, LOOKUP, RANDOM_TOK, MUTATE_TOK, STALE, QUOTA,
 DEAD, FIND, REVOKE, AGE, SWITCH, REINIT, DUP, CROSS) = range(17)

Q_FULL = 0xc0  # quota byte meaning CAP_FD_SLOTS
Q_INF = 0xff   # quota byte meaning UINT32_MAX


def header(seed_a, seed_b, qa, qb):
    return struct.pack("<IBIB", seed_a, qa, seed_b, qb)


def min_at(slot):
    return 0x80 + slot  # random_min: 0x80 + n means min n


def open_(minb=0, typ=1, rights=0xf, flags=0, obj=0, deleg=0):
    return bytes([OPEN, minb, typ - 1, rights, flags]) + \
        struct.pack("<H", obj) + bytes([deleg])


def seeds():
    out = {}
    # Fill the fd slots under a full quota, run out, give some back.
    b = header(0x2545f491, 0x9e3779b9, Q_FULL, 64)
    b += open_(typ=1, obj=1) + open_(typ=5, rights=3, flags=3, deleg=2)
    for i in range(94):  # dups (3 bytes each) fill the rest
        b += bytes([DUP, i, 0])
    b += bytes([ALLOC, 0, ALLOC, min_at(95), CLEAR, 7, CLEAR, 90, ALLOC, 0,
                LOOKUP, 3, STALE])
    out["fill"] = b
    # Age slots to the end of their generations and retire them.
    b = header(1, 2, 64, 64)
    b += bytes([AGE, 5, 0]) + open_(min_at(5)) + bytes([LOOKUP, 0, CLEAR, 0])
    b += bytes([AGE, 8, 2]) + open_(min_at(9), typ=3)  # 5 is retired
    b += bytes([CLEAR, 0]) + open_(min_at(9), typ=3) + bytes([CLEAR, 0])
    b += open_(min_at(9), typ=3) + bytes([CLEAR, 0])
    b += bytes([ALLOC, min_at(5), ALLOC, min_at(9), STALE])
    b += bytes([AGE, 96, 0, THREAD, 2, 1, 0xb, 0, 0, 0, 0, CLEAR, 0,
                THREAD, 2, 1, 0xb, 0, 0, 0, 0, STALE])
    out["retire"] = b
    # Delegated slots, dups of them, search and revoke.
    b = header(77, 78, 64, 64)
    for d in (1, 1, 2, 1, 3):
        b += open_(flags=2, deleg=d, obj=d)
    b += open_(flags=1) + bytes([DUP, 0, 0, DUP, 1, min_at(40)])
    b += bytes([THREAD, 7, 1, 3, 2, 5, 0, 1])
    b += bytes([FIND, 0, 8, FIND, 0, 10, FIND, 1, 0, REVOKE, 0, FIND, 0, 8,
                STALE, REVOKE, 2, REVOKE, 1])
    out["deleg"] = b
    # Two tables: cross lookups, re-init with equal and different seeds.
    b = header(1234, 4321, 64, 64)
    b += open_(typ=2) + open_(typ=2) + bytes([SWITCH]) + open_(typ=2)
    b += bytes([CROSS, 0, SWITCH, CROSS, 1, REINIT]) + \
        struct.pack("<I", 4321) + bytes([64])
    b += open_() + bytes([CROSS, 0, REINIT]) + \
        struct.pack("<I", 4321 | 0x80000000) + bytes([Q_INF])
    b += open_() + bytes([SWITCH, CROSS, 0])
    out["two_tables"] = b
    # Quota exhaustion and recovery, a dead table, bad mins.
    b = header(5, 6, 2, 64)
    b += open_() + open_() + open_() + bytes([CLEAR, 1]) + open_()
    b += bytes([QUOTA, 0, ALLOC, 0, QUOTA, 5]) + open_(min_at(60))
    b += bytes([ALLOC, 0xf8, ALLOC, 0xf9, ALLOC, 0xfa, ALLOC, 0xfb,
                ALLOC, 0xfc, ALLOC, 0xfd, ALLOC, 0xfe, ALLOC, 0xff])
    b += bytes([DEAD, 0, ALLOC, 0, CLEAR, 0, STALE])
    out["quota_dead"] = b
    # Forgeries around live and stale tokens.
    b = header(0x5eed, 0x5eee, 64, 64)
    b += open_(typ=6, rights=5, obj=9) + open_(typ=6, rights=5)
    # mutate(): a selector byte, how, then 1 operand byte (2 for 1 and 5)
    for how, arg in ((0, [0]), (0, [10]), (0, [18]), (0, [50]), (0, [63]),
                     (1, [1, 0]), (2, [7]), (3, [4]), (4, [1]), (4, [0xff]),
                     (5, [1, 0])):
        b += bytes([MUTATE_TOK, 0, how] + arg)
    b += bytes([CLEAR, 0, MUTATE_TOK, 1, 4, 1, MUTATE_TOK, 1, 0, 0])
    b += bytes([RANDOM_TOK]) + struct.pack("<Q", 0x7fffffffffffffff)
    out["forge"] = b
    return out


def main():
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "captable")
    os.makedirs(d, exist_ok=True)
    for name, data in seeds().items():
        assert len(data) <= 512, name
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
