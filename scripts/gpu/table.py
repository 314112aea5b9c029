"""bench JSON files in a folder -> one markdown table (the GPU kit's bench.md).

Usage: python scripts/gpu/table.py DIR [--output FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def rows(results: dict, name: str) -> list[str]:
    stock = results["stock"]
    lines = [f"| {name} | stock | 1 | {stock['t3_tokens_per_s']:.1f} | {stock['t3_decode_tokens_per_s']:.1f} | "
             f"{stock['s3gen_audio_s_per_s']:.3f} | {stock['audio_s_per_s']:.2f} | {stock['peak_mem_mib']:.0f} |"]
    for size, b in results["batches"].items():
        lines.append(f"| {name} | ours | {size} | {b['t3_tokens_per_s']:.1f} | {b['t3_decode_tokens_per_s']:.1f} | "
                     f"{b['s3gen_audio_s_per_s']:.3f} | {b['audio_s_per_s']:.2f} | {b['peak_mem_mib']:.0f} |")
    return lines


def table(folder: Path) -> str:
    found = sorted(folder.glob("bench-*.json"))
    if not found:
        return "no benchmark results\n"
    first = json.loads(found[0].read_text())
    lines = [
        f"{first['model']} model on {first['device']}, torch {first['torch']}, {first['tokens']} tokens per chunk",
        "",
        "| run | path | batch | T3 tokens/s | T3 decode tokens/s | S3Gen audio s/s | audio s per wall s | peak MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for path in found:
        lines += rows(json.loads(path.read_text()), path.stem.removeprefix("bench-"))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    text = table(args.folder)
    if args.output:
        args.output.write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
