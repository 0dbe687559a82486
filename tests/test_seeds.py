"""The notebooks' asserts hold for other random draws, not only for the one seed 0 gives.

nbval runs each notebook of nbs/ once, with the pinned PyTorch and seed 0; another PyTorch
(Colab's, `make test-colab`) draws other numbers from the same seed. Here every notebook that
seeds a draw runs again in this process, top to bottom, with every seed moved: `manual_seed(n)` becomes
`manual_seed(n + offset)` (so cells that re-create the same draw still agree with each other),
and the global generator starts from `offset` too. Outputs are not compared: only the asserts
count.

The explanation chapters compute the same maps and curves on the same images in every run
(their inputs do not depend on a seed): `vit_lit.explain`'s deterministic functions (MEMOIZED)
are run once per distinct input in this process and their results reused by the later runs
(see `Memo`: the key is the exact bytes of every tensor and every weight passed in; anything
it cannot key, a function or a generator, is computed as usual). An input that a seed changes
(a randomized model, another sample) is a new key, so it is computed afresh.

Training is the one thing cut short: `fit` runs one epoch (with its own seed moved), so the
asserts about what the trained model learned (chapter 13: accuracy, learned positions, ...)
are left out here (an assert that uses a name computed from the training is replaced by
`pass`, see TRAINED); they are checked by nbval and `make test-colab`, and were measured over
seeds when they were written. Every other assert of chapter 13 (the untrained model, the
loss, the schedule, the data) runs here.
"""
import ast
import hashlib
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import matplotlib.pyplot as plt  # the Agg backend: tests/conftest.py
import nbformat
import pytest
import torch
from IPython.core.inputtransformer2 import TransformerManager

import vit_lit.explain
import vit_lit.train
from vit_lit.i18n import get_lang, set_lang

NBS = Path(__file__).resolve().parents[1] / "nbs"
OFFSETS = (1000, 2000, 3000, 4000, 5000)  # seed 0 is nbval's run
# Per notebook, the names bound to what training made: asserts that use them, or names
# computed from them, are left out (see the module docstring).
TRAINED = {"13_training": {"model", "history", "own", "own_history"},
           "16_small_data": {"live"}}
SEED = re.compile(r"manual_seed\((\d+)\)")


def names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def bound_names(target: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


class DropTrained(ast.NodeTransformer):
    """Replace the asserts that use a trained name by `pass`; follow assignments so that names
    computed from trained ones count as trained too (in notebook order, across cells)."""

    def __init__(self, trained: set[str]):
        self.trained, self.dropped = set(trained), []

    def visit_Assert(self, node):
        used = names_in(node) & self.trained
        if used:
            self.dropped.append(ast.unparse(node))
            return ast.copy_location(ast.Pass(), node)
        return node

    def _bind(self, node, targets, value):
        if value is not None and names_in(value) & self.trained:
            for target in targets:
                self.trained |= bound_names(target)
        return self.generic_visit(node)

    def visit_Assign(self, node):
        return self._bind(node, node.targets, node.value)

    def visit_AnnAssign(self, node):
        return self._bind(node, [node.target], node.value)

    def visit_AugAssign(self, node):
        return self._bind(node, [node.target], node.value)

    def visit_For(self, node):
        return self._bind(node, [node.target], node.iter)


def cells(name: str, offset: int) -> tuple[list[str], list[str]]:
    "The code cells of nbs/<name>.ipynb as Python, seeds moved by `offset`; and the asserts left out."
    nb = nbformat.read(NBS / f"{name}.ipynb", as_version=4)
    to_python = TransformerManager().transform_cell  # `%pip` -> get_ipython() (never reached)
    drop = DropTrained(TRAINED.get(name, set()))
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = SEED.sub(lambda m: f"manual_seed({int(m.group(1)) + offset})", cell.source)
        tree = drop.visit(ast.parse(to_python(source)))
        out.append(ast.unparse(ast.fix_missing_locations(tree)))
    return out, drop.dropped


# vit_lit.explain's functions whose result depends on their arguments alone (no random draw)
MEMOIZED = ("attention_maps", "raw_attention_map", "rollout_map", "attention_flow_map",
            "grad_rollout_map", "gradient_x_input_map", "integrated_gradients_map",
            "occlusion_map", "deletion_curve", "insertion_curve")


class Unkeyable(Exception):
    "An argument Memo cannot key by value (a function, a generator, ...)."


def fingerprint(value):
    "A hashable key of `value` by content: tensors and modules by their bytes."
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, torch.Tensor):
        data = value.detach().contiguous().cpu()
        return ("tensor", str(data.dtype), tuple(data.shape), value.requires_grad,
                hashlib.sha256(data.view(torch.uint8).numpy().tobytes() if data.numel() else b"").hexdigest())
    if isinstance(value, torch.nn.Module):
        state = tuple((k, fingerprint(v)) for k, v in value.state_dict().items())
        return ("module", state, *map(module_settings, value.modules()))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, *map(fingerprint, value))
    if isinstance(value, dict):
        return ("dict", *sorted((k, fingerprint(v)) for k, v in value.items()))
    raise Unkeyable(type(value).__name__)


