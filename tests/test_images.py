"""Image files and image folders for the command line: every PIL mode scaled
to [0, 1] with the right channel count; folders read by torchvision's
ImageFolder, with class names matched to the training classes."""
import numpy as np
import pytest
import torch
from PIL import Image

from torch.utils.data import TensorDataset

from vit_lit.checkpoint import load_checkpoint
from vit_lit.cli import main
from vit_lit.data import load_dataset, read_image
from vit_lit.model import create_vit
from vit_lit.train import fit

RAMP = (np.arange(64).reshape(8, 8) * 4).astype(np.uint8)  # 0 .. 252


def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    values = (np.arange(64).reshape(8, 8) * 1000).astype(np.uint16)
    Image.fromarray(values).save(tmp_path / "deep.png")
    image = read_image(tmp_path / "deep.png")
    assert image.shape == (1, 8, 8)
    assert torch.allclose(image[0], torch.from_numpy(values / 65535).float())


def test_32_bit_integer_image_is_refused(tmp_path, capsys):
    "It used to be divided by 65535 whatever its range (issue 33, item 7)."
    values = (np.arange(64).reshape(8, 8) * 1000).astype(np.int32)
    Image.fromarray(values).save(tmp_path / "deep.tif")
    assert Image.open(tmp_path / "deep.tif").mode == "I"
    with pytest.raises(ValueError, match=r"32-bit integer pixels \(from 0 to 63000\).*"
                       r"save it as an 8- or 16-bit image, or as float in \[0, 1\]"):
        read_image(tmp_path / "deep.tif")
    model = create_vit("vit_digits_patch4_8")
    ckpt = tmp_path / "m.safetensors"
    from vit_lit.checkpoint import save_checkpoint
    save_checkpoint(ckpt, model)
    assert main(["predict", str(ckpt), str(tmp_path / "deep.tif")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "32-bit integer pixels" in err and "Traceback" not in err


def transparent_ink(mode: str) -> Image.Image:
    "A black stroke on a fully transparent background whose stored colour is black too (as drawing apps save)."
    ink = np.zeros((8, 8, 4), np.uint8)
    ink[2:6, 3, 3] = 255  # opaque black stroke; everywhere else alpha 0 over black
    image = Image.fromarray(ink, "RGBA")
    return image if mode == "RGBA" else image.convert(mode)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_transparency_is_dropped_or_put_over_a_background(tmp_path, mode, capsys):
    "Default: alpha dropped (all black here); background='white'/'black' composites (issue 33, item 7)."
    path = tmp_path / f"ink_{mode}.png"
    if mode == "P":  # a palette PNG whose index 0 is transparent
        image = Image.fromarray(np.where(np.asarray(transparent_ink("RGBA"))[..., 3] > 0, 1, 0).astype(np.uint8), "P")
        image.putpalette([0, 0, 0, 0, 0, 0])
        image.save(path, transparency=0)
    else:
        transparent_ink(mode).save(path)
    stroke = torch.zeros(8, 8, dtype=torch.bool)
    stroke[2:6, 3] = True
    dropped = read_image(path, channels=1)
    assert dropped.shape == (1, 8, 8) and dropped.max() == 0  # black on black: the documented alpha drop
    white = read_image(path, channels=1, background="white")
    assert white.shape == (1, 8, 8)
    assert (white[0][stroke] == 0).all() and (white[0][~stroke] == 1).all()
    assert read_image(path, channels=1, background="black").max() == 0
    with pytest.raises(ValueError, match="background must be None .* 'white' or 'black', got 'grey'"):
        read_image(path, background="grey")
    model = create_vit("vit_digits_patch4_8")
    ckpt = tmp_path / "m.safetensors"
    from vit_lit.checkpoint import save_checkpoint
    save_checkpoint(ckpt, model)
    assert main(["predict", str(ckpt), str(path), "--background", "white"]) == 0
    assert str(path) in capsys.readouterr().out


def test_float_tiff_keeps_its_values(tmp_path):
    values = (np.arange(64).reshape(8, 8) / 63).astype(np.float32)
    Image.fromarray(values).save(tmp_path / "float.tif")
    image = read_image(tmp_path / "float.tif")
    assert image.shape == (1, 8, 8)
    assert torch.equal(image[0], torch.from_numpy(values))
    Image.fromarray(values * 255).save(tmp_path / "wide.tif")
    with pytest.raises(ValueError, match=r"wide.tif' has float pixels from 0 "
                       r"to 255, outside \[0, 1\]"):
        read_image(tmp_path / "wide.tif")


@pytest.mark.parametrize("name", ["grey.gif", "palette.png"])
def test_grey_palette_files_give_one_channel(tmp_path, name):
    Image.fromarray(RAMP).convert("P").save(tmp_path / name)
    assert Image.open(tmp_path / name).mode == "P"
    image = read_image(tmp_path / name)
    assert image.shape == (1, 8, 8)
    assert torch.allclose(image[0], torch.from_numpy(RAMP / 255).float())


def test_colour_palette_png_gives_its_colours(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE).save(
        tmp_path / "colour.png")
    want = np.asarray(Image.open(tmp_path / "colour.png").convert("RGB"))
    image = read_image(tmp_path / "colour.png")
    assert image.shape == (3, 8, 8)
    assert torch.allclose(image, torch.from_numpy(want / 255).float()
                          .permute(2, 0, 1))
    # a colour image stays colour when one channel is asked for
    assert read_image(tmp_path / "colour.png", channels=1).shape == (3, 8, 8)


def test_webp_has_no_grey_mode_but_a_grey_model_gets_one_channel(tmp_path):
    Image.fromarray(RAMP).save(tmp_path / "grey.webp")  # lossy, stored as RGB
    assert read_image(tmp_path / "grey.webp").shape == (3, 8, 8)
    image = read_image(tmp_path / "grey.webp", channels=1)
    assert image.shape == (1, 8, 8)
    assert (image[0] - torch.from_numpy(RAMP / 255)).abs().max() < 8 / 255


def test_grey_file_for_a_colour_model(tmp_path):
    Image.fromarray(RAMP).save(tmp_path / "grey.png")
    image = read_image(tmp_path / "grey.png", channels=3)
    assert image.shape == (3, 8, 8)
    assert torch.equal(image[0], image[2])
    assert torch.allclose(image[1], torch.from_numpy(RAMP / 255).float())


def save(path, value=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8), value, np.uint8)).save(path)


