"""Every kind has a published JSON Schema that agrees with the loader."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from glyphserpack.cli import main
from glyphserpack.errors import EvidenceError
from glyphserpack.evidence import KINDS, SIGNED, load_tree, schema_for
from glyphserpack.evidence.loader import validate_kind

from .helpers import BUNDLED

TREE = load_tree(BUNDLED)
SAMPLES: dict[str, dict[str, Any]] = {"release_manifest": TREE.manifest_obj}
for _doc in TREE.documents.values():
    SAMPLES.setdefault(_doc.kind, _doc.obj)


def test_every_kind_has_a_bundled_example() -> None:
    assert sorted(SAMPLES) == sorted(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_schema_is_valid_and_accepts_the_example(kind: str) -> None:
    schema = schema_for(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert "kind" in schema["required"]
    assert "schema_version" in schema["required"]
    if kind not in SIGNED:  # signed payloads carry CBOR byte strings, which JSON cannot
        jsonschema.Draft202012Validator(schema).validate(SAMPLES[kind])


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_unknown_field_and_wrong_type_are_rejected(kind: str) -> None:
    good = SAMPLES[kind]
    validate_kind(kind, good, name="x")
    with pytest.raises(EvidenceError, match=r"x: surprise: unknown field"):
        validate_kind(kind, dict(good, surprise=1), name="x")
    with pytest.raises(EvidenceError, match=r"x: schema_version: "):
        validate_kind(kind, dict(good, schema_version="1"), name="x")
    with pytest.raises(EvidenceError, match="x: kind"):
        validate_kind(kind, dict(good, kind="other"), name="x")
    if kind not in SIGNED:
        schema = schema_for(kind)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(dict(good, surprise=1), schema)
    first_required = next(f for f in schema_for(kind)["required"] if f not in ("kind", "schema_version"))
    with pytest.raises(EvidenceError, match=first_required):
        validate_kind(kind, {k: v for k, v in good.items() if k != first_required}, name="x")


def test_hash_fields_are_strict() -> None:
    from glyphserpack.evidence.models import HashLink

    HashLink(path="a/b", sha256="0" * 64)
    for bad in ("0" * 63, "A" * 64, "g" * 64):
        with pytest.raises(ValidationError):
            HashLink(path="a/b", sha256=bad)


def test_schema_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    listed = [ln.split()[0] for ln in capsys.readouterr().out.splitlines()]
    assert listed == list(KINDS)
    assert main(["schema", "chaos_proof_pack"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == json.loads(json.dumps(schema_for("chaos_proof_pack")))
    assert schema["properties"]["kind"]["const"] == "chaos_proof_pack"
