"""vit_lit's ViT against timm's VisionTransformer on the same work, on the CPU.

    .venv/bin/python bench/speed.py            # the table (a few minutes on 2 cores)
    .venv/bin/python bench/speed.py --quick    # a smoke run (seconds)
    .venv/bin/python bench/speed.py --profile  # also where the time goes, per model
    python bench/speed.py --device cuda        # the CUDA table (bf16 autocast, MFU)
    python bench/speed.py --device cuda --compile  # + torch.compile rows

On CUDA (`--device cuda`) the configurations are ViT-S/16 and ViT-B/16 at 224,
batch 128, under bf16 autocast, AdamW with fused=True for both models; each
repetition is timed with CUDA events (the median of at least 10, after a
warm-up), model FLOPs utilisation (MFU) is the analytic FLOP rate over the
card's dense bf16 peak (989 TFLOP/s for an H100 SXM, --peak-tflops) and over a
8192^3 bf16 matmul timed among the models, and peak memory is
torch.cuda.max_memory_allocated above what was allocated before the 3 calls.

Both models are built with the same configuration and hold the same weights
(vit_lit's state dict, converted to timm's names). For every configuration the
script times, alternating the models repetition by repetition (and which one
goes first), the forward pass under `torch.inference_mode()` and a full training
step (forward, cross-entropy, backward, AdamW step), and reports the median of
the repetitions. Only the ratios are meaningful when other work shares the
machine: both models see the same load, interleaved.

FLOPs are counted analytically (multiply-add = 2 FLOPs), per image, with
n = (image_size / patch_size)^2 patches, N = n + 1 tokens, width d, MLP width m,
L blocks, C channels, K classes:

    patch embedding   2 * n * (C * p * p) * d
    per block         qkv      2 * N * d * 3d
                      scores   2 * N * N * d      (all heads together)
                      context  2 * N * N * d
                      proj     2 * N * d * d
                      mlp      2 * N * d * m * 2
    head              2 * d * K

norms, softmax, GELU and the additions are left out. A training step counts as
3 forward passes (the backward pass costs about twice the forward). The peak is
the rate of a large float32 matmul timed by the script among the models (so
under the same load), the median of its repetitions.

Peak memory: PyTorch's CPU allocator keeps no statistics, and tracemalloc does
not see its buffers, so every model runs in a fresh subprocess that builds the
model, the optimizer and the batch, resets the kernel's high-water mark of its
resident set (/proc/self/clear_refs), runs 3 calls and reports how far the
high-water mark (VmHWM) rose above the resident set it started from; the table
shows the median of 5 such processes. Each runs with MALLOC_MMAP_THRESHOLD_=65536,
so that freed tensor buffers leave the resident set at once (see peak_memory). A training
step's number includes AdamW's state (allocated by the first step). The resident set
also counts what the first call touches once (code pages, thread pools: about 12 MiB
here) and still moves by ~0.2 MiB between processes, so the same process then reports
the exact tensor peak of one more call (`tensor_peak`: torch.profiler's memory
timeline, every tensor buffer created and freed; the same in every run).
`--memory-only` skips the timing.
"""
from __future__ import annotations

import argparse
import datetime
import functools
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from timm.models.vision_transformer import VisionTransformer
from vit_lit import PRESETS, ViT

CUDA_CONFIGS = [  # (label, preset name, batch size)
    ("ViT-S/16, 224", "vit_small_patch16_224", 128),
    ("ViT-B/16, 224", "vit_base_patch16_224", 128),
]
H100_BF16_TFLOPS = 989.0  # dense bf16 peak of an H100 SXM (NVIDIA's datasheet)

CONFIGS = [  # (label, preset name, batch size)
    ("32x32 / patch 4", "vit_cifar_patch4_32", 64),
    ("digits 8x8 / patch 2", "vit_digits_patch2_8", 128),
    ("ViT-S/16, 224", "vit_small_patch16_224", 8),
]


