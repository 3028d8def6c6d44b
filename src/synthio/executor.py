"""Where the pipeline's batched model work runs: in this process (``local``) or on a Ray cluster (``ray``).

Generation and CLAP scoring hand an executor their batches and a task (``task(model, batch)``, a
picklable function); the executor yields ``(index, result)`` for every batch, in batch order,
and the pipeline writes each batch's files and log events as it arrives. Only the driver writes
files and appends to the event log, so a Ray run keeps the local run's exactly-once and resume
guarantees, and its log (and output) lists the clips in the same order as a local run's.

``local`` runs each task on the model already loaded in this process. ``ray`` keeps a pool of
actors per model kind (``t2a``, ``clap``), each actor holding one model built from a picklable
recipe (``ModelRecipe``: the backend spec, plus the aligned adapter's bytes for the T2A). A pool
gets no more actors than the cluster's free CPUs and GPUs hold; batches go only to actors that have
started (an actor that cannot start within ``ACTOR_START_SECONDS`` is dropped, and a pool with none
is a ``RayUnavailable``), to whichever frees up first (two in flight per actor); results are returned to the driver
as arrays, so the work folder need not be shared with the cluster. An actor whose process dies is
restarted by Ray (it rebuilds its model) and its unfinished batches are retried. Ray is imported
only here, and only when a Ray executor is opened.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from synthio.errors import SynthioError
from synthio.progress import say

ExecutorName = Literal["local", "ray"]
IN_FLIGHT_PER_ACTOR = 2
MAX_RESTARTS = 3
ACTOR_START_SECONDS = 300.0
INSTALL_HINT = "pip install 'synthio[ray]' (or pip install 'ray[default]')"


class RayUnavailable(SynthioError, RuntimeError):
    """``executor: ray`` where Ray is not installed, cannot be reached, or cannot hold the configured actors."""


@dataclass(frozen=True)
class ModelRecipe:
    """How a worker builds one model: ``load()`` (picklable; reads only local paths) for a spec ``device`` (auto, cpu, cuda)."""

    load: Callable[[], Any]
    device: str = "auto"


class Executor(Protocol):
    def map(self, kind: str, model: Any, task: Callable[[Any, Any], Any], batches: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        """``(i, task(model, batch_i))`` for every batch, in order; ``model`` is this process's instance of model ``kind``."""
        ...


