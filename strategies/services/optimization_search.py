"""Bayesian parameter search with Optuna (TPE), its trials executed like grid trials (Celery or locally).

The study lives in Optuna's RDB storage next to the project's data:

* **PostgreSQL**: the project's database, in its own schema ``optuna`` (Optuna's tables have fixed names;
  a schema keeps them apart from Django's and lets several worker machines share one study);
* **SQLite** (the embedded mode): a separate file beside the database (``<database>.optuna.sqlite3``, or
  ``$JUTSU_DATA_DIR/optuna.sqlite3`` for an in-memory database) — SQLite serialises writers, and a file of
  its own keeps Optuna's connections from holding locks on Django's.

Trials are asked in **batches** (``batch_size``, default 4): a batch is asked only when the previous one has
finished and been told to the study, and the sampler is seeded per batch from the run's seed and the number
of trials asked so far. Which worker finishes first therefore never changes what is suggested next: a
search is reproducible for a given seed and batch size, however many workers run it. A suggestion equal to
an earlier trial is answered with that trial's value (no second backtest, no second row).

:func:`search_advance` runs after every trial, serialised per run (it starts with a write to the run's
row, which PostgreSQL row-locks and SQLite serialises); it also re-creates the rows of trials the study
asked for but a crash kept from being stored, so a search resumes like a grid.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

from strategies.engine.optimize import param_key
from strategies.models import OptimizationRun, OptimizationTrial, TrialStatus

logger = logging.getLogger(__name__)
optuna.logging.set_verbosity(optuna.logging.WARNING)

SCHEMA = "optuna"
_storages: dict[str, optuna.storages.RDBStorage] = {}


def search_range_from_text(text: str) -> dict[str, Any]:
    """A search dimension written as text: ``low:high`` or ``low:high:step`` → a numeric range,
    ``a,b,c`` → choices. The values stay text: the strategy's parameter specs convert and check them.

    Raises ``ValueError`` naming the text when it is neither.
    """
    value = text.strip()
    if ":" in value:
        parts = [part.strip() for part in value.split(":")]
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"{text!r}: write low:high or low:high:step")
        return dict(zip(("low", "high", "step"), parts, strict=False))
    choices = [choice.strip() for choice in value.split(",") if choice.strip()]
    if not choices:
        raise ValueError(f"{text!r}: write low:high, low:high:step or a list of choices a, b, c")
    return {"choices": choices}


def search_study_name() -> str:
    """A fresh, globally unique study name (ids of runs repeat across databases, e.g. in tests)."""
    return f"jutsu-{uuid.uuid4().hex}"


def _storage() -> optuna.storages.RDBStorage:
    """Optuna's RDB storage for this database (see the module docstring), one per process."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        from sqlalchemy.engine import URL

        url = URL.create(
            "postgresql+psycopg2",
            username=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=int(db["PORT"]) if db.get("PORT") else None,
            database=db["NAME"],
        ).render_as_string(hide_password=False)
        engine_kwargs = {"connect_args": {"options": f"-csearch_path={SCHEMA}"}, "pool_pre_ping": True}
        key = f"{url}#{SCHEMA}"
        if key not in _storages:
            _schema_create(url)
    else:
        name = str(db["NAME"])
        in_memory = name == ":memory:" or name.startswith("file:") or "mode=memory" in name
        path = Path(settings.JUTSU_DATA_DIR) / "optuna.sqlite3" if in_memory else Path(f"{name}.optuna.sqlite3")
        url, engine_kwargs = f"sqlite:///{path}", {"connect_args": {"timeout": 30}}
        key = url
    storage = _storages.get(key)
    if storage is None:
        storage = _storages[key] = optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs)
    return storage


def _schema_create(url: str) -> None:
    """``CREATE SCHEMA IF NOT EXISTS optuna`` on a connection of its own, committed at once (Django's
    connection may be inside a transaction that Optuna's connections cannot see)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
    finally:
        engine.dispose()


def search_storages_close() -> None:
    """Close Optuna's pooled connections in this process (tests drop their database afterwards)."""
    for storage in _storages.values():
        storage.engine.dispose()
    _storages.clear()


