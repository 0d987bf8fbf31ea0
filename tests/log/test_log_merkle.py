"""RFC 9162 hashing and proofs against an independent, naive reading of the RFC."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from logtest_helpers import data, naive_mth, naive_path, naive_subproof, sha

from glyphserpack.log import merkle
from glyphserpack.log.tiles import Frontier

# Certificate Transparency's reference vectors (leaves as hex; roots of each prefix).
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_empty_and_ct_reference_roots() -> None:
    assert merkle.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    leaves = [bytes.fromhex(x) for x in CT_LEAVES]
    src = merkle.MemoryNodeSource([merkle.leaf_hash(x) for x in leaves])
    for n in range(1, 9):
        assert merkle.tree_hash(src, n).hex() == CT_ROOTS[n - 1]
        assert naive_mth(leaves[:n]).hex() == CT_ROOTS[n - 1]


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=300))
def test_tree_hash_and_frontier_match_naive(n: int) -> None:
    d = data(n)
    leaves = [merkle.leaf_hash(x) for x in d]
    expected = naive_mth(d)
    assert merkle.tree_hash(merkle.MemoryNodeSource(leaves), n) == expected
    frontier = Frontier()
    frontier.push(leaves)
    assert frontier.root() == expected


def test_proofs_for_all_small_pairs() -> None:
    d = data(34)
    src = merkle.MemoryNodeSource([merkle.leaf_hash(x) for x in d])
    for n in range(1, 35):
        root = naive_mth(d[:n])
        for m in range(n):
            proof = merkle.inclusion_proof(src, m, n)
            assert proof == naive_path(m, d[:n])
            assert merkle.verify_inclusion(merkle.leaf_hash(d[m]), m, n, proof, root)
            assert not merkle.verify_inclusion(merkle.leaf_hash(d[m]), (m + 1) % n, n, proof, root) or n == 1
            if proof:
                bad = [*proof[:-1], sha(proof[-1])]
                assert not merkle.verify_inclusion(merkle.leaf_hash(d[m]), m, n, bad, root)
        for m in range(1, n + 1):
            proof = merkle.consistency_proof(src, m, n)
            assert proof == ([] if m == n else naive_subproof(m, d[:n], True))
            old_root = naive_mth(d[:m])
            assert merkle.verify_consistency(m, n, old_root, root, proof)
            assert not merkle.verify_consistency(m, n, sha(old_root), root, proof)
            assert not merkle.verify_consistency(m, n, old_root, sha(root), proof)
            if proof:
                assert not merkle.verify_consistency(m, n, old_root, root, proof[:-1])
                assert not merkle.verify_consistency(m, n, old_root, root, [*proof, proof[0]])


def test_consistency_edge_cases() -> None:
    d = data(5)
    root = naive_mth(d)
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, root, [])
    assert not merkle.verify_consistency(0, 5, root, root, [])
    assert not merkle.verify_consistency(6, 5, root, root, [])
    assert not merkle.verify_consistency(5, 5, root, root, [root])
    assert not merkle.verify_inclusion(merkle.leaf_hash(d[0]), 5, 5, [], root)
    assert not merkle.verify_inclusion(merkle.leaf_hash(d[0]), 0, 5, [b"short"], root)