class LocalExecutor:
    """Every batch in this process, one after another, on the model already loaded here."""

    def map(self, kind: str, model: Any, task: Callable[[Any, Any], Any], batches: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        for index, batch in enumerate(batches):
            yield index, task(model, batch)


def sample_batch(t2a, batch: tuple) -> list:
    """Task: ``t2a.sample(prompts, seconds, steps, guidance, seeds[, init_audio, init_strength])`` for one batch (the init clips travel in it as arrays)."""
    prompts, seconds, steps, guidance, seeds, *init = batch
    if not init:
        return t2a.sample(prompts, seconds, steps, guidance, seeds)
    init_audio, init_strength = init
    return t2a.sample(prompts, seconds, steps, guidance, seeds, init_audio=init_audio, init_strength=init_strength)


def match_batch(clap, batch: tuple):
    """Task: the ``LabelMatch`` of one batch ``(waveforms, sample_rate, labels)``."""
    from synthio.filter import label_match

    return label_match(clap, *batch)


def import_ray():
    """The ``ray`` module, or a ``RayUnavailable`` with the install command."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable(f"executor: ray needs Ray, which is not installed in this environment: {INSTALL_HINT}; or use executor: local") from None
    return ray


def connect_ray(address: str | None):
    """Join the Ray cluster at ``address`` (``auto``, ``HOST:PORT``; None: ``$RAY_ADDRESS``, a cluster running here, else a new local one) unless this process has joined one already."""
    ray = import_ray()
    if not ray.is_initialized():
        try:
            ray.init(address=address)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise RayUnavailable(f"cannot join the Ray cluster at ray_address={address!r}: {error}. Start one with `ray start --head` (then ray_address: auto), or unset ray_address (and RAY_ADDRESS) to start a local one") from None
    return ray


class ModelActor:
    """A Ray actor holding one model, built from its recipe in the actor's own process at its first batch."""

    def __init__(self, recipe: ModelRecipe, threads: int):
        import torch

        torch.set_num_threads(threads)
        self.recipe, self.model = recipe, None

    def ready(self) -> int:
        """The actor's process id, once Ray has placed and started it."""
        return os.getpid()

    def run(self, task: Callable[[Any, Any], Any], batch: Any) -> Any:
        if self.model is None:
            self.model = self.recipe.load()
        return task(self.model, batch)


@dataclass
class _Pool:
    size: int
    cpus: float
    gpus: float
    actors: list
    started: list = field(default_factory=list)


class RayExecutor:
    """Actors per model kind on a Ray cluster; a kind's pool lives until another kind needs the room or the executor closes."""

    def __init__(self, recipes: Callable[[], dict[str, ModelRecipe]], actors: int | None = None, cpus_per_actor: float = 1.0, gpus_per_actor: float | None = None):
        self.ray = import_ray()
        self.recipes = recipes
        self._recipes: dict[str, ModelRecipe] | None = None
        self.actors, self.cpus_per_actor, self.gpus_per_actor = actors, cpus_per_actor, gpus_per_actor
        self.pools: dict[str, _Pool] = {}

    def close(self) -> None:
        """End every actor."""
        for kind in list(self.pools):
            self._release(kind)

    def _release(self, kind: str) -> None:
        for actor in self.pools.pop(kind).actors:
            self.ray.kill(actor, no_restart=True)

    def _plan(self, kind: str) -> _Pool:
        """The pool ``kind`` gets: one actor per GPU (or ``gpus_per_actor``) and per ``cpus_per_actor`` CPUs of the cluster; ``actors`` caps it."""
        if self._recipes is None:
            self._recipes = self.recipes()
        device = self._recipes[kind].device
        total = self.ray.cluster_resources()
        cluster_gpus, cluster_cpus = float(total.get("GPU", 0)), float(total.get("CPU", 0))
        if device.startswith("cuda") and cluster_gpus == 0:
            raise RayUnavailable(f"{kind}.device is {device}, but the Ray cluster has no GPU; set {kind}.device: auto (or cpu), or join a cluster with GPUs")
        gpus = 0.0 if device == "cpu" else (self.gpus_per_actor if self.gpus_per_actor is not None else (1.0 if cluster_gpus else 0.0))
        if gpus > cluster_gpus or self.cpus_per_actor > cluster_cpus:
            raise RayUnavailable(f"one {kind} actor needs {self.cpus_per_actor:g} CPU and {gpus:g} GPU, the Ray cluster has {cluster_cpus:g} CPU and {cluster_gpus:g} GPU; lower ray_cpus_per_actor / ray_gpus_per_actor")
        fits = fitting({"CPU": cluster_cpus, "GPU": cluster_gpus}, self.cpus_per_actor, gpus)
        size = max(1, min(self.actors, fits) if self.actors else fits)
        return _Pool(size, self.cpus_per_actor, gpus, [])

    def _pool(self, kind: str) -> _Pool:
        """``kind``'s pool; other kinds' pools are released first unless all fit on the cluster at once; no more actors than the free resources hold."""
        if kind in self.pools:
            return self.pools[kind]
        pool = self._plan(kind)
        total = self.ray.cluster_resources()
        others = list(self.pools.values())
        freed = {"CPU": 0.0, "GPU": 0.0}
        if sum(p.size * p.cpus for p in others) + pool.size * pool.cpus > total.get("CPU", 0) or sum(p.size * p.gpus for p in others) + pool.size * pool.gpus > total.get("GPU", 0):
            for other in list(self.pools):
                freed["CPU"] += len(self.pools[other].actors) * self.pools[other].cpus
                freed["GPU"] += len(self.pools[other].actors) * self.pools[other].gpus
                self._release(other)
        available = self.ray.available_resources()
        free = {name: float(available.get(name, 0)) + freed[name] for name in freed}
        pool.size = max(1, min(pool.size, fitting(free, pool.cpus, pool.gpus)))
        self.pools[kind] = pool
        return pool

    def _spawn(self, kind: str, pool: _Pool):
        actor_class = self.ray.remote(ModelActor).options(num_cpus=pool.cpus, num_gpus=pool.gpus, max_restarts=MAX_RESTARTS, max_task_retries=MAX_RESTARTS)
        actor = actor_class.remote(self._recipes[kind], max(1, int(pool.cpus)))
        pool.actors.append(actor)
        return actor

    def _start(self, kind: str, pool: _Pool) -> None:
        """Spawn ``pool``'s actors and wait up to ``ACTOR_START_SECONDS`` for them to start; drop those that do not, or raise if none does."""
        while len(pool.actors) < pool.size:
            self._spawn(kind, pool)
        waiting = {actor.ready.remote(): actor for actor in pool.actors if actor not in pool.started}
        if not waiting:
            return
        done, _ = self.ray.wait(list(waiting), num_returns=len(waiting), timeout=ACTOR_START_SECONDS)
        for ref in done:
            self._get(kind, ref)
            pool.started.append(waiting[ref])
        need = f"each needs {pool.cpus:g} CPU and {pool.gpus:g} GPU; the cluster has {self.ray.cluster_resources()} in all, {self.ray.available_resources()} free now"
        if not pool.started:
            raise RayUnavailable(f"no Ray {kind} actor started within {ACTOR_START_SECONDS:g} s ({need}): free the cluster, or lower ray_cpus_per_actor / ray_gpus_per_actor")
        unstarted = [actor for actor in pool.actors if actor not in pool.started]
        if unstarted:
            say(f"Ray {kind} actors:", f"{len(unstarted)} of {pool.size} did not start within {ACTOR_START_SECONDS:g} s ({need}); going on with {len(pool.started)}")
            for actor in unstarted:
                self.ray.kill(actor, no_restart=True)
            pool.actors, pool.size = list(pool.started), len(pool.started)

    def map(self, kind: str, model: Any, task: Callable[[Any, Any], Any], batches: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        """Dispatch batches to ``kind``'s started actors as they free up; yield results in batch order."""
        ray = self.ray
        source = enumerate(batches)
        first = next(source, None)
        if first is None:
            return
        source = itertools.chain([first], source)
        pool = self._pool(kind)
        self._start(kind, pool)
        pending: dict[Any, tuple[int, Any]] = {}
        ready: dict[int, Any] = {}
        idle: deque = deque()
        window = 2 * IN_FLIGHT_PER_ACTOR * pool.size

        def send(actor, item: tuple[int, Any]) -> None:
            pending[actor.run.remote(task, item[1])] = (item[0], actor)

        def submit(actor) -> bool:
            item = next(source, None)
            if item is not None:
                send(actor, item)
            return item is not None

        for slot in range(IN_FLIGHT_PER_ACTOR * pool.size):
            if not submit(pool.actors[slot % pool.size]):
                break
        following = 0
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                index, actor = pending.pop(ref)
                ready[index] = ref
                idle.append(actor)
            while following in ready:
                yield following, self._get(kind, ready.pop(following))
                following += 1
            while idle and len(pending) + len(ready) < window and submit(idle.popleft()):
                pass

    def _get(self, kind: str, ref) -> Any:
        """A batch's (or an actor's ``ready``) result; a worker that died more than ``MAX_RESTARTS`` times, or could not start, is a ``RayUnavailable``."""
        from ray.exceptions import RayActorError

        try:
            return self.ray.get(ref)
        except RayActorError as error:
            raise RayUnavailable(f"a Ray {kind} actor died (restarted up to {MAX_RESTARTS} times) or could not start: {error}. Clips finished so far are kept; rerun to resume") from None


def fitting(free: dict[str, float], cpus: float, gpus: float) -> int:
    """How many actors of ``cpus`` CPUs and ``gpus`` GPUs the resources ``free`` hold."""
    counts = [int(float(free.get(name, 0)) // need) for name, need in (("CPU", cpus), ("GPU", gpus)) if need > 0]
    return min(counts) if counts else 1


@contextmanager
def open_executor(name: ExecutorName, recipes: Callable[[], dict[str, ModelRecipe]], address: str | None = None, actors: int | None = None, cpus_per_actor: float = 1.0, gpus_per_actor: float | None = None) -> Iterator[Executor]:
    """The named executor for one run: ``ray`` joins (or starts) the cluster now and ends its actors on exit; ``recipes()`` is called at the first Ray batch."""
    if name == "local":
        yield LocalExecutor()
        return
    connect_ray(address)
    executor = RayExecutor(recipes, actors=actors, cpus_per_actor=cpus_per_actor, gpus_per_actor=gpus_per_actor)
    try:
        yield executor
    finally:
        executor.close()