def search_storage_label() -> str:
    """Where studies are stored, without credentials (for the run's options and the README)."""
    return f"PostgreSQL schema {SCHEMA}" if connection.vendor == "postgresql" else "SQLite file beside the database"


def _distributions(space: dict[str, Any]) -> dict[str, BaseDistribution]:
    out: dict[str, BaseDistribution] = {}
    for name, rng in space.items():
        if "choices" in rng:
            out[name] = CategoricalDistribution(list(rng["choices"]))
        elif rng.get("type") == "int":
            out[name] = IntDistribution(
                int(rng["low"]), int(rng["high"]), step=int(rng.get("step") or 1), log=bool(rng.get("log"))
            )
        else:
            step = None if rng.get("log") else rng.get("step")
            out[name] = FloatDistribution(float(rng["low"]), float(rng["high"]), step=step, log=bool(rng.get("log")))
    return out


def _batch_seed(seed: int, asked: int) -> int:
    return int(np.random.SeedSequence([int(seed), int(asked)]).generate_state(1)[0])


def _params(trial) -> dict[str, Any]:
    return {name: (value.item() if isinstance(value, np.generic) else value) for name, value in trial.params.items()}


def search_advance(run: OptimizationRun) -> list[int]:
    """Tell finished trials to the study; once a batch is done, ask the next one. Returns new trial row ids."""
    options = run.options
    with transaction.atomic():
        OptimizationRun.objects.filter(pk=run.pk).update(status=F("status"))  # serialise advancers of this run
        storage = _storage()
        sampler = optuna.samplers.TPESampler(seed=_batch_seed(options["seed"], _asked(storage, options["study"])))
        study = optuna.create_study(
            study_name=options["study"], storage=storage, direction="maximize", sampler=sampler, load_if_exists=True
        )
        rows = {
            t.number: t for t in OptimizationTrial.objects.filter(run_id=run.pk).defer("dates", "equity", "metrics")
        }
        frozen = {t.number: t for t in study.get_trials(deepcopy=False)}
        for number, row in rows.items():
            trial = frozen.get(number)
            if trial is None or trial.state != TrialState.RUNNING:
                continue
            if row.status == TrialStatus.COMPLETED and row.value is not None:
                study.tell(number, row.value)
            elif row.status in (TrialStatus.COMPLETED, TrialStatus.FAILED):
                study.tell(number, state=TrialState.FAIL)
        if any(row.status in (TrialStatus.PENDING, TrialStatus.RUNNING) for row in rows.values()):
            return []
        distributions = _distributions(run.space)
        created = [
            _row(run, trial.number, _params(trial))
            for number, trial in frozen.items()
            if trial.state == TrialState.RUNNING and number not in rows  # asked, but its row was never stored
        ]
        if created:
            return [row.pk for row in created if row is not None]
        asked = len(frozen)
        if asked >= int(options["n_trials"]):
            return []
        by_key = {row.key: row for row in rows.values()}
        for _ in range(min(int(options["batch_size"]), int(options["n_trials"]) - asked)):
            trial = study.ask(distributions)
            params = _params(trial)
            earlier = by_key.get(param_key(params))
            if earlier is not None:  # a repeated suggestion: answer it from the earlier trial
                if earlier.status == TrialStatus.COMPLETED and earlier.value is not None:
                    study.tell(trial.number, earlier.value)
                else:
                    study.tell(trial.number, state=TrialState.FAIL)
                continue
            row = _row(run, trial.number, params)
            by_key[row.key] = row
            created.append(row)
    return [row.pk for row in created]


def _asked(storage, name: str) -> int:
    """How many trials the study has asked for (0 before it exists)."""
    try:
        study_id = storage.get_study_id_from_name(name)
    except KeyError:
        return 0
    return len(storage.get_all_trials(study_id, deepcopy=False))


def _row(run: OptimizationRun, number: int, params: dict[str, Any]) -> OptimizationTrial:
    return OptimizationTrial.objects.create(run=run, number=number, key=param_key(params), params=params)


def search_exhausted(run: OptimizationRun) -> bool:
    """True once the study has been asked for every trial of the budget."""
    return _asked(_storage(), run.options["study"]) >= int(run.options["n_trials"])
