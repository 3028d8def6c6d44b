"""The executors of ``synthio augment``: a Ray run equals the local run, survives a killed worker and resumes after a killed driver.

The Ray tests share one local cluster (``ray.init(num_cpus=2)``) and skip when Ray is not installed.
"""

import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import synthio.executor as executor_module
import synthio.pipeline as augment
from synthio.audio import read_audio
from synthio.executor import LocalExecutor, ModelRecipe, RayExecutor, RayUnavailable, connect_ray
from synthio.t2a.lora import lora_state_dict, save_lora
from tests.align.helpers import small_t2a
from tests.conftest import make_folder

pytestmark = pytest.mark.filterwarnings("ignore")
ROOT = Path(__file__).parents[1]
ROUND_0_CLIPS = 12
BATCH_SIZE = 2


def config(data: Path, out: Path, **settings) -> augment.AugmentConfig:
    """Four real clips x 3, no LLM and no alignment (both run in the driver alone), one reflection round, the margin rule."""
    base = dict(n=4, factor=3, sample_steps=2, batch_size=BATCH_SIZE, captions="compose", align="none", filter_rule="margin", threshold=0.0, reflection_rounds=1, report=False, verdict=False)
    return augment.AugmentConfig(data_dir=data, out=out, **{**base, **settings})


class DiesOnce:
    """A T2A whose worker process kills itself at its second batch, once per run (``marker`` remembers)."""

    def __init__(self, t2a, marker: Path):
        self.t2a, self.marker, self.calls = t2a, marker, 0

    def __getattr__(self, name):
        return getattr(self.t2a, name)

    def sample(self, *args):
        self.calls += 1
        if self.calls == 2 and not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return self.t2a.sample(*args)


class StallsAfterFirst:
    """A T2A that answers its first batch and then never returns (the driver is killed while it waits)."""

    def __init__(self, t2a):
        self.t2a, self.calls = t2a, 0

    def __getattr__(self, name):
        return getattr(self.t2a, name)

    def sample(self, *args):
        self.calls += 1
        while self.calls > 1:
            time.sleep(1.0)
        return self.t2a.sample(*args)


def worker_t2a(wrap):
    """A ``load_t2a`` stand-in: the small T2A in this process, ``wrap(small T2A)`` in any other (the Ray workers)."""
    driver = os.getpid()
    return lambda spec: small_t2a() if os.getpid() == driver else wrap(small_t2a())


def child() -> None:
    """The driver that the kill test runs and kills: ``python -c 'from tests.test_executor import child; child()' DATA OUT ADDRESS``."""
    data, out, address = sys.argv[1:4]
    augment.load_t2a = worker_t2a(StallsAfterFirst)
    augment.augment_dataset(config(Path(data), Path(out), executor="ray", ray_address=address, ray_actors=1))


def manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def log_rows(out: Path) -> list[dict]:
    """The event log's complete lines (a running driver may be halfway through appending the last one)."""
    path = out / "work/events.jsonl"
    text = path.read_text() if path.exists() else ""
    return [json.loads(line) for line in text.split("\n")[:-1]]


def assert_same_output(out: Path, reference: Path) -> None:
    """Same clips in the same order, once each, with the same captions, labels, seeds and verdicts; scores and audio equal within float tolerance."""
    rows, expected = manifest(out), manifest(reference)
    assert [r["id"] for r in rows] == [r["id"] for r in expected]
    assert len({r["id"] for r in rows}) == len(rows) and sum(r["round"] == 0 for r in rows) == ROUND_0_CLIPS
    events = log_rows(out)
    assert sorted(r["id"] for r in events if r["event"] == "generated") == sorted(r["id"] for r in rows)
    assert sorted(r["id"] for r in events if r["event"] == "scored") == sorted(r["id"] for r in rows)
    for row, want in zip(rows, expected):
        assert {k: row[k] for k in ("caption", "label", "seed", "round", "parent_id", "kept")} == {k: want[k] for k in ("caption", "label", "seed", "round", "parent_id", "kept")}
        assert row["clap_score"] == pytest.approx(want["clap_score"], abs=1e-5) and row["clap_margin"] == pytest.approx(want["clap_margin"], abs=1e-5)
        np.testing.assert_allclose(read_audio(out / "work" / row["file"], 16000), read_audio(reference / "work" / want["file"], 16000), atol=1e-4)
    assert sorted(p.name for p in (out / "audio").iterdir()) == sorted(p.name for p in (reference / "audio").iterdir())


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("executor") / "data", {"low": 4, "high": 4}, seconds=0.4)


@pytest.fixture(scope="module")
def local_run(data) -> Path:
    """The reference: the same settings with the local executor."""
    out = data.parent / "local"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(augment, "load_t2a", lambda spec: small_t2a())
        summary = augment.augment_dataset(config(data, out))
    assert 0 < summary["rounds"]["0"]["kept"] < ROUND_0_CLIPS and summary["rounds"]["1"]["generated"] > 0
    return out


