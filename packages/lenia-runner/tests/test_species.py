"""The species shipped as package data load by name and stay alive."""

import jax
import numpy as np
import pytest

from lenia_runner import helpers, load_config, species, utils


def test_shipped_species():
    assert species.available() == [
        "corona",
        "gyrorbium",
        "hydrogeminium",
        "orbium",
        "scutium",
    ]


def test_orbium_has_bert_chans_parameters():
    config = utils.load_config("orbium")
    assert config == species.load("orbium") == load_config("orbium")
    assert config["name"] == "Orbium unicaudatus"
    assert config["world_params"]["R"] == 13 and config["world_params"]["T"] == 10
    [kernel] = config["kernels_params"]
    assert kernel["k_params"] == [1, [1.0]]
    assert kernel["gf_params"] == [0.15, 0.015]
    assert (kernel["kf_slug"], kernel["gf_slug"]) == ("poly_quad", "poly_quad4")


def _masses(name: str, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    config = load_config(name)
    cells, K, mapping = helpers.init(config)
    update_fn = helpers.build_update_fn(K.shape, mapping)
    gf, w = mapping.get_gf_params(), mapping.get_kernels_weight_per_channel()
    dt = 1.0 / config["world_params"]["T"]

    def body(c, key):
        c = update_fn(key, c, K, gf, w, dt)[0]
        return c, c.sum(axis=(0, 2, 3))

    final, masses = jax.lax.scan(
        body, cells, jax.random.split(jax.random.key(0), steps)
    )
    return np.asarray(cells), np.asarray(final), np.asarray(masses)


def test_orbium_lives_and_glides_for_300_steps():
    cells, final, masses = _masses("orbium", 300)
    m0 = cells.sum()
    assert cells.shape == (1, 1, 128, 128) and 70 < m0 < 80
    # Chan's Orbium keeps its mass within a few percent while it glides.
    assert np.all(np.abs(masses[:, 0] / m0 - 1) < 0.06), masses.min()
    assert 0 <= final.min() and final.max() <= 1
    moved = np.unravel_index(final[0, 0].argmax(), (128, 128))
    start = np.unravel_index(cells[0, 0].argmax(), (128, 128))
    assert moved != start


@pytest.mark.parametrize(
    ("name", "channels"),
    [("gyrorbium", 1), ("scutium", 1), ("hydrogeminium", 1), ("corona", 2)],
)
def test_other_species_stay_alive(name, channels):
    cells, _, masses = _masses(name, 150)
    m0 = cells.sum(axis=(0, 2, 3))
    assert cells.shape[1] == channels
    assert np.all(np.abs(masses / m0 - 1) < 0.2), (masses.min(0), masses.max(0), m0)


def test_missing_file_names_the_shipped_species(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"load_config\('orbium'\)"):
        load_config(tmp_path / "orbium.yaml")
    with pytest.raises(KeyError, match="no species named 'orbiumm'"):
        species.path("orbiumm")


def test_a_file_of_the_same_name_wins(tmp_path, monkeypatch):
    config = utils.load_config("orbium")
    config["world_params"]["R"] = 12
    utils.save_config(tmp_path, config)
    (tmp_path / "config.yaml").rename(tmp_path / "orbium")
    monkeypatch.chdir(tmp_path)
    assert utils.load_config("orbium")["world_params"]["R"] == 12
