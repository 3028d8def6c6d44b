from synthio.manifest import EventLog


def test_events_merge_per_clip_and_a_torn_last_line_is_cut(tmp_path):
    log = EventLog(tmp_path / "events.jsonl")
    assert log.load() == {}
    log.append([{"id": "a", "event": "generated", "file": "a.wav"}, {"id": "b", "event": "generated", "file": "b.wav"}])
    log.append([{"id": "a", "event": "scored", "clap_score": 0.9}])
    with open(log.path, "a") as f:
        f.write('{"id": "b", "event": "sco')
    state = log.load()
    assert state == {"a": {"id": "a", "event": "scored", "file": "a.wav", "clap_score": 0.9}, "b": {"id": "b", "event": "generated", "file": "b.wav"}}
    assert log.path.read_text().endswith("}\n")
    log.append([{"id": "b", "event": "scored", "clap_score": 0.1}])
    assert log.load()["b"]["clap_score"] == 0.1