@pytest.fixture(scope="module")
def cluster() -> str:
    """A local Ray cluster with 2 CPUs for the module's tests; its address."""
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'synthio[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def test_importing_synthio_never_imports_ray():
    code = "import sys, synthio, synthio.api, synthio.cli, synthio.executor, synthio.pipeline; print('ray' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_executor_ray_without_ray_names_the_install_command(data, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(RayUnavailable, match=r"pip install 'synthio\[ray\]'"):
        connect_ray(None)
    with pytest.raises(RayUnavailable, match="not installed"):
        augment.augment_dataset(config(data, tmp_path / "out", executor="ray"))
    assert not (tmp_path / "out").exists()


def test_executor_settings_do_not_change_the_output_fingerprint(data, tmp_path):
    plain = config(data, tmp_path / "out")
    ray = config(data, tmp_path / "out", executor="ray", ray_address="auto", ray_actors=3, ray_cpus_per_actor=2.0, ray_gpus_per_actor=0.5)
    assert ray.output_settings() == plain.output_settings()
    assert config(data, tmp_path / "out", factor=2).output_settings() != plain.output_settings()


def test_the_local_executor_runs_every_batch_in_order():
    assert list(LocalExecutor().map("t2a", 10, lambda model, batch: model + batch, [1, 2, 3])) == [(0, 11), (1, 12), (2, 13)]


def test_the_t2a_recipe_builds_the_aligned_model(data, tmp_path, monkeypatch):
    """A Ray actor's T2A carries the aligned adapter: its LoRA tensors and its samples equal the driver's aligned model's."""
    aligned = small_t2a()
    aligned.add_lora(rank=augment.AlignTrainConfig().lora_rank)
    for name, parameter in aligned.network.named_parameters():
        if "lora_" in name:
            parameter.data.normal_(0.0, 0.1)
    run = config(data, tmp_path / "out", align="dpo")
    save_lora(aligned.network, augment.adapter_file(tmp_path / "out/work", "dpo"))
    monkeypatch.setattr(augment, "load_t2a", lambda spec: small_t2a())
    built = augment.model_recipes(run)["t2a"].load()
    for name, tensor in lora_state_dict(aligned.network).items():
        assert torch_equal(lora_state_dict(built.network)[name], tensor)
    args = (["Sound of a low"], [0.4], 2, 5.0, [7])
    np.testing.assert_allclose(built.sample(*args)[0], aligned.sample(*args)[0], atol=1e-5)
    assert not np.allclose(small_t2a().sample(*args)[0], aligned.sample(*args)[0], atol=1e-3)


def torch_equal(a, b) -> bool:
    return bool((a == b).all())


class FakeRay:
    """The calls a pool plan makes, on a cluster of ``cpus`` CPUs and ``gpus`` GPUs (``free``: what other jobs leave free, default all)."""

    def __init__(self, cpus: float, gpus: float = 0.0, free: dict | None = None):
        self.resources, self.killed = {"CPU": cpus, "GPU": gpus}, []
        self.free = free if free is not None else dict(self.resources)

    def cluster_resources(self):
        return {k: v for k, v in self.resources.items() if v}

    def available_resources(self):
        return {k: v for k, v in self.free.items() if v}

    def kill(self, actor, no_restart=True):
        self.killed.append(actor)


def fake_executor(monkeypatch, ray: FakeRay, **settings) -> RayExecutor:
    monkeypatch.setattr(executor_module, "import_ray", lambda: ray)
    return RayExecutor(lambda: {"t2a": ModelRecipe(small_t2a), "clap": ModelRecipe(small_t2a, device="cpu")}, **settings)


def test_pools_share_the_cluster_when_both_fit_and_take_turns_when_not(monkeypatch):
    ray = FakeRay(cpus=2)
    executor = fake_executor(monkeypatch, ray)
    t2a = executor._pool("t2a")
    t2a.actors.extend(["a", "b"])
    assert t2a.size == 2 and t2a.gpus == 0
    assert list(executor.map("clap", None, None, iter([]))) == [] and ray.killed == []
    assert executor._pool("clap").size == 2 and ray.killed == ["a", "b"] and list(executor.pools) == ["clap"]
    ray = FakeRay(cpus=2)
    executor = fake_executor(monkeypatch, ray, actors=1)
    executor._pool("t2a").actors.append("a")
    executor._pool("clap").actors.append("c")
    assert ray.killed == [] and set(executor.pools) == {"t2a", "clap"}
    executor.close()
    assert sorted(ray.killed) == ["a", "c"] and executor.pools == {}