def module_settings(module: torch.nn.Module) -> tuple:
    """What else decides a module's output: its class, its plain attributes (training, fused,
    eps, ...) and its hooks; a forward replaced on the instance cannot be keyed."""
    plain = tuple(sorted((k, v) for k, v in vars(module).items()
                         if v is None or isinstance(v, (bool, int, float, str))))
    if any(callable(v) and not isinstance(v, torch.nn.Module) for v in vars(module).values()):
        raise Unkeyable(f"a function set on a {type(module).__name__}")
    hooks = [module._forward_hooks, module._forward_pre_hooks, module._backward_hooks]
    return (type(module).__qualname__, plain, *map(len, hooks))


def cloned(value):
    "A copy the caller may change without changing what the memo holds."
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, (tuple, list)):
        return type(value)(map(cloned, value))
    if isinstance(value, dict):
        return {k: cloned(v) for k, v in value.items()}
    return value


class Memo:
    "MEMOIZED's functions, each result kept by the content of its arguments (one per process)."

    def __init__(self):
        self.results, self.hits = {}, 0

    def wrap(self, name: str, fn):
        def memoized(*args, **kwargs):
            try:
                key = (name, fingerprint(args), fingerprint(kwargs))
            except Unkeyable:
                return fn(*args, **kwargs)
            if key in self.results:
                self.hits += 1
            else:
                self.results[key] = fn(*args, **kwargs)
            return cloned(self.results[key])
        return memoized

    @contextmanager
    def patched(self):
        "vit_lit.explain's MEMOIZED names (and ATTRIBUTIONS' entries for them) memoized, then restored."
        module = vit_lit.explain
        saved, table = {name: getattr(module, name) for name in MEMOIZED}, dict(module.ATTRIBUTIONS)
        wrapped = {name: self.wrap(name, fn) for name, fn in saved.items()}
        by_function = {fn: wrapped[name] for name, fn in saved.items()}
        try:
            for name, fn in wrapped.items():
                setattr(module, name, fn)
            module.ATTRIBUTIONS.update({k: by_function.get(fn, fn) for k, fn in table.items()})
            yield
        finally:
            for name, fn in saved.items():
                setattr(module, name, fn)
            module.ATTRIBUTIONS.update(table)


MEMO = Memo()


