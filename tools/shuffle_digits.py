"""Writes data/digits-shuffled.csv.gz: the rows of data/digits.csv.gz in a fixed
random order (Python's random.Random(0).shuffle), so that `--test-fraction`
(which takes the LAST rows) holds out a random 20% rather than the last writers
of the UCI file, whose style differs from the first writers'.

Usage: python3 tools/shuffle_digits.py   (stdlib only; NumPy not needed)
"""
import gzip
import random

with gzip.open("data/digits.csv.gz", "rt") as f:
    rows = f.read().splitlines()
random.Random(0).shuffle(rows)
with gzip.GzipFile("data/digits-shuffled.csv.gz", "wb", mtime=0) as f:
    f.write(("\n".join(rows) + "\n").encode())
print(f"{len(rows)} rows shuffled with random.Random(0)")