def test_gpu_pools_take_one_gpu_per_actor_unless_told_and_cuda_needs_a_gpu(monkeypatch):
    executor = fake_executor(monkeypatch, FakeRay(cpus=16, gpus=4))
    t2a, clap = executor._plan("t2a"), executor._plan("clap")
    assert (t2a.size, t2a.gpus) == (4, 1.0) and (clap.gpus, clap.size) == (0.0, 16)
    shared = fake_executor(monkeypatch, FakeRay(cpus=16, gpus=4), gpus_per_actor=0.5, actors=4)
    assert shared._plan("t2a").gpus == 0.5 and shared._plan("t2a").size == 4
    monkeypatch.setattr(executor_module, "import_ray", lambda: FakeRay(cpus=4))
    cuda = RayExecutor(lambda: {"t2a": ModelRecipe(small_t2a, device="cuda")})
    with pytest.raises(RayUnavailable, match="has no GPU"):
        cuda._plan("t2a")


def test_gpu_pools_get_no_more_actors_than_the_cpus_or_the_free_resources_hold(monkeypatch):
    """2 CPUs and 4 GPUs hold two GPU actors of one CPU each, not four (two of which could never start)."""
    executor = fake_executor(monkeypatch, FakeRay(cpus=2, gpus=4))
    assert executor._plan("t2a").size == 2 and executor._pool("t2a").size == 2
    assert fake_executor(monkeypatch, FakeRay(cpus=2, gpus=4), cpus_per_actor=0.5)._plan("t2a").size == 4
    busy = fake_executor(monkeypatch, FakeRay(cpus=16, gpus=4, free={"CPU": 16, "GPU": 1}))
    assert busy._plan("t2a").size == 4 and busy._pool("t2a").size == 1


@pytest.mark.slow
def test_ray_batches_go_to_the_free_actors_and_come_back_in_order(cluster):
    executor = RayExecutor(lambda: {"echo": ModelRecipe(functools.partial(str, "model"), device="cpu")}, actors=2)
    try:
        results = list(executor.map("echo", None, lambda model, batch: (time.sleep(0.3 * (batch % 2)), (model, batch, os.getpid()))[1], iter(range(7))))
    finally:
        executor.close()
    assert [(i, model, batch) for i, (model, batch, _) in results] == [(i, "model", i) for i in range(7)]
    assert len({pid for _, (_, _, pid) in results}) == 2 and os.getpid() not in {pid for _, (_, _, pid) in results}


@pytest.mark.slow
def test_batches_never_wait_on_an_actor_that_cannot_start(cluster, monkeypatch):
    """A pool of 3 one-CPU actors on the 2-CPU cluster: the third never starts, is dropped, and every batch still comes back; a pool none of whose actors fits is an error."""
    monkeypatch.setattr(executor_module, "ACTOR_START_SECONDS", 20.0)
    executor = RayExecutor(lambda: {"echo": ModelRecipe(functools.partial(str, "model"), device="cpu")})
    executor._recipes = executor.recipes()
    executor.pools["echo"] = executor_module._Pool(3, 1.0, 0.0, [])
    try:
        results = list(executor.map("echo", None, lambda model, batch: (model, batch, os.getpid()), iter(range(9))))
        assert [(i, model, batch) for i, (model, batch, _) in results] == [(i, "model", i) for i in range(9)]
        assert len({pid for _, (_, _, pid) in results}) == 2 and executor.pools["echo"].size == 2
    finally:
        executor.close()
    monkeypatch.setattr(executor_module, "ACTOR_START_SECONDS", 1.0)
    executor.pools["echo"] = executor_module._Pool(1, 3.0, 0.0, [])
    try:
        with pytest.raises(RayUnavailable, match="no Ray echo actor started within 1 s"):
            list(executor.map("echo", None, lambda model, batch: batch, iter(range(2))))
    finally:
        executor.close()


@pytest.mark.slow
def test_a_ray_run_equals_the_local_run_though_its_driver_and_a_worker_are_killed(cluster, data, local_run, tmp_path, monkeypatch):
    """A T2A and a CLAP actor (a CPU each); the driver is SIGKILLed while its T2A worker holds batch 2; the rerun's T2A worker kills its own process at its batch 2 and is restarted."""
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-c", "from tests.test_executor import child; child()", str(data), str(out), cluster]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while process.poll() is None and len(log_rows(out)) < BATCH_SIZE and time.time() < deadline:
        time.sleep(0.05)
    running = process.poll() is None
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate()
    assert running, stderr.decode()[-2000:]
    assert [r["event"] for r in log_rows(out)] == ["generated"] * BATCH_SIZE and not (out / "run.json").exists()
    marker = tmp_path / "worker-died"
    monkeypatch.setattr(augment, "load_t2a", worker_t2a(lambda t2a: DiesOnce(t2a, marker)))
    summary = augment.augment_dataset(config(data, out, executor="ray", ray_actors=1))
    assert marker.exists() and int(marker.read_text()) != os.getpid()
    assert summary["generated"] == len(manifest(local_run))
    assert_same_output(out, local_run)
