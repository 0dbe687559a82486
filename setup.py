"""Package metadata comes from settings.ini (the nbdev 2 convention), so there is one source."""
from configparser import ConfigParser

import setuptools

cfg = ConfigParser(delimiters=["="])
cfg.read("settings.ini", encoding="utf-8")
cfg = cfg["DEFAULT"]

setuptools.setup(
    name=cfg["lib_name"],
    version=cfg["version"],
    description=cfg["description"],
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    author=cfg["author"],
    author_email=cfg["author_email"],
    url=cfg["git_url"],
    license="Apache-2.0",
    packages=setuptools.find_packages(include=[cfg["lib_name"], cfg["lib_name"] + ".*"]),
    # the trained weights that create_vit(NAME, pretrained=True) loads (made by tools/make_weights.py)
    package_data={cfg["lib_name"]: ["weights/*.safetensors", "weights/*.json",
                                   "js/*.js",  # the book's live figure and the explorer
                                   "results/*.jsonl"]},  # chapter 16's measured sweep
    python_requires=">=" + cfg["min_python"],
    install_requires=cfg["requirements"].split(),
    entry_points={
        "console_scripts": cfg.get("console_scripts", "").split(),
        "nbdev": [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"],
    },
    zip_safe=False,
)
