"""Checkpoints on the tiny random model: the random writer, the directory and hub loaders."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from engine_fixtures import tiny_settings  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

from audiobook_tts.engine import checkpoint as checkpoint_mod  # noqa: E402
from audiobook_tts.engine.arch import TINY, build_voice_encoder  # noqa: E402
from audiobook_tts.engine.checkpoint import write_random_checkpoint  # noqa: E402
from audiobook_tts.errors import ModelError  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_random_checkpoint_is_reproducible(tiny_checkpoint, tmp_path):
    again = write_random_checkpoint(tmp_path / "again", "tiny")
    for name in checkpoint_mod.CHECKPOINT_FILES:
        assert (again / name).read_bytes() == (tiny_checkpoint / name).read_bytes(), name
    assert checkpoint_mod.model_identity(again) == checkpoint_mod.model_identity(tiny_checkpoint)


def test_dir_loader_rebuilds_the_recorded_architecture(engine):
    models = engine.models
    assert models.t3.cfg.hidden_size == TINY.t3_hidden
    assert models.t3.cfg.num_hidden_layers == TINY.t3_layers
    assert models.ve.hp.ve_hidden_size == TINY.ve_hidden
    assert models.s3gen.flow.encoder.output_size() == TINY.flow_dim
    assert engine.model_id.startswith("chatterbox-")


def test_tiny_source_writes_into_the_cache_and_loads_the_same_weights(tiny_checkpoint, tmp_path):
    settings = tiny_settings(tiny_checkpoint, model={"source": "tiny", "dir": ""})
    ckpt = checkpoint_mod.resolve_checkpoint(settings.model, tmp_path)
    assert ckpt.directory == tmp_path / "models" / "random-tiny-v1"
    assert ckpt.model_id == checkpoint_mod.model_identity(tiny_checkpoint)


def test_dir_with_a_missing_file(tiny_checkpoint, tmp_path):
    for name in ("ve.safetensors", "t3_cfg.safetensors", "tokenizer.json"):
        (tmp_path / name).write_bytes((tiny_checkpoint / name).read_bytes())
    settings = tiny_settings(tmp_path)
    with pytest.raises(ModelError) as err:
        checkpoint_mod.resolve_checkpoint(settings.model, tmp_path / "cache")
    assert str(err.value) == f"model directory {tmp_path} lacks s3gen.safetensors"


def test_dir_that_does_not_exist(tmp_path):
    settings = tiny_settings(tmp_path / "nowhere")
    with pytest.raises(ModelError, match="^model directory not found: .*nowhere$"):
        checkpoint_mod.resolve_checkpoint(settings.model, tmp_path)


def test_weights_of_another_architecture(tiny_checkpoint, tmp_path):
    for name in checkpoint_mod.CHECKPOINT_FILES:
        (tmp_path / name).write_bytes((tiny_checkpoint / name).read_bytes())
    # A voice encoder file without the tiny-architecture record: built at stock size.
    save_file(build_voice_encoder(TINY).state_dict(), str(tmp_path / "ve.safetensors"))
    with pytest.raises(ModelError, match=r"ve\.safetensors does not fit the Chatterbox architecture: "):
        checkpoint_mod.load_models(tmp_path)


def test_s3gen_extra_weights_are_ignored_missing_ones_are_not(tiny_checkpoint, tmp_path):
    from safetensors import safe_open
    from safetensors.torch import load_file

    for name in checkpoint_mod.CHECKPOINT_FILES:
        (tmp_path / name).write_bytes((tiny_checkpoint / name).read_bytes())
    path = tmp_path / "s3gen.safetensors"
    with safe_open(str(path), "pt") as f:
        metadata = f.metadata()
    state = load_file(str(path))
    # As chatterbox (strict=False for S3Gen): a released file may carry unused weights.
    save_file({**state, "flow.unused_extra.weight": torch.zeros(2)}, str(path), metadata=metadata)
    assert checkpoint_mod.load_models(tmp_path).s3gen is not None
    del state["flow.input_embedding.weight"]
    save_file(state, str(path), metadata=metadata)
    with pytest.raises(ModelError, match=r"s3gen\.safetensors does not fit .*: it lacks flow\.input_embedding\.weight"):
        checkpoint_mod.load_models(tmp_path)


def test_hub_offline_is_one_actionable_line(monkeypatch, tmp_path):
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    def offline(**kwargs):
        raise LocalEntryNotFoundError("outgoing traffic has been disabled")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    settings = tiny_settings(tmp_path, model={"source": "hub", "dir": ""})
    with pytest.raises(ModelError) as err:
        checkpoint_mod.resolve_checkpoint(settings.model, tmp_path)
    assert str(err.value) == (
        "Chatterbox weights (ResembleAI/chatterbox) are not in the Hugging Face cache and cannot be "
        "downloaded offline: run once with network access, or pass --model-dir DIR holding "
        "ve.safetensors, t3_cfg.safetensors, s3gen.safetensors, tokenizer.json"
    )


def test_hub_without_dns_fails_at_once_without_retrying(monkeypatch, tmp_path):
    import socket

    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    calls = []

    def download(**kwargs):
        calls.append(kwargs)
        raise LocalEntryNotFoundError("not in the cache")

    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    settings = tiny_settings(tmp_path, model={"source": "hub", "dir": ""})
    with pytest.raises(ModelError, match="are not in the Hugging Face cache and cannot be downloaded offline"):
        checkpoint_mod.resolve_checkpoint(settings.model, tmp_path)
    assert [c.get("local_files_only") for c in calls] == [True]  # the network was never tried
