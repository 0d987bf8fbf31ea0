"""The signed manifest as a typed record: published schema, exact round trip, hostile input."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glyphserpack import canonical
from glyphserpack._internal import jsonout
from glyphserpack._internal.pack import bag, manifest_check
from glyphserpack.errors import PackError
from glyphserpack.pack import open_pack, write
from glyphserpack.pack.manifest import ManifestMember, ManifestSigner, PackManifest, manifest_schema
from glyphserpack.pack.read import check_manifest

ARCHIVE = Path(__file__).resolve().parents[2] / "archive"
SCHEMA_FILE = ARCHIVE / "manifest.schema.json"
CORPUS = sorted(p / "reference.glyphserpack" for p in (ARCHIVE / "corpus").glob("v*") if p.is_dir())


def test_published_schema_is_the_one_generated_from_the_model() -> None:
    expected = jsonout.to_bytes(manifest_schema(), ensure_ascii=False)
    assert SCHEMA_FILE.read_bytes() == expected, "run .venv/bin/python archive/regenerate_schema.py"
    jsonschema.Draft202012Validator.check_schema(json.loads(expected))


def test_fast_check_knows_the_models_fields() -> None:
    assert frozenset(PackManifest.model_fields) == manifest_check.TOP_KEYS
    assert frozenset(ManifestMember.model_fields) == manifest_check.MEMBER_KEYS
    assert frozenset(ManifestSigner.model_fields) == manifest_check.SIGNER_KEYS


def _corpus_manifest(pack: Path) -> tuple[bytes, bytes]:
    with open_pack(pack) as reader:
        return reader.read_member("manifest.cbor"), reader.read_member("manifest.json")


@pytest.mark.parametrize("pack", CORPUS, ids=[p.parent.name for p in CORPUS])
def test_released_manifest_round_trips_to_the_same_bytes(pack: Path) -> None:
    data, mirror = _corpus_manifest(pack)
    model = PackManifest.from_obj(canonical.loads(data), "corpus")
    assert canonical.dumps(model.to_obj()) == data
    assert bag.manifest_json(model.to_obj()) == mirror
    jsonschema.validate(json.loads(mirror), json.loads(SCHEMA_FILE.read_bytes()))
    # the packer's constructor, fed the released members and signers, writes the very same bytes
    # (but for the format version: it writes the current one, e.g. 1.1 for a released 1.0 pack)
    rebuilt = PackManifest.build(
        model.created, [m.model_dump() for m in model.members], [s.model_dump() for s in model.signers]
    )
    assert rebuilt.format_version == [bag.FORMAT_MAJOR, bag.FORMAT_MINOR]
    assert canonical.dumps({**rebuilt.to_obj(), "format_version": model.format_version}) == data


def test_written_pack_manifest_is_the_model(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "b.txt").write_text("b\n")
    (src / "a.json").write_text("{}\n")
    out = write(src, tmp_path / "x.glyphserpack", created="2026-01-01T00:00:00Z")
    with open_pack(tmp_path / "x.glyphserpack") as reader:
        model = PackManifest.from_obj(reader.manifest, "x")
        assert bag.root_hash(model.to_obj()) == out == reader.root_hash
    assert [m.name for m in model.members] == sorted(m.name for m in model.members)
    assert {m.name: m.media_type for m in model.members}["data/a.json"] == "application/json"


def _good() -> dict[str, Any]:
    kid = hashlib.sha256(b"k").hexdigest()
    return {
        "format": "glyphserpack",
        "format_version": [1, 0],
        "created": "2026-03-01T12:00:00Z",
        "root_hash_tag": bag.ROOT_TAG,
        "members": [
            {"name": "data/a.txt", "size": 3, "sha256": hashlib.sha256(b"abc").hexdigest(), "media_type": "text/plain"}
        ],
        "signers": [{"key_id": kid, "public_key": "ab" * 32, "algorithm": "ed25519", "key_file": f"keys/{kid}.pem"}],
    }


def _set(path: str, value: Any) -> dict[str, Any]:
    obj = _good()
    *parents, last = path.split(".")
    target: Any = obj
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return obj


#: Each was accepted by the hand-written check before the model (and then failed later, or not at all).
HOSTILE: dict[str, tuple[dict[str, Any], str]] = {
    "upper-case member hash": (_set("members.0.sha256", "AB" * 32), r"members\[0\]\.sha256: String should match"),
    "negative size": (_set("members.0.size", -1), r"members\[0\]\.size: Input should be greater than or equal to 0"),
    "text size": (_set("members.0.size", "3"), r"members\[0\]\.size: Input should be a valid integer"),
    "integer media type": (_set("members.0.media_type", 7), r"members\[0\]\.media_type: Input should be a valid str"),
    "created not a time": (_set("created", "yesterday"), r"created: String should match pattern"),
    "short public key": (_set("signers.0.public_key", "00"), r"signers\[0\]\.public_key: String should match"),
    "key id not hex": (_set("signers.0.key_id", "k"), r"signers\[0\]\.key_id: String should match"),
    "negative minor version": (_set("format_version", [1, -1]), r"format_version\[1\]: Input should be greater"),
}


@pytest.mark.parametrize("label", sorted(HOSTILE))
def test_hostile_manifest_names_the_field(label: str) -> None:
    obj, message = HOSTILE[label]
    with pytest.raises(PackError) as info:
        check_manifest(obj, "pack x")
    assert info.value.code == "GSP-E112"
    assert re.match(r"^pack x: manifest " + message, info.value.message), info.value.message


def test_top_level_and_version_errors_keep_their_messages() -> None:
    with pytest.raises(PackError, match=r"not those of format 1 \(surprise: unknown field\)"):
        check_manifest(dict(_good(), surprise=1), "m")
    with pytest.raises(PackError, match=r"not those of format 1 \(format: Input should be 'glyphserpack'\)"):
        check_manifest(dict(_good(), format="other"), "m")
    with pytest.raises(PackError, match=r"format version 2\.0 is not supported"):
        check_manifest(dict(_good(), format_version=[2, 0], surprise=1), "m")
    with pytest.raises(PackError, match="manifest is not a map"):
        check_manifest([], "m")


def test_writer_refuses_what_a_reader_would_refuse() -> None:
    with pytest.raises(PackError, match=r"cannot write the manifest: created: String should match"):
        PackManifest.build("2026-01-01", [], [])
    member = _good()["members"][0]
    with pytest.raises(PackError, match=r"cannot write the manifest: members\[1\]\.size: Input should be greater"):
        PackManifest.build("2026-01-01T00:00:00Z", [member, dict(member, name="data/b", size=-1)], [])
    built = PackManifest.build("2026-01-01T00:00:00Z", [dict(member, name="data/z"), member], _good()["signers"])
    assert [m.name for m in built.members] == ["data/a.txt", "data/z"]


_text = st.one_of(
    st.text(max_size=8), st.sampled_from(["ed25519", "glyphserpack", bag.ROOT_TAG, "2026-01-01T00:00:00Z"])
)
_hex = st.one_of(st.just("ab" * 32), st.just("AB" * 32), st.text("0123456789abcdef", min_size=63, max_size=65))
_leaf = st.one_of(
    _text, _hex, st.integers(-(2**65), 2**65), st.booleans(), st.none(), st.binary(max_size=3), st.floats()
)


@st.composite
def _mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A good manifest with a few fields replaced, removed or added, anywhere in it."""
    obj = copy.deepcopy(_good())
    obj["members"] = [copy.deepcopy(obj["members"][0]) for _ in range(draw(st.integers(0, 2)))]
    obj["signers"] = [copy.deepcopy(obj["signers"][0]) for _ in range(draw(st.integers(0, 2)))]
    maps: list[dict[str, Any]] = [obj, *obj["members"], *obj["signers"]]  # chosen before any edit
    for _ in range(draw(st.integers(0, 3))):
        target = draw(st.sampled_from(maps))
        key = draw(st.one_of(st.sampled_from(sorted(target) or ["x"]), st.just("extra")))
        if draw(st.booleans()) and key in target:
            del target[key]
        else:
            target[key] = draw(st.one_of(_leaf, st.lists(_leaf, max_size=3)))
    return obj


@settings(max_examples=400, deadline=None)
@given(_mutated())
def test_fast_check_accepts_exactly_what_the_model_accepts(obj: dict[str, Any]) -> None:
    try:
        PackManifest.from_obj(obj, "m")
        model_ok = True
    except PackError:
        model_ok = False
    assert manifest_check.fits(obj) == model_ok
    try:
        assert check_manifest(obj, "m") is obj
        assert model_ok
    except PackError:  # a clear error, never a pydantic traceback
        assert not model_ok