# --------------------------------------------------------------------------- models
def to_timm_state(vit: nn.Module) -> dict:
    "vit_lit's state dict with timm's names (vit_lit.convert.to_timm when it exists)."
    try:
        from vit_lit.convert import to_timm
    except ImportError:
        to_timm = None
    if to_timm is not None:
        out = to_timm(vit)
        return out.state_dict() if isinstance(out, nn.Module) else out
    return {k.removeprefix("embed."): v for k, v in vit.state_dict().items()}


def build_timm(cfg: dict) -> VisionTransformer:
    return VisionTransformer(
        img_size=cfg["image_size"], patch_size=cfg["patch_size"],
        in_chans=cfg.get("channels", 3), num_classes=cfg["num_classes"],
        embed_dim=cfg["dim"], depth=cfg["depth"], num_heads=cfg["heads"],
        mlp_ratio=cfg["mlp_dim"] / cfg["dim"], qkv_bias=cfg.get("qkv_bias", True),
        norm_layer=functools.partial(nn.LayerNorm, eps=cfg.get("eps", 1e-6)))


def load_candidate(path: str):
    "A file defining `build(cfg) -> nn.Module` with vit_lit's parameter names."
    spec = importlib.util.spec_from_file_location("speed_candidate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build


def build_models(preset: str, candidate: str | None = None) -> dict[str, nn.Module]:
    "vit_lit, timm (and a candidate), all with the weights of one seeded vit_lit."
    cfg = PRESETS[preset]
    torch.manual_seed(0)
    vit = ViT(**cfg)
    models = {"vit_lit": vit}
    if candidate:
        cand = load_candidate(candidate)(cfg)
        cand.load_state_dict(vit.state_dict())
        models["candidate"] = cand
    ref = build_timm(cfg)
    ref.load_state_dict(to_timm_state(vit))
    models["timm"] = ref
    return models


def batch(preset: str, batch_size: int, seed: int = 1):
    cfg = PRESETS[preset]
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, cfg.get("channels", 3), cfg["image_size"],
                    cfg["image_size"], generator=g)
    y = torch.randint(0, cfg["num_classes"], (batch_size,), generator=g)
    return x, y


