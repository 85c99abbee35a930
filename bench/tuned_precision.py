"""What int8 costs a tuned encoder: one FAQ tuned as the product tunes it, scored in int8 and float32.

    OMP_NUM_THREADS=1 .venv/bin/python bench/tuned_precision.py --set banking77-full --keep /tmp/tuned
    .venv/bin/python bench/tuned_precision.py --smoke    # the set cut to 3 intents, in a temp folder

The set's FAQ is tuned by `bot/encoder_training.py` (the shipped recipe, `--seed`), the tuned model
is converted twice by `bot/encoder_cache.py` (int8, as the product stores it, and the fused float32
model before quantization), and each is scored through webcare's matcher exactly as
`bench/quality.py --encoder minilm-tuned` scores. The PyTorch weights and both conversions stay in
`--keep`, so a second run only scores. Prints one JSON line per precision. Needs the embeddings
extra (`make` installs it); tuning a 9,000-phrasing FAQ takes about ten minutes of one thread.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import quality

from bot import encoder_training
from bot.encoder_cache import convert, model_source
from bot.evaluate import load_faq
from responders.embeddings import open_minilm


def scope_phrasings(train: quality.Rows, language: str) -> list[tuple[str, str]]:
    """(entry id, phrasing) pairs in the order the matcher hands a scope to the encoder."""
    with tempfile.TemporaryDirectory() as tmp:
        quality.write_faq(Path(tmp), train, language)
        entries, errors = load_faq(Path(tmp))
    if errors:
        raise SystemExit(f"the generated FAQ is invalid: {errors[0]}")
    return [(e.id, p) for e in entries if e.language == language for p in (e.question, *e.examples)]


def main() -> None:
    """Parse the arguments and measure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=quality.ROOT.parent / "shared" / "data")
    parser.add_argument("--set", default="banking77-full", help="a set of bench/quality.py")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="folder for the tuned model and conversions")
    parser.add_argument(
        "--smoke", action="store_true", help="the set cut to 3 intents, kept in a temporary folder: seconds"
    )
    args = parser.parse_args()
    if args.keep is None and not args.smoke:
        parser.error("--keep is required (or --smoke)")
    train, cases, language = quality.faq_sets(args.data)[args.set]
    if args.smoke:
        train, cases = quality.smoke_set(train, cases, intents=3, phrasings=3)  # tuning takes the time
        with tempfile.TemporaryDirectory(prefix="webcare-tuned-") as tmp:
            measure(train, cases, language, Path(tmp) / f"{args.set}-smoke", args.set, args.seed)
    else:
        measure(train, cases, language, args.keep / f"{args.set}-seed{args.seed}", args.set, args.seed)


def measure(
    train: quality.Rows, cases: quality.Rows, language: str, folder: Path, name: str, seed: int
) -> None:
    """Tune into `folder` (unless it holds a tuned model), convert both ways, score both."""
    pytorch = folder / "pytorch"
    if not (pytorch / "config.json").exists():
        encoder_training.train(model_source(), scope_phrasings(train, language), pytorch, seed=seed)
    for precision in ("int8", "float32"):
        model = folder / f"model-{precision}.onnx"
        if not model.exists():
            convert(pytorch, model, int8=precision == "int8")
        encoder = open_minilm(model, pytorch / "tokenizer.json")
        result = quality.run_faq(name, train, cases, language, 0.6, encoder)
        print(json.dumps({"model": precision, "seed": seed} | result), flush=True)


if __name__ == "__main__":
    main()
