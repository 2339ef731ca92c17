"""``XFER_EMBED_SPILL_DIR`` that is read-only, not a folder or full: one line naming the
variable and the folder, before the model runs where it can be known (issue 16, item 5)."""

from __future__ import annotations

import builtins
import errno
import os
from collections import namedtuple

import numpy as np
import pytest

from xfer_tasks.embed_spec import EmbedSpec
from xfer_tasks.errors import is_ours, one_line
from xfer_tasks.harness import hf_embed, vectors
from xfer_tasks.harness.vectors import SPILL_DIR_ENV, LayerStore, SpillDirError, check_spill_dir

TEXTS = ["Der Hund bellt.", "Die Katze schläft.", "Ein Vogel singt."]
Usage = namedtuple("Usage", "total used free")


def test_a_spill_dir_that_cannot_be_a_folder_is_one_line(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv(SPILL_DIR_ENV, str(blocker / "spill"))
    with pytest.raises(SpillDirError) as info:
        LayerStore(3, 4)
    message = one_line(info.value)
    assert message.startswith(f"xfer: {SPILL_DIR_ENV}={blocker / 'spill'}: cannot write")
    assert is_ours(info.value)  # printed as this one line inside lm_eval, no traceback


def test_a_read_only_spill_dir_is_one_line(tmp_path, monkeypatch):
    """Read-only as the kernel reports it (root ignores chmod, so the refusal is simulated)."""
    monkeypatch.setenv(SPILL_DIR_ENV, str(tmp_path))

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(vectors.tempfile, "mkdtemp", read_only)
    with pytest.raises(SpillDirError, match=rf"{SPILL_DIR_ENV}={tmp_path}: cannot write .*"
                       r"\(Read-only file system\)"):  # fmt: skip
        check_spill_dir()


def test_a_full_spill_dir_is_refused_with_the_space_needed(tmp_path, monkeypatch):
    monkeypatch.setenv(SPILL_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(vectors.shutil, "disk_usage", lambda _: Usage(2**30, 2**30 - 2**20, 2**20))
    assert check_spill_dir(10, 7, 384) == tmp_path  # 107,520 bytes fit in 1 MiB
    with pytest.raises(SpillDirError) as info:
        check_spill_dir(100_000, 7, 384)
    assert str(info.value) == (
        f"{SPILL_DIR_ENV}={tmp_path}: 0.00 GiB free, but the per-layer vectors of embed_layer "
        "all/dev need 1.00 GiB (100000 sentences x 7 hidden states x 384 dims x 4 bytes); "
        f"set {SPILL_DIR_ENV} to a folder with room"
    )


def test_the_system_temp_folder_is_named_when_the_variable_is_unset(monkeypatch, tmp_path):
    monkeypatch.delenv(SPILL_DIR_ENV, raising=False)
    monkeypatch.setattr(vectors.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(vectors.shutil, "disk_usage", lambda _: Usage(10, 10, 0))
    with pytest.raises(SpillDirError, match=rf"{SPILL_DIR_ENV} \(unset: the system temp folder "):
        check_spill_dir(1, 1, 1)


def test_disk_full_while_writing_names_the_variable_and_the_size(tmp_path, monkeypatch):
    """The disk fills up while the vectors stream to it: ENOSPC from a write or the final flush."""
    monkeypatch.setenv(SPILL_DIR_ENV, str(tmp_path))
    real_open = builtins.open

    class FillingWriter:
        def __init__(self, handle, room):
            self.handle, self.room = handle, room

        def write(self, data):
            if len(data) > self.room:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.room -= len(data)
            return self.handle.write(data)

        def __getattr__(self, name):
            return getattr(self.handle, name)

    def filling_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        return FillingWriter(handle, room=64) if "w" in mode else handle

    monkeypatch.setattr(vectors, "open", filling_open, raising=False)
    store = LayerStore(2, 4, expected_rows=1000)
    store.append([np.ones((2, 4)), np.ones((2, 4))])  # 32 bytes per file: fits
    with pytest.raises(SpillDirError) as info:
        store.append([np.ones((3, 4)), np.ones((3, 4))])
    assert str(info.value).startswith(
        f"{SPILL_DIR_ENV}={tmp_path}: writing the per-layer vectors of embed_layer all/dev to "
        f"{store.path} failed (No space left on device); the store needs 0.00 GiB (1000 "
        "sentences x 2 hidden states x 4 dims x 4 bytes)"
    )
    assert "\n" not in str(info.value)


def test_embed_texts_checks_the_spill_dir_before_the_first_forward_pass(
    tiny_hflm, tmp_path, monkeypatch
):
    monkeypatch.setenv(SPILL_DIR_ENV, str(tmp_path / "spill"))
    seen = []
    monkeypatch.setattr(
        vectors.shutil, "disk_usage", lambda path: seen.append(path) or Usage(10, 10, 0)
    )

    def no_forward(*args, **kwargs):
        raise AssertionError("the model ran before the spill folder was checked")

    monkeypatch.setattr(hf_embed.AllLayersReader, "__call__", no_forward)
    with pytest.raises(SpillDirError, match=r"0.00 GiB free, but .* need .* \(3 sentences x "):
        hf_embed.embed_texts(tiny_hflm, TEXTS, EmbedSpec(layer="all"), progress=False)
    assert seen == [tmp_path / "spill"] and os.path.isdir(tmp_path / "spill")
