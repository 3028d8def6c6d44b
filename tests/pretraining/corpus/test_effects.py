import io
import zipfile

import numpy as np
import soundfile as sf

from synthio.audio import write_audio
from synthio.pretraining.corpus.effects import AsteriskSpeech, OpenArena, freedesktop, lmms, noun_phrase, openarena_caption, supertuxkart, wesnoth, widelands


def tone(path, seconds=0.3):
    path.parent.mkdir(parents=True, exist_ok=True)
    written = write_audio(path.with_suffix(".ogg") if path.suffix == ".oga" else path, (0.3 * np.sin(np.arange(int(16000 * seconds)) / 4)).astype(np.float32), 16000)
    written.rename(path)


def captions(source):
    return {key: item.text for key, item in ((i.key, i) for i in source.items(set()))}


def test_noun_phrase_articles():
    assert noun_phrase(["horse", "canter"]) == "a horse canter"
    assert noun_phrase(["owl"]) == "an owl"
    assert noun_phrase(["rain"]) == "rain" and noun_phrase(["sawing"]) == "sawing" and noun_phrase(["exotic", "birds"]) == "exotic birds"


def test_supertuxkart_layout(tmp_path):
    tone(tmp_path / "sfx/thunder.ogg")
    tone(tmp_path / "sfx/car_accel.ogg")
    tone(tmp_path / "sfx/energy_bar_full.ogg")
    tone(tmp_path / "music/main_theme.ogg")
    tone(tmp_path / "karts/tux/horn.ogg")
    assert captions(supertuxkart(tmp_path)) == {"karts__tux__horn": "Sound of a horn", "sfx__car_accel": "Sound of a car accelerating", "sfx__thunder": "Sound of thunder"}


def test_wesnoth_layout(tmp_path):
    tone(tmp_path / "horse-canter.wav")
    tone(tmp_path / "human-female-die-1.ogg")
    tone(tmp_path / "ambient/birds1.ogg")
    tone(tmp_path / "potion.ogg")
    tone(tmp_path / "miss-1.ogg")
    got = captions(wesnoth(tmp_path))
    assert got == {"ambient__birds1": "Sound of birds", "horse-canter": "Sound of a horse canter", "human-female-die-1": "Sound of a human female dying"}


def test_widelands_and_lmms_use_their_folder(tmp_path):
    tone(tmp_path / "wl/sound/animals/wolf_00.ogg")
    tone(tmp_path / "wl/sound/sawmill/sawmill_01.ogg")
    tone(tmp_path / "wl/sound/message_00.ogg")
    tone(tmp_path / "wl/music/intro.ogg")
    assert sorted(captions(widelands(tmp_path / "wl")).values()) == ["Sound of a sawmill", "Sound of a wolf"]
    tone(tmp_path / "lm/drums/snare01.ogg")
    tone(tmp_path / "lm/effects/wind_chimes01.ogg")
    tone(tmp_path / "lm/waveforms/saw.wav")
    tone(tmp_path / "lm/drumsynth/tr808/kick.wav")
    assert sorted(captions(lmms(tmp_path / "lm")).values()) == ["Sound of a snare", "Sound of wind chimes"]


def test_freedesktop_and_asterisk(tmp_path):
    tone(tmp_path / "fd/phone-incoming-call.oga")
    tone(tmp_path / "fd/audio-volume-change.oga")
    assert list(captions(freedesktop(tmp_path / "fd")).values()) == ["Sound of a phone incoming call"]
    tone(tmp_path / "ast/digits/7.wav")
    tone(tmp_path / "ast/digits/40.wav")
    tone(tmp_path / "ast/letters/q.wav")
    tone(tmp_path / "ast/vm-goodbye.wav")
    source = AsteriskSpeech(tmp_path / "ast")
    assert captions(source) == {"digits__40": "Sound of a woman saying the word forty", "digits__7": "Sound of a woman saying the word seven",
                                "letters__q": "Sound of a woman saying the letter Q"}
    assert source.requires == {"asterisk-core-sounds-en-wav": str(tmp_path / "ast")}


def test_openarena_reads_sounds_inside_pk3_archives(tmp_path):
    buffer = io.BytesIO()
    sf.write(buffer, (0.3 * np.sin(np.arange(11025) / 3)).astype(np.float32), 22050, format="WAV")
    with zipfile.ZipFile(tmp_path / "pak0.pk3", "w") as z:
        z.writestr("sound/player/sarge/death1.wav", buffer.getvalue())
        z.writestr("sound/weapons/shotgun/sshotf1b.wav", buffer.getvalue())
        z.writestr("sound/misc/menu1.wav", buffer.getvalue())
        z.writestr("textures/wall.jpg", b"jpeg")
    source = OpenArena(tmp_path)
    items = list(source.items(set()))
    assert [i.text for i in items] == ["Sound of a person's death scream", "Sound of a shotgun blast"]
    assert items[0].sample_rate == 16000 and len(items[0].samples) == 8000
    assert openarena_caption("sound/world/fire1.wav") == ("fire", "Sound of fire") and openarena_caption("sound/misc/menu1.wav") is None
    assert "apt-get install openarena-data" in OpenArena(tmp_path / "none").available()


def test_hedgewars_effects_and_voice_packs(tmp_path):
    from synthio.pretraining.corpus.effects import Hedgewars

    tone(tmp_path / "shotgunfire.ogg")
    tone(tmp_path / "countdown1.ogg")
    tone(tmp_path / "voices/Pirate/Hello.ogg")
    tone(tmp_path / "voices/Pirate/Ow2.ogg")
    tone(tmp_path / "voices/Default_ru/Hello.ogg")
    assert captions(Hedgewars(tmp_path)) == {"shotgunfire": "Sound of a shotgun firing", "voices__Pirate__Hello": "Sound of a cartoon pirate voice exclaiming",
                                            "voices__Pirate__Ow2": "Sound of a cartoon pirate voice groaning in pain"}