def test_test_folder_classes_are_matched_by_name(tmp_path):
    for name in ["one", "two", "zero"]:
        save(tmp_path / "train" / name / "a.png")
    save(tmp_path / "test" / "two" / "b.png")
    save(tmp_path / "test" / "zero" / "c.png")
    train, test = load_dataset(str(tmp_path))
    assert train.classes == test.classes == ["one", "two", "zero"]
    assert test.tensors[1].tolist() == [1, 2]  # two, zero in train's indices


def test_folder_nested_hidden_and_other_files(tmp_path):
    save(tmp_path / "cat" / "indoor" / "a.png")
    save(tmp_path / "cat" / "b.png")
    save(tmp_path / "dog" / "c.png")
    (tmp_path / "dog" / "._c.png").write_bytes(b"\0\5\26\7 resource fork")
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    save(tmp_path / ".ipynb_checkpoints" / "x.png")
    train, test = load_dataset(str(tmp_path))
    assert test is None and train.classes == ["cat", "dog"]
    assert train.tensors[1].tolist() == [0, 0, 1]


def test_empty_class_folder_is_refused(tmp_path):
    save(tmp_path / "cat" / "a.png")
    (tmp_path / "dog").mkdir()
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match="no valid file for the classes dog"):
        load_dataset(str(tmp_path))


@pytest.fixture
def checkpoint(tmp_path):
    "A tiny untrained digits model that knows the classes one, seven, zero."
    torch.manual_seed(0)
    model = create_vit("vit_digits_patch2_8", dim=16, depth=1, heads=2,
                       mlp_dim=32, num_classes=3)
    data = TensorDataset(torch.rand(6, 1, 8, 8), torch.tensor([0, 1, 2] * 2))
    data.classes = ["one", "seven", "zero"]
    path = tmp_path / "m.safetensors"
    fit(model, data, epochs=1, progress=False, device="cpu", checkpoint=path)
    return path


def test_eval_matches_classes_by_name(checkpoint, tmp_path, capsys):
    save(tmp_path / "data" / "zero" / "a.png")
    save(tmp_path / "data" / "seven" / "b.png", 255)
    assert main(["eval", str(checkpoint), "--dataset",
                 str(tmp_path / "data")]) == 0
    assert "all accuracy" in capsys.readouterr().out
    save(tmp_path / "data" / "two" / "c.png")
    assert main(["eval", str(checkpoint), "--dataset",
                 str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err
    assert "has class 'two' that the model was not trained on (its classes: " \
        "one, seven, zero)" in err
    assert main(["eval", str(checkpoint), "--dataset", "digits"]) == 2
    assert "has classes '0', '1'" in capsys.readouterr().err


def test_resume_on_a_dataset_with_other_classes(checkpoint, tmp_path, capsys):
    save(tmp_path / "data" / "eight" / "a.png")
    assert main(["train", "--dataset", str(tmp_path / "data"), "--epochs",
                 "1", "--resume", str(checkpoint), "--out",
                 str(tmp_path / "b.safetensors"), "--quiet"]) == 2
    assert "has class 'eight' that the model was not trained on" in \
        capsys.readouterr().err
    assert not (tmp_path / "b.safetensors").exists()


def test_resume_maps_a_subset_of_classes(checkpoint, tmp_path):
    "A folder of some of the classes, of the size the run had (another size is refused)."
    for i in range(6):
        save(tmp_path / "data" / "zero" / f"{i}.png")
    out = tmp_path / "b.safetensors"
    assert main(["train", "--dataset", str(tmp_path / "data"), "--epochs",
                 "2", "--resume", str(checkpoint), "--out", str(out),
                 "--quiet"]) == 0
    assert load_checkpoint(out).training["classes"] == ["one", "seven",
                                                        "zero"]
