"""Writes the synthetic MNIST-shaped data set that every system trains on.

    python compare/make_data.py OUT_DIR [--n 60000] [--seed 0]

writes, uncompressed, in the standard IDX format:
    OUT_DIR/synth-60k-images-idx3-ubyte   (magic 2051, n, 28, 28, then n*784 bytes)
    OUT_DIR/synth-60k-labels-idx1-ubyte   (magic 2049, n, then n bytes 0..9)

and prints one JSON line with the paths and the SHA-256 of each file.

The images are "digits-like blobs": each class 0..9 has a fixed template of
three Gaussian blobs on a 28x28 grid; each image is its class's template,
shifted by up to +-3 pixels, scaled in brightness, plus noise, clipped to
0..255. Only NumPy's seeded generator is used, so the bytes are the same on
every machine with the same NumPy major version (the SHA-256 is recorded in
each results file so runs can be compared). The content only needs to be
identical across the systems compared; it is not meant to be realistic.
"""

import argparse
import hashlib
import json
import os

import numpy as np


def templates(rng):
    """Ten 28x28 float templates, three blobs each, peak about 1."""
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float64)
    out = np.zeros((10, 28, 28))
    for c in range(10):
        for _ in range(3):
            cy, cx = rng.uniform(7, 21, size=2)
            sy, sx = rng.uniform(1.5, 4.0, size=2)
            out[c] += np.exp(-(((yy - cy) / sy) ** 2 + ((xx - cx) / sx) ** 2) / 2)
    return out / out.max(axis=(1, 2), keepdims=True)


def make(n, seed):
    rng = np.random.default_rng(seed)
    tmpl = templates(rng)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    shifts = rng.integers(-3, 4, size=(n, 2))
    gain = rng.uniform(180, 255, size=n)
    images = np.empty((n, 28, 28), dtype=np.uint8)
    chunk = 5000
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        block = np.empty((stop - start, 28, 28))
        # One shift pair at a time, vectorised over the images that use it.
        for dy in range(-3, 4):
            for dx in range(-3, 4):
                sel = np.nonzero((shifts[start:stop, 0] == dy) & (shifts[start:stop, 1] == dx))[0]
                if sel.size:
                    block[sel] = np.roll(tmpl[labels[start + sel]], (dy, dx), axis=(1, 2))
        block *= gain[start:stop, None, None]
        block += rng.normal(0, 12, size=block.shape)
        images[start:stop] = np.clip(block, 0, 255).astype(np.uint8)
    return images, labels


def write_idx(path, magic, dims, payload):
    with open(path, "wb") as f:
        f.write(magic.to_bytes(4, "big"))
        for d in dims:
            f.write(int(d).to_bytes(4, "big"))
        f.write(payload.tobytes())


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--n", type=int, default=60000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    tag = f"synth-{args.n // 1000}k" if args.n % 1000 == 0 else f"synth-{args.n}"
    images_path = os.path.join(args.out_dir, f"{tag}-images-idx3-ubyte")
    labels_path = os.path.join(args.out_dir, f"{tag}-labels-idx1-ubyte")
    images, labels = make(args.n, args.seed)
    write_idx(images_path, 2051, (args.n, 28, 28), images)
    write_idx(labels_path, 2049, (args.n,), labels)
    print(json.dumps({
        "images": images_path,
        "labels": labels_path,
        "n": args.n,
        "seed": args.seed,
        "numpy": np.__version__,
        "images_sha256": sha256(images_path),
        "labels_sha256": sha256(labels_path),
    }))


if __name__ == "__main__":
    main()
