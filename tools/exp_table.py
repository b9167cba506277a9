"""Prints src/math/exp_table.rs: 2^(j/128) for j in 0..128 as the nearest
double and its relative tail ((2^(j/128) − hi)/hi, rounded), from mpmath at
200 bits. Run once by hand: python3 tools/exp_table.py > src/math/exp_table.rs"""
import struct

from mpmath import mp, mpf

mp.prec = 200


def bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


print("//! `2^(j/128)` for `j` in `0..128`, from `tools/exp_table.py` (mpmath, 200 bits).")
print()
print("/// `2^(j/128)` rounded to the nearest double, as bits.")
print("pub(super) static HI: [u64; 128] = [")
his, tails = [], []
for j in range(128):
    v = mp.power(2, mpf(j) / 128)
    hi = float(v)  # 53-bit rounding of a normal number: nearest
    tail = float((v - mpf(hi)) / mpf(hi))
    his.append(bits(hi))
    tails.append(bits(tail))
for j in range(0, 128, 4):
    print("    " + " ".join(f"0x{b:016x}," for b in his[j:j + 4]))
print("];")
print()
print("/// `(2^(j/128) − HI[j]) / HI[j]`, rounded, as bits.")
print("pub(super) static TAIL: [u64; 128] = [")
for j in range(0, 128, 4):
    print("    " + " ".join(f"0x{b:016x}," for b in tails[j:j + 4]))
print("];")
