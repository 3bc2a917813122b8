"""The method catalog is the one place a method's facts live: the registry, the README's
method table, the recipes and the knob table agree with it."""
from pathlib import Path

from cookbook_lib import RunConfig
from cookbook_lib.config import knob_names
from cookbook_lib.methods import METHOD_CLASSES, catalog


def test_every_catalog_row_has_a_class_and_every_class_a_row():
    assert set(catalog.CATALOG) == set(METHOD_CLASSES)
    for name, row in catalog.CATALOG.items():
        assert row.family in catalog.FAMILIES, name
        assert "arXiv" in row.paper or name == "supervised", name
        unknown = set(row.knobs()) - set(knob_names())
        assert not unknown, (name, unknown)


def test_the_readme_method_table_is_the_catalogs():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    start, end = "<!-- methods table: generated -->\n", "\n<!-- end of methods table -->"
    assert start in readme and end in readme
    table = readme[readme.index(start) + len(start):readme.index(end)]
    assert table == catalog.markdown_table(), "regenerate it with catalog.markdown_table()"


def test_embedding_dim_follows_the_projector():
    assert catalog.embedding_dim(RunConfig(embedding_dim=64).resolved()) == 64
    assert catalog.embedding_dim(RunConfig(projector_depth=0).resolved()) == 256  # the representation
    assert catalog.embedding_dim(RunConfig(method="supervised", embedding_dim=64).resolved()) == 256
    assert catalog.embedding_dim(RunConfig(method="directclr", embedding_dim=32).resolved()) == 32  # its slice