def flops_per_image(cfg: dict) -> float:
    "Forward FLOPs of one image (see the module docstring)."
    p, d, m = cfg["patch_size"], cfg["dim"], cfg["mlp_dim"]
    n = (cfg["image_size"] // p) ** 2
    N, C = n + 1, cfg.get("channels", 3)
    embed = 2 * n * C * p * p * d
    block = 2 * N * d * 3 * d + 2 * N * N * d * 2 + 2 * N * d * d + 4 * N * d * m
    return embed + cfg["depth"] * block + 2 * d * cfg["num_classes"]


# --------------------------------------------------------------------------- timing
def forward_fn(model, x, y):
    model.eval()

    def run():
        with torch.inference_mode():
            model(x)
    return run


def train_fn(model, x, y):
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def run():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return run


def calibrate(fn, target_s: float) -> int:
    "How many calls make one repetition of about `target_s` seconds."
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    return max(1, round(target_s / max(dt, 1e-6)))


def interleaved(fns: dict, reps: int, target_s: float, warmup: int) -> dict[str, float]:
    "Median seconds per call of each function, alternating them rep by rep."
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    calls = min(calibrate(fn, target_s) for fn in fns.values())
    times = {name: [] for name in fns}
    names = list(fns)
    for r in range(reps):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            t0 = time.perf_counter()
            for _ in range(calls):
                fns[name]()
            times[name].append((time.perf_counter() - t0) / calls)
    return {name: statistics.median(t) for name, t in times.items()}


def matmul_fn(size: int):
    "One large float32 matmul, 2 * size^3 FLOPs: the practical peak."
    a, b = torch.randn(size, size), torch.randn(size, size)

    def run():
        a @ b
    return run


def matmul_peak(size: int = 2048, reps: int = 8) -> float:
    "Practical float32 peak in GFLOP/s: the best of `reps` large matmuls."
    fn = matmul_fn(size)
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return 2 * size ** 3 / best / 1e9


# --------------------------------------------------------------------------- memory
def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def memory_child(preset: str, batch_size: int, name: str, mode: str,
                 candidate: str | None) -> float:
    "Runs in a fresh process: how far the resident set peaks above its start, MiB."
    torch.set_num_threads(int(os.environ.get("SPEED_THREADS", torch.get_num_threads())))
    model = build_models(preset, candidate)[name]
    x, y = batch(preset, batch_size)
    fn = (forward_fn if mode == "forward" else train_fn)(model, x, y)
    # ru_maxrss would do, but Linux carries it over from the parent across
    # fork + exec; /proc/self/status VmHWM belongs to this process alone, and
    # writing 5 to clear_refs resets it to the current resident set.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = _status_kib("VmRSS")
    for _ in range(3):  # the first call allocates AdamW's state: part of training
        fn()
    rss = (_status_kib("VmHWM") - before) / 1024
    return rss, tensor_peak(fn)


def tensor_peak(fn) -> float:
    """The most tensor memory alive at once during one more call, above what was
    alive before it, MiB: torch.profiler's memory timeline (every tensor buffer
    created and destroyed, in order), so the same every run, and blind to what
    the resident set also holds (code pages, the interpreter's objects, the
    allocator's slack). A training step's AdamW state exists by then (the
    resident-set number above counts it)."""
    from torch.profiler import ProfilerActivity, profile
    from torch.profiler._memory_profiler import Action
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True,
                 record_shapes=True, with_stack=True) as prof:
        fn()
    live = peak = 0
    for _, action, _, size in prof._memory_profile().timeline:
        live += size if action == Action.CREATE else -size if action == Action.DESTROY else 0
        peak = max(peak, live)
    return peak / 2 ** 20


def peak_memory(preset, batch_size, name, mode, candidate, reps: int = 5) -> float:
    """The median over `reps` fresh processes: one process's number moves by
    tens of MiB from run to run (the C allocator's arenas and thread pools)."""
    cmd = [sys.executable, __file__, "--_memory",
           json.dumps([preset, batch_size, name, mode, candidate])]
    # glibc serves every allocation of 64 KiB or more (every tensor buffer that matters) by its own
    # mmap and gives it back when freed, so the resident set follows the live tensors instead of
    # the heap's history: medians of 3 processes then agree within ~0.2 MiB (without it they moved
    # by tens of MiB, e.g. 19 to 48 MiB for one model and row). The same for every model.
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"}
    found = []
    for _ in range(reps + 1):  # one spare run: a module rewritten under us must not end the run
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if out.returncode == 0:
            found.append(json.loads(out.stdout.strip().splitlines()[-1]))
            if len(found) == reps:
                break
    if found:  # (resident set: median of the processes; tensors: the same in every one)
        return statistics.median(r for r, _ in found), statistics.median(t for _, t in found)
    print(f"peak memory of {name} failed:\n{out.stderr[-2000:]}", file=sys.stderr)
    return None, None


# --------------------------------------------------------------------------- profile
def profile(models, x, y, preset, rows: int):
    from torch.profiler import ProfilerActivity, profile as torch_profile
    for mode, make in (("forward", forward_fn), ("training step", train_fn)):
        for name, model in models.items():
            fn = make(model, x, y)
            for _ in range(2):
                fn()
            with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
                for _ in range(3):
                    fn()
            print(f"\n### {name}, {preset}, {mode} (3 calls)\n")
            print(prof.key_averages().table(sort_by="self_cpu_time_total",
                                            row_limit=rows))


def selected(configs, args, quick_batch: int):
    "The configurations `--only` picks, as (label, preset, config, batch); `--quick` shrinks the batch."
    for label, preset, bs in configs:
        if args.only and args.only not in preset:
            continue
        yield label, preset, PRESETS[preset], min(bs, quick_batch) if args.quick else bs


