import shutil
import subprocess

import numpy as np
import pytest

from synthio.pretraining.corpus.espeak import DIGITS, Espeak, Utterance, playable, utterances, voice_names


def test_captions_name_speaker_words_accent_pitch_and_speed():
    assert Utterance("seven", "en-gb-scotland", "f3", "in a high voice", "fast").text == "Sound of a woman saying the word seven, with a Scottish accent, in a high voice, fast"
    assert Utterance("good morning", "en-us", "whisper", "", "").text == 'Sound of a man whispering "good morning", with an American accent'
    assert Utterance("good morning", "en-us", "m1", "", "slowly").label == "speech"
    assert Utterance("seven", "en-us", "m1", "", "").key == "seven__en-us+m1_p50_s175"
    assert Utterance("seven", "en-us", "grandpa", "", "").text == "Sound of an old man saying the word seven, with an American accent"


def test_plan_covers_every_digit_setting_and_rotates_the_rest():
    plan = utterances(words=["yes"], phrases=["good night"], accents={"en-us": "an American accent"}, variants={"m1": "man", "f1": "woman"})
    digits = [u for u in plan if u.words in DIGITS]
    assert len(digits) == 10 * 2 * 9 and len({(u.words, u.variant, u.pitch, u.speed) for u in digits}) == len(digits)
    rest = [u for u in plan if u.words not in DIGITS]
    assert [(u.words, u.variant) for u in rest] == [("yes", "m1"), ("yes", "f1"), ("good night", "m1"), ("good night", "f1")]
    assert len({(u.pitch, u.speed) for u in rest}) == 3  # consecutive voices take consecutive settings
    assert len(set(u.key for u in utterances())) == len(utterances()) == 17280


def test_unavailable_without_binary(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert "apt-get install espeak-ng" in Espeak().available()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed (apt-get install espeak-ng)")
def test_renders_speech_at_16k():
    items = list(Espeak([Utterance("seven", "en-us", "f3", "in a high voice", "fast"), Utterance("seven", "en-us", "m1", "in a low voice", "slowly")]).items(set()))
    assert [i.sample_rate for i in items] == [16000, 16000]
    assert all(abs(i.samples).max() > 0.05 for i in items)
    assert len(items[1].samples) > len(items[0].samples)  # slow speech lasts longer than fast speech


LANGUAGES = """Pty Language       Age/Gender VoiceName          File                 Other Languages
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)
 5  en-gb-scotland  --/M      English_(Scotland) gmw/en-GB-scotland   (en 4)
"""
VARIANT_LISTING = """Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  variant         --/M      Alex               !v/Alex
 5  variant         70/M      male1              !v/m1
 5  variant         --/F      female_whisper     !v/whisperf
"""


def test_voices_this_espeak_lacks_are_left_out():
    installed = voice_names(LANGUAGES) | voice_names(VARIANT_LISTING)
    assert installed == {"en-gb", "en-us", "en-gb-scotland", "alex", "m1", "whisperf"}
    plan = utterances(digits=["one"], words=[], phrases=[], accents={"en-us": "an American accent", "en-us-nyc": "a New York accent"}, variants={"m1": "man", "f1": "woman"})
    kept, missing = playable(plan, installed)
    assert missing == ["en-us-nyc", "f1"] and {(u.accent, u.variant) for u in kept} == {("en-us", "m1")} and len(kept) == 9


def test_a_voice_that_fails_to_render_is_skipped_not_fatal(monkeypatch, capsys):
    plan = [Utterance("seven", "en-us", "m1", "", ""), Utterance("seven", "en-us", "f1", "", ""), Utterance("seven", "en-us-nyc", "m1", "", "")]
    source = Espeak(plan)
    source._installed = {"en-us", "m1", "f1"}

    def render(utterance):
        if utterance.variant == "f1":
            raise subprocess.CalledProcessError(1, ["espeak-ng"], stderr="Failed to read voice 'en-us+f1'")
        return np.full(16000, 0.1, dtype=np.float32)

    monkeypatch.setattr(source, "render", render)
    assert source.keys() == [plan[0].key, plan[1].key]
    assert [item.key for item in source.items(set())] == [plan[0].key]
    err = " ".join(capsys.readouterr().err.split())
    assert "lacks: en-us-nyc (1 utterances" in err and "Failed to read voice 'en-us+f1'" in err
