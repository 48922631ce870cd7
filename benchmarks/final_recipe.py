"""What the final-training aids cost: a PNASNet-5 training step with and without the auxiliary head and drop-path.

One training step (forward, loss, backward, SGD update) of ``pnasnet5_cifar`` (N=3, F=48, 3.2M parameters) on a
batch of random 32x32 images, three variants side by side in one run: plain; with the auxiliary head (loss weight
0.4); with the auxiliary head and drop-path (keep 0.6, at half of its schedule). After one untimed warm-up step
of each, the timed steps are interleaved (plain, aux, aux + drop-path, plain, ...) and the table shows the median
seconds per step over ``--steps`` rounds, with each variant's ratio to the plain step. An evaluation forward pass
of each is timed the same way (the aids must not cost anything there).

    python benchmarks/final_recipe.py [--steps 5] [--batch 32] [--device cpu|cuda] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, median, table  # noqa: E402

from pnas.nn import pnasnet5_cifar  # noqa: E402

VARIANTS = {"plain": {}, "aux": {"aux_head": True}, "aux + drop-path": {"aux_head": True, "drop_path_keep_prob": 0.6}}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _train_step(network: torch.nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor) -> None:
    logits, aux_logits = network.forward_with_aux(x)
    loss = torch.nn.functional.cross_entropy(logits, y)
    if aux_logits is not None:
        loss = loss + 0.4 * torch.nn.functional.cross_entropy(aux_logits, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def _eval_step(network: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
    with torch.no_grad():
        network(x)


def main(argv: list[str] | None = None) -> dict:
    """Run the comparison, print the table, return (and with ``--json`` write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="timed rounds (each times one step of every variant)")
    parser.add_argument("--batch", type=int, default=32, help="images per step (the reference's CIFAR batch: 32)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    torch.manual_seed(0)
    x = torch.randn(args.batch, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (args.batch,), device=device)
    networks, optimizers = {}, {}
    for name, aids in VARIANTS.items():
        network = pnasnet5_cifar(10, **aids).to(device)
        network.set_training_progress(0.5)
        networks[name] = network
        optimizers[name] = torch.optim.SGD(network.parameters(), lr=0.025, momentum=0.9, weight_decay=5e-4)
    seconds: dict[str, dict[str, list[float]]] = {"train": {}, "eval": {}}
    for phase in ("train", "eval"):
        for network in networks.values():
            network.train(phase == "train")
        for round_ in range(args.steps + 1):
            for name, network in networks.items():
                _sync(device)
                start = time.perf_counter()
                if phase == "train":
                    _train_step(network, optimizers[name], x, y)
                else:
                    _eval_step(network, x, y)
                _sync(device)
                if round_:  # round 0 is the warm-up
                    seconds[phase].setdefault(name, []).append(time.perf_counter() - start)
    plain = {phase: median(seconds[phase]["plain"]) for phase in seconds}
    rows = []
    results: dict = {"machine": machine(), "device": str(device), "batch": args.batch, "steps": args.steps}
    for name in VARIANTS:
        train_s, eval_s = median(seconds["train"][name]), median(seconds["eval"][name])
        ratios = train_s / plain["train"], eval_s / plain["eval"]
        rows.append([name, f"{train_s:.3f}", f"{ratios[0]:.3f}x", f"{eval_s:.3f}", f"{ratios[1]:.3f}x"])
        results[name] = {
            "train_step_s": train_s,
            "train_ratio": ratios[0],
            "eval_step_s": eval_s,
            "eval_ratio": ratios[1],
        }
    print(machine())
    print(
        f"pnasnet5_cifar (N=3, F=48), batch {args.batch} of 32x32, {device}, medians of {args.steps} interleaved steps"
    )
    print(table(["variant", "train step s", "vs plain", "eval step s", "vs plain"], rows))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