# --------------------------------------------------------------------------- CUDA
def cuda_forward_fn(model, x, y):
    model.eval()

    def run():
        with torch.inference_mode(), torch.autocast("cuda", torch.bfloat16):
            model(x)
    return run


def cuda_train_fn(model, x, y):
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)

    def run():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", torch.bfloat16):
            loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    run.optimizer = opt
    return run


def cuda_matmul_fn(size: int = 8192):
    "One large bf16 matmul, 2 * size^3 FLOPs: the card's practical peak."
    a = torch.randn(size, size, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(size, size, device="cuda", dtype=torch.bfloat16)

    def run():
        a @ b
    return run


def cuda_interleaved(fns: dict, reps: int, target_s: float,
                     warmup: int) -> dict[str, float]:
    "Median seconds per call of each function, CUDA events, alternating."
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    torch.cuda.synchronize()
    calls = {}
    for name, fn in fns.items():
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        calls[name] = time.perf_counter() - start
    # each function gets its own number of calls per repetition (~target_s)
    n = {name: max(1, round(target_s / max(dt, 1e-6))) for name, dt in calls.items()}
    times = {name: [] for name in fns}
    names = list(fns)
    for r in range(reps):
        for name in (names if r % 2 == 0 else names[::-1]):
            begin = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            begin.record()
            for _ in range(n[name]):
                fns[name]()
            end.record()
            end.synchronize()
            times[name].append(begin.elapsed_time(end) / 1e3 / n[name])
    return {name: statistics.median(t) for name, t in times.items()}


def cuda_peak_memory(fn_maker, model, x, y) -> float:
    "MiB allocated above the start during 3 calls (AdamW's state included)."
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    before = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    fn = fn_maker(model, x, y)
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() - before
    model.zero_grad(set_to_none=True)
    del fn
    return peak / 2 ** 20


def cuda_main(args) -> None:
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    reps = max(args.reps or (10 if args.quick else 15), 10)
    target_s = 0.02 if args.quick else 0.1
    warmup = 3 if args.quick else 10
    card = torch.cuda.get_device_name()
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{today}; {card}; torch {torch.__version__}, CUDA "
          f"{torch.version.cuda}; bf16 autocast; dense bf16 peak "
          f"{args.peak_tflops:.0f} TFLOP/s\n", flush=True)
    rows, matmuls = [], []
    for label, preset, cfg, bs in selected(CUDA_CONFIGS, args, quick_batch=32):
        models = {k: m.cuda() for k, m in build_models(preset, args.candidate).items()}
        x, y = (t.cuda() for t in batch(preset, bs))
        with torch.inference_mode():
            outs = {k: m.eval()(x) for k, m in models.items()}
        diffs = {k: (o - outs["timm"]).abs().max().item()
                 for k, o in outs.items() if k != "timm"}
        variants = [("eager", models)]
        if args.compile:
            variants.append(("compiled", {k: torch.compile(m)
                                          for k, m in models.items()}))
        fl = flops_per_image(cfg)
        print(f"{label} (batch {bs}): max |logits - timm's| in float32 = "
              + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()), flush=True)
        for variant, ms in variants:
            for mode, make, mult in (("forward", cuda_forward_fn, 1),
                                     ("train step", cuda_train_fn, 3)):
                t0 = time.perf_counter()
                mem = {name: cuda_peak_memory(make, m, x, y)
                       for name, m in ms.items()}
                fns = {name: make(m, x, y) for name, m in ms.items()}
                fns["matmul"] = cuda_matmul_fn()
                sec = cuda_interleaved(fns, reps, target_s, warmup)
                mm = 2 * 8192 ** 3 / sec.pop("matmul") / 1e12
                matmuls.append(mm)
                for name in ms:
                    ips = bs / sec[name]
                    tflops = ips * fl * mult / 1e12
                    rows.append(dict(config=label, batch=bs, mode=mode,
                                     model=name if variant == "eager"
                                     else f"{name} (compiled)",
                                     ips=ips, ratio=sec["timm"] / sec[name],
                                     tflops=tflops,
                                     mfu=tflops / args.peak_tflops,
                                     of_matmul=tflops / mm, mem=mem[name]))
                del fns
                for m in ms.values():
                    m.zero_grad(set_to_none=True)
                print(f"  {variant} {mode}: " + ", ".join(
                    f"{r['model']} {r['ips']:.0f} img/s ({r['ratio']:.3f}x, "
                    f"MFU {r['mfu']:.1%})" for r in rows[-len(ms):])
                    + f"; bf16 matmul {mm:.0f} TFLOP/s; "
                    f"{time.perf_counter() - t0:.0f} s", flush=True)
        del models, variants
        torch.cuda.empty_cache()
    print("\n| configuration | batch | pass | model | images/s | vs timm | TFLOP/s "
          "| MFU | of bf16 matmul | peak memory (MiB) |")
    print("|---|--:|---|---|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        print(f"| {r['config']} | {r['batch']} | {r['mode']} | {r['model']} "
              f"| {r['ips']:.0f} | {r['ratio']:.3f}x | {r['tflops']:.0f} "
              f"| {r['mfu']:.1%} | {r['of_matmul']:.1%} | {r['mem']:.0f} |")
    print(f"\nMeasured {today} on one {card}, torch {torch.__version__} "
          f"(CUDA {torch.version.cuda}); bf16 autocast, fused AdamW; median of "
          f"{reps} interleaved repetitions timed with CUDA events after "
          f"{warmup} warm-up calls; MFU against {args.peak_tflops:.0f} TFLOP/s "
          f"(dense bf16), 'of bf16 matmul' against an 8192^3 bf16 matmul "
          f"timed among the models (median {statistics.median(matmuls):.0f}, "
          f"best {max(matmuls):.0f} TFLOP/s); vs timm compares like with like "
          f"(compiled with compiled).")