def run_notebook(name: str, offset: int, folder: Path) -> list[str]:
    code, dropped = cells(name, offset)
    real_fit = vit_lit.train.fit

    def short_fit(*args, **kwargs):
        return real_fit(*args, **{**kwargs, "epochs": 1, "seed": kwargs.get("seed", 0) + offset,
                                  "progress": False})

    lang, before, threads = get_lang(), tempfile.tempdir, torch.get_num_threads()
    torch.set_num_threads(1)  # small tensors: one thread, and no spinning on a busy machine
    torch.manual_seed(offset)
    vit_lit.train.fit = short_fit if name in TRAINED else real_fit
    tempfile.tempdir = str(folder)  # the notebooks' temporary folders land in pytest's
    # as in a kernel (cells that guard `python -m` entry points look for get_ipython)
    namespace = {"__name__": "__main__", "get_ipython": lambda: None}
    try:
        with MEMO.patched():
            for i, source in enumerate(code):
                try:
                    exec(compile(source, f"{name}.ipynb[code cell {i}]", "exec"), namespace)
                finally:
                    plt.close("all")
    finally:
        vit_lit.train.fit, tempfile.tempdir = real_fit, before
        set_lang(lang)
        torch.set_num_threads(threads)
    return dropped


# the notebooks that seed a draw (the others' asserts do not depend on one: data, shapes, errors)
NOTEBOOKS = sorted(p.stem for p in NBS.glob("*.ipynb") if SEED.search(p.read_text(encoding="utf-8")))


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_asserts_hold_for_other_seeds(name, offset, tmp_path):
    run_notebook(name, offset, tmp_path)


def test_every_chapter_that_draws_is_run():
    assert {"04_position", "06_scores", "11_encoder", "13_training", "14_inside", "93_train"} <= set(NOTEBOOKS)
    assert "00_data" not in NOTEBOOKS  # no random draw there


def test_only_trained_asserts_are_left_out():
    code, dropped = cells("13_training", 0)
    # what the short training cannot check: what the trained model learned
    assert any("history" in a for a in dropped) and any("similarity[same_row]" in a for a in dropped)
    # the asserts on the untrained model and the data still run over seeds
    kept = "\n".join(code)
    for check in ["abs(loss.item() - math.log(10))", "before[same_row | other_row]",
                  "cls_before - 0.2", "norm0[-1] / norm0[0]", "after < loss"]:
        assert check in kept, check
        assert not any(check in a for a in dropped), check


def test_memo_keys_by_content():
    "Same bytes: computed once; another weight or pixel: computed again; a generator: never kept."
    memo, calls = Memo(), []
    f = memo.wrap("f", lambda model, x, generator=None: calls.append(1) or x * 2)
    model, x = torch.nn.Linear(2, 2), torch.ones(3)
    assert torch.equal(f(model, x), x * 2) and torch.equal(f(model, x.clone()), x * 2)
    assert len(calls) == 1 and memo.hits == 1
    out = f(model, x)
    out += 1  # the caller's copy: the memo's result is unchanged
    assert torch.equal(f(model, x), x * 2) and len(calls) == 1
    with torch.no_grad():
        model.weight[0, 0] += 1e-6  # one weight moved: another key
    f(model, x)
    f(model, torch.tensor([1.0, 1.0, 1.0 + 1e-6]))
    assert len(calls) == 3
    f(model, x, generator=torch.Generator())  # cannot be keyed: computed every time
    f(model, x, generator=torch.Generator())
    assert len(calls) == 5
    f(model.eval(), x)  # another mode, a hook: other keys
    model.register_forward_hook(lambda *a: None)
    f(model, x)
    assert len(calls) == 7


def test_memoized_names_exist_and_patching_is_undone():
    explain = vit_lit.explain
    before = {n: getattr(explain, n) for n in MEMOIZED}, dict(explain.ATTRIBUTIONS)
    with Memo().patched():
        assert all(getattr(explain, n) is not before[0][n] for n in MEMOIZED)
        assert explain.ATTRIBUTIONS["integrated gradients"] is not before[1]["integrated gradients"]
    assert {n: getattr(explain, n) for n in MEMOIZED} == before[0] and explain.ATTRIBUTIONS == before[1]
