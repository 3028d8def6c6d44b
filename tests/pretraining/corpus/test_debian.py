import numpy as np

from synthio.audio import write_audio
from synthio.pretraining.corpus.debian import Hydrogen, SonicPi, Tuxpaint


def tone(path):
    write_audio(path, (0.3 * np.sin(np.arange(4000) / 4)).astype(np.float32), 16000)


def test_tuxpaint_uses_the_first_description_line(tmp_path):
    (tmp_path / "animals").mkdir()
    tone(tmp_path / "animals/frog.ogg")
    tone(tmp_path / "animals/frog_desc.ogg")
    (tmp_path / "animals/frog.txt").write_text("A frog.\nfr.utf8=Une grenouille.\n")
    tone(tmp_path / "animals/lonely.ogg")
    source = Tuxpaint(tmp_path)
    assert source.keys() == ["animals__frog"]
    item = next(source.items(set()))
    assert item.label == "frog" and item.text == "Sound of a frog"


def test_sonic_pi_and_hydrogen_names(tmp_path):
    assert SonicPi(tmp_path).describe(tmp_path / "bd_haus.flac") == ("bass drum", "Sound of a bass drum (haus)")
    assert Hydrogen(tmp_path).describe(tmp_path / "101450__menegass__tomh.wav") == ("tom drum", "Sound of a tom drum hit")
    assert Hydrogen(tmp_path).describe(tmp_path / "weird_noise.wav") is None
    assert "apt-get install" in Hydrogen(tmp_path / "nope").available()


def test_files_that_share_a_stem_keep_their_suffix_in_the_key(tmp_path):
    from synthio.pretraining.corpus.base import build_source
    from synthio.pretraining.corpus.effects import NamedEffects

    (tmp_path / "sfx").mkdir()
    for name in ("bell.ogg", "bell.wav", "door.ogg"):
        tone(tmp_path / "sfx" / name)
    source = NamedEffects("named", tmp_path / "sfx", "test", "")
    assert source.keys() == ["bell.ogg", "bell.wav", "door"]
    out = tmp_path / "out"
    out.mkdir()
    assert build_source(source, out) == 3
    assert sorted(p.name for p in (out / "named").iterdir()) == ["bell.ogg.flac", "bell.wav.flac", "door.flac"]