# --------------------------------------------------------------------------- main
def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def parity(models, x) -> dict[str, float]:
    with torch.inference_mode():
        outs = {name: m.eval()(x) for name, m in models.items()}
    return {name: (out - outs["timm"]).abs().max().item()
            for name, out in outs.items() if name != "timm"}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a short smoke run")
    ap.add_argument("--profile", action="store_true", help="print profiler tables")
    ap.add_argument("--rows", type=int, default=20, help="rows of each profiler table")
    ap.add_argument("--reps", type=int, default=None, help="timed repetitions (>= 10)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads")
    ap.add_argument("--only", default=None, help="run the configurations whose "
                    "preset name contains this text")
    ap.add_argument("--no-memory", action="store_true", help="skip peak memory")
    ap.add_argument("--memory-only", action="store_true",
                    help="measure peak memory only, no timing")
    ap.add_argument("--candidate", default=None, help="a .py file with "
                    "build(cfg) -> nn.Module, timed as a third model")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                    help="cpu (the default table) or cuda (bf16, MFU)")
    ap.add_argument("--compile", action="store_true",
                    help="on CUDA, also time torch.compile'd models")
    ap.add_argument("--peak-tflops", type=float, default=H100_BF16_TFLOPS,
                    help="the card's dense bf16 peak for MFU (default: H100 SXM)")
    ap.add_argument("--_memory", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.device == "cuda":
        if not torch.cuda.is_available():
            ap.error("--device cuda: torch sees no CUDA GPU here "
                     f"(torch {torch.__version__}); run it on a machine with one")
        return cuda_main(args)
    if args.compile:
        ap.error("--compile is for --device cuda")

    if args._memory:
        print(json.dumps(memory_child(*json.loads(args._memory))))
        return
    if args.threads:
        torch.set_num_threads(args.threads)
        os.environ["SPEED_THREADS"] = str(args.threads)
    reps = args.reps or (3 if args.quick else 11)
    target_s = 0.02 if args.quick else 0.25
    warmup = 1 if args.quick else 3

    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    threads = torch.get_num_threads()
    msize = 1024 if args.quick else 2048
    if args.memory_only and args.no_memory:
        ap.error("--memory-only and --no-memory leave nothing to measure")
    peak = float("nan") if args.memory_only else matmul_peak(msize, 3 if args.quick else 8)
    peaks = []
    print(f"{today}; {cpu_name()}, {threads} threads ({os.cpu_count()} CPUs); "
          f"torch {torch.__version__}; float32 matmul at start {peak:.0f} GFLOP/s\n")

    rows = []
    for label, preset, cfg, bs in selected(CONFIGS, args, quick_batch=8):
        models = build_models(preset, args.candidate)
        x, y = batch(preset, bs)
        diffs = parity(models, x)
        print(f"{label} (batch {bs}): max |logits - timm's| = "
              + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()), flush=True)
        if args.profile:
            profile(models, x, y, preset, args.rows)
        fl = flops_per_image(cfg)
        for mode, make, mult in (("forward", forward_fn, 1), ("train step", train_fn, 3)):
            if args.memory_only:
                sec, peak_here = {name: float("nan") for name in models}, float("nan")
            else:
                fns = {name: make(m, x, y) for name, m in models.items()}
                # the matmul runs among the models, so the peak sees the same load
                fns["matmul"] = matmul_fn(msize)
                sec = interleaved(fns, reps, target_s, warmup)
                peak_here = 2 * msize ** 3 / sec.pop("matmul") / 1e9
                peaks.append(peak_here)
            for name in models:
                rss, tensors = ((None, None) if args.no_memory else
                                peak_memory(preset, bs, name, "forward" if mode == "forward"
                                            else "train", args.candidate,
                                            reps=1 if args.quick else 5))
                ips = bs / sec[name]
                gflops = ips * fl * mult / 1e9
                rows.append(dict(config=label, batch=bs, mode=mode, model=name,
                                 ips=ips, ratio=sec["timm"] / sec[name],
                                 gflops=gflops, share=gflops / peak_here,
                                 mem=rss, tensors=tensors))
            print(f"  {mode}: " + ", ".join(
                f"{r['model']} {r['ips']:.1f} img/s ({r['ratio']:.3f}x"
                + ("" if r["mem"] is None else
                   f", peak {r['mem']:.2f} MiB, tensors {r['tensors']:.2f} MiB") + ")"
                for r in rows[-len(models):]) + f"; matmul {peak_here:.0f} GFLOP/s",
                flush=True)

    print(f"\n| configuration | batch | pass | model | images/s | vs timm | GFLOP/s "
          f"| of peak | peak memory (MiB) | tensor peak (MiB) |")
    print("|---|--:|---|---|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        mem = "-" if r["mem"] is None else f"{r['mem']:.2f}"
        tensors = "-" if r["tensors"] is None else f"{r['tensors']:.2f}"
        timing = ("| - | - | - | - " if args.memory_only else
                  f"| {r['ips']:.1f} | {r['ratio']:.3f}x | {r['gflops']:.1f} | {r['share']:.0%} ")
        print(f"| {r['config']} | {r['batch']} | {r['mode']} | {r['model']} "
              f"{timing}| {mem} | {tensors} |")
    print(f"\nMeasured {today} on {cpu_name()}, {threads} threads, torch "
          f"{torch.__version__}; median of {reps} interleaved repetitions; "
          f"'of peak' against a {msize}x{msize} float32 matmul timed among the "
          f"models (median {statistics.median(peaks or [float('nan')]):.0f}, best "
          f"{max(peaks or [float('nan')]):.0f} GFLOP/s).")


if __name__ == "__main__":
    main()
