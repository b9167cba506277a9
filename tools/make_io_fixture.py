"""Writes tests/fixtures/torch_tiny.safetensors for src/io's PyTorch interop test.

A tiny nn.Sequential(Linear(3, 4), ReLU(), Linear(4, 2)) with fixed weights,
saved by safetensors.torch.save_file as PyTorch users do. Prints the weights
and the output for a fixed input, which the Rust test embeds.

    /work/venv/bin/python tools/make_io_fixture.py   # needs torch, safetensors
"""

from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_tiny.safetensors"

W0 = [[0.1, -0.2, 0.3], [-0.4, 0.5, -0.6], [0.7, -0.8, 0.9], [-1.0, 1.1, -1.2]]
B0 = [0.01, -0.02, 0.03, -0.04]
W2 = [[0.15, -0.25, 0.35, -0.45], [0.55, -0.65, 0.75, -0.85]]
B2 = [0.5, -0.5]
X = [[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]]


def main() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        for param, values in zip(model.parameters(), [W0, B0, W2, B2]):
            param.copy_(torch.tensor(values, dtype=torch.float32))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(model.state_dict(), str(OUT))
    with torch.no_grad():
        y = model(torch.tensor(X, dtype=torch.float32))
    print(f"wrote {OUT}")
    for name, t in model.state_dict().items():
        print(name, list(t.shape), t.dtype)
    print("output for X:", [[float(v) for v in row] for row in y])


if __name__ == "__main__":
    main()
