import csv

from synthio.pretraining.corpus.base import build_corpus
from synthio.pretraining.corpus.folder import fsdd, urbansound8k
from tests.conftest import make_folder, write_metadata


def test_urbansound8k_reads_only_folds_1_and_2(tmp_path):
    root = make_folder(tmp_path / "urbansound8k", {"dog_bark": 4})
    rows = []
    for i, row in enumerate(csv.DictReader(open(root / "metadata.csv"))):
        row["fold"] = str([1, 2, 3, 10][i])
        rows.append(row)
    write_metadata(root, rows)
    out = build_corpus([urbansound8k(tmp_path)], tmp_path / "corpus")
    built = list(csv.DictReader(open(out / "metadata.csv")))
    assert len(built) == 2 and all(r["caption"].startswith("Sound of a dog bark") for r in built)


def test_fsdd_reads_only_pretraining_speakers(tmp_path):
    root = make_folder(tmp_path / "fsdd", {"7": 6})
    speakers = ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"]
    rows = [dict(r, speaker=s) for r, s in zip(csv.DictReader(open(root / "metadata.csv")), speakers)]
    write_metadata(root, rows)
    out = build_corpus([fsdd(tmp_path)], tmp_path / "corpus")
    built = list(csv.DictReader(open(out / "metadata.csv")))
    assert len(built) == 4 and built[0]["caption"].startswith("Sound of a 7, a voice saying seven")


def test_missing_folder_is_reported(tmp_path):
    assert "metadata.csv not found" in urbansound8k(tmp_path).available()
