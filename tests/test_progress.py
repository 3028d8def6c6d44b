from synthio.progress import say, track


def test_say_never_parses_markup(capsys):
    say("error:", "file [/weird] [red]name.wav")
    assert "file [/weird] [red]name.wav" in capsys.readouterr().err


def test_track_yields_everything():
    assert list(track(range(5), "counting")) == [0, 1, 2, 3, 4]
    assert list(track((i for i in range(3)), "generator")) == [0, 1, 2]
