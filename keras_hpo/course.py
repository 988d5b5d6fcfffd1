"""Self-checks for the course assignments (``notebooks/assignments/``), in English or Spanish.

Each check looks at what the student built and returns a ``Feedback``: it reads
``✅ ...`` when the step is right, and ``❌ Not yet: <what is wrong>. Hint: <what
to try>`` (``❌ Todavía no: ... Pista: ...`` with ``lang="es"``) when it is not.
A check never raises on a wrong or missing answer (``None``, a wrong type, an
empty string): an unsolved notebook runs to the end and shows every hint. The
feedback is truthy only when the step passed, so ``assert check(...)`` works too.

>>> from keras_hpo import course
>>> course.check_answer("", lang="en")
❌ Not yet: the answer is empty or too short (0 words, at least 20 expected). Hint: ...
>>> bool(course.check_answer("", lang="es"))
False
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from .space import Fixed, Float, Int, Space

__all__ = ["Feedback", "check_space", "check_budget", "check_beats", "check_grid_vs_random", "check_distinct",
           "check_answer", "check_tuned", "check_important", "check_cv", "check_reevaluation", "check_verdict",
           "mystery", "MYSTERY_SPACE"]

_HEAD = {"en": ("✅ ", "❌ Not yet: ", " Hint: "), "es": ("✅ ", "❌ Todavía no: ", " Pista: ")}

# key -> language -> (message, hint); a message without a hint is a success
_TEXT: dict[str, dict[str, tuple[str, str]]] = {
    "not_space": {
        "en": ("`space` is {got}, not a search space.", "a dict such as {{'learning_rate': kh.Float(1e-4, 1e-1, log=True), 'units': [32, 64, 128]}}."),
        "es": ("`space` es {got}, no un espacio de búsqueda.", "un dict como {{'learning_rate': kh.Float(1e-4, 1e-1, log=True), 'units': [32, 64, 128]}}.")},
    "bad_space": {
        "en": ("the space is not valid: {error}", "read the message; each range needs low < high, log scales need low > 0."),
        "es": ("el espacio no es válido: {error}", "lee el mensaje; cada rango necesita low < high, la escala log necesita low > 0.")},
    "few_searched": {
        "en": ("only {n} hyperparameter(s) vary ({names}); at least {need} should.", "a list, kh.Int or kh.Float searches a parameter; a plain value fixes it."),
        "es": ("solo varían {n} hiperparámetro(s) ({names}); deberían variar al menos {need}.", "una lista, kh.Int o kh.Float busca un parámetro; un valor suelto lo fija.")},
    "space_ok": {"en": ("the space searches {names}.", ""), "es": ("el espacio busca {names}.", "")},
    "not_result": {
        "en": ("`{name}` is {got}, not the result of kh.tune.", "assign it: {name} = kh.tune(...)."),
        "es": ("`{name}` es {got}, no el resultado de kh.tune.", "asígnalo: {name} = kh.tune(...).")},
    "too_many": {
        "en": ("`{name}` ran {n} trials; the budget is {budget}.", "pass max_trials={budget} to kh.tune."),
        "es": ("`{name}` ejecutó {n} ensayos; el presupuesto es {budget}.", "pasa max_trials={budget} a kh.tune.")},
    "none_complete": {
        "en": ("no trial of `{name}` completed.", "look at {name}.trials['error'] to see why they failed."),
        "es": ("ningún ensayo de `{name}` terminó bien.", "mira {name}.trials['error'] para ver por qué fallaron.")},
    "budget_ok": {"en": ("{n} trials, within the budget of {budget}.", ""),
                  "es": ("{n} ensayos, dentro del presupuesto de {budget}.", "")},
    "wrong_metric": {
        "en": ("`{name}` optimised {got!r}, but the baseline is measured by {want!r}.", "pass metric={want!r} to kh.tune."),
        "es": ("`{name}` optimizó {got!r}, pero la línea base se mide con {want!r}.", "pasa metric={want!r} a kh.tune.")},
    "not_beaten": {
        "en": ("the best {metric} is {best:.4f}, not better than the default network's {baseline:.4f}.",
               "search the learning rate on a log scale (kh.Float(1e-4, 1e-1, log=True)), try adam and relu/elu, wider layers."),
        "es": ("el mejor {metric} es {best:.4f}, no mejor que el {baseline:.4f} de la red por defecto.",
               "busca la tasa de aprendizaje en escala log (kh.Float(1e-4, 1e-1, log=True)), prueba adam y relu/elu, capas más anchas.")},
    "beaten": {"en": ("the best {metric} {best:.4f} beats the default network's {baseline:.4f}.", ""),
               "es": ("el mejor {metric} {best:.4f} supera el {baseline:.4f} de la red por defecto.", "")},
    "wrong_method": {
        "en": ("`{name}` ran method {got!r}, not {want!r}.", "pass method={want!r} to kh.tune."),
        "es": ("`{name}` usó el método {got!r}, no {want!r}.", "pasa method={want!r} a kh.tune.")},
    "wrong_count": {
        "en": ("`{name}` has {n} trials, not the shared budget of {budget}.", "give both searches the same budget: {budget} trials each."),
        "es": ("`{name}` tiene {n} ensayos, no el presupuesto común de {budget}.", "da a ambas búsquedas el mismo presupuesto: {budget} ensayos cada una.")},
    "few_seeds": {
        "en": ("`random_results` holds {n} runs; one random run proves little.", "repeat random search with at least {need} different seeds (seed=0, 1, ...)."),
        "es": ("`random_results` tiene {n} corridas; una sola búsqueda aleatoria prueba poco.", "repite la búsqueda aleatoria con al menos {need} semillas distintas (seed=0, 1, ...).")},
    "same_seeds": {
        "en": ("the random runs share seeds, so they are copies of each other.", "give each run its own seed=."),
        "es": ("las corridas aleatorias comparten semilla, así que son copias.", "da a cada corrida su propio seed=.")},
    "budget_fair": {"en": ("grid and {n} random runs, {budget} trials each.", ""),
                    "es": ("grid y {n} corridas aleatorias, {budget} ensayos cada una.", "")},
    "wrong_distinct": {
        "en": ("`{name}` is {got!r}, but that search tried {want} distinct values of {param}.",
               "count them: {source}.trials['params_{param}'].nunique()."),
        "es": ("`{name}` es {got!r}, pero esa búsqueda probó {want} valores distintos de {param}.",
               "cuéntalos: {source}.trials['params_{param}'].nunique().")},
    "distinct_ok": {"en": ("grid tried {grid} values of {param}, random {random}.", ""),
                    "es": ("grid probó {grid} valores de {param}, random {random}.", "")},
    "short_answer": {
        "en": ("the answer is empty or too short ({n} words, at least {need} expected).", "explain in your own words, with the numbers you measured."),
        "es": ("la respuesta está vacía o es muy corta ({n} palabras, se esperan al menos {need}).", "explica con tus palabras y con los números que mediste.")},
    "answer_ok": {"en": ("answer written ({n} words); compare it with the solution.", ""),
                  "es": ("respuesta escrita ({n} palabras); compárala con la solución.", "")},
    "few_complete": {
        "en": ("`{name}` has {n} completed trials; at least {need} are needed to tell what matters.", "raise max_trials."),
        "es": ("`{name}` tiene {n} ensayos completos; se necesitan al menos {need} para saber qué importa.", "aumenta max_trials.")},
    "tuned_ok": {"en": ("{n} completed trials with {method}.", ""), "es": ("{n} ensayos completos con {method}.", "")},
    "not_names": {
        "en": ("`important` is {got}, not a list of parameter names.", "a list of two names, e.g. ['units', 'dropout'], read from result.length_scales()."),
        "es": ("`important` es {got}, no una lista de nombres de parámetros.", "una lista de dos nombres, p. ej. ['units', 'dropout'], leída de result.length_scales().")},
    "no_names": {
        "en": ("`important` is empty.", "put the names of the two that matter in it, e.g. ['units', 'dropout']; short length scales mean the parameter matters."),
        "es": ("`important` está vacía.", "pon en ella los nombres de los dos que importan, p. ej. ['units', 'dropout']; una escala de longitud corta significa que el parámetro importa.")},
    "unknown_names": {
        "en": ("{names} are not parameters of the space.", "use the names of the space: {known}."),
        "es": ("{names} no son parámetros del espacio.", "usa los nombres del espacio: {known}.")},
    "wrong_important": {
        "en": ("{right} of your {n} names matter; {wrong} hardly changes the loss.",
               "short length scales mean the parameter matters: sort result.length_scales() by value."),
        "es": ("{right} de tus {n} nombres importan; {wrong} casi no cambia la pérdida.",
               "una escala de longitud corta significa que el parámetro importa: ordena result.length_scales() por valor.")},
    "important_ok": {"en": ("{names} are the ones that matter.", ""), "es": ("{names} son los que importan.", "")},
    "no_cv": {
        "en": ("the trials of `{name}` were scored on {n} split(s), not cross-validated.", "pass cv={need} (or kh.CV(k={need})) to kh.tune."),
        "es": ("los ensayos de `{name}` se midieron en {n} partición(es), sin validación cruzada.", "pasa cv={need} (o kh.CV(k={need})) a kh.tune.")},
    "cv_ok": {"en": ("every trial was scored on {n} splits.", ""), "es": ("cada ensayo se midió en {n} particiones.", "")},
    "not_table": {
        "en": ("`table` is {got}, not the table of result.reevaluate().", "table = result.reevaluate(top=2, repeats=...)."),
        "es": ("`table` es {got}, no la tabla de result.reevaluate().", "table = result.reevaluate(top=2, repeats=...).")},
    "small_table": {
        "en": ("the re-evaluation has {top} configuration(s) and {runs} run(s) each; at least {need_top} and {need_runs} are needed.",
               "call result.reevaluate(top={need_top}, repeats={need_runs})."),
        "es": ("la reevaluación tiene {top} configuración(es) y {runs} corrida(s) cada una; se necesitan al menos {need_top} y {need_runs}.",
               "llama result.reevaluate(top={need_top}, repeats={need_runs}).")},
    "table_ok": {"en": ("{top} configurations re-run {runs} times each.", ""),
                 "es": ("{top} configuraciones reentrenadas {runs} veces cada una.", "")},
    "not_bool": {
        "en": ("`best_holds` is {got}, not True or False.", "read table.attrs['best_holds'] or compare the rank columns."),
        "es": ("`best_holds` es {got}, no True ni False.", "lee table.attrs['best_holds'] o compara las columnas de rango.")},
    "wrong_verdict": {
        "en": ("`best_holds` is {got}, but in the table the tuning winner is ranked {rank} after re-evaluation.",
               "look at rank_reevaluated of the row with rank_tuning == 1."),
        "es": ("`best_holds` es {got}, pero en la tabla el ganador del ajuste queda en el puesto {rank} al reevaluar.",
               "mira rank_reevaluated de la fila con rank_tuning == 1.")},
    "verdict_ok": {
        "en": ("the winner is ranked {rank} on fresh splits and seeds: {meaning}.", ""),
        "es": ("el ganador queda en el puesto {rank} con particiones y semillas nuevas: {meaning}.", "")},
}
_MEANING = {("en", True): "not luck", ("en", False): "it was (partly) luck",
            ("es", True): "no fue suerte", ("es", False): "fue (en parte) suerte"}


@dataclass(frozen=True)
class Feedback:
    """The outcome of one check: ``passed`` and the message shown to the student."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message


def _say(key: str, lang: str, **fields: Any) -> Feedback:
    if lang not in _HEAD:
        raise ValueError(f"lang must be one of {sorted(_HEAD)}, got {lang!r}")
    message, hint = _TEXT[key][lang]
    ok, not_yet, hint_word = _HEAD[lang]
    text = message.format(**fields)
    if not hint:
        return Feedback(True, ok + text[0].upper() + text[1:])
    return Feedback(False, not_yet + text + hint_word + hint.format(**fields))


def _describe(value: Any) -> str:
    return "None" if value is None else f"a {type(value).__name__}"


def _result_problem(result: Any, name: str, lang: str) -> Feedback | None:
    """Feedback when ``result`` is not a finished tuning run with at least one completed trial."""
    from .result import TuneResult

    if not isinstance(result, TuneResult):
        return _say("not_result", lang, name=name, got=_describe(result))
    if not result.completed:
        return _say("none_complete", lang, name=name)
    return None


# Assignment 1: beat the default network -------------------------------------------------------
def check_space(space: Any, *, min_searched: int = 2, lang: str = "en") -> Feedback:
    """The student's search space is valid and varies at least ``min_searched`` hyperparameters."""
    if not isinstance(space, (dict, Space)):
        return _say("not_space", lang, got=_describe(space))
    try:
        space = Space.from_any(space)
    except (ValueError, TypeError) as exc:
        return _say("bad_space", lang, error=exc)
    searched = [name for name, dist in space.items() if not isinstance(dist, Fixed)]
    if len(searched) < min_searched:
        return _say("few_searched", lang, n=len(searched), names=", ".join(searched) or "-", need=min_searched)
    return _say("space_ok", lang, names=", ".join(searched))


def check_budget(result: Any, max_trials: int, *, name: str = "result", lang: str = "en") -> Feedback:
    """``result`` is a tuning run of at most ``max_trials`` trials with at least one completed."""
    problem = _result_problem(result, name, lang)
    if problem is not None:
        return problem
    if len(result.records) > max_trials:
        return _say("too_many", lang, name=name, n=len(result.records), budget=max_trials)
    return _say("budget_ok", lang, n=len(result.records), budget=max_trials)


def check_beats(result: Any, baseline: float, *, metric: str = "val_accuracy", name: str = "result",
                lang: str = "en") -> Feedback:
    """The best trial of ``result`` is better than ``baseline`` on the same ``metric``."""
    problem = _result_problem(result, name, lang)
    if problem is not None:
        return problem
    if result.metric != metric:
        return _say("wrong_metric", lang, name=name, got=result.metric, want=metric)
    best = result.best_value
    won = best < baseline if result.direction == "min" else best > baseline
    return _say("beaten" if won else "not_beaten", lang, metric=metric, best=best, baseline=baseline)


# Assignment 2: grid vs random ------------------------------------------------------------------
def check_grid_vs_random(grid_result: Any, random_results: Any, budget: int, *, min_seeds: int = 5,
                         lang: str = "en") -> Feedback:
    """A grid run and at least ``min_seeds`` random runs (distinct seeds), each of exactly ``budget`` trials."""
    problem = _result_problem(grid_result, "grid_result", lang)
    if problem is not None:
        return problem
    if grid_result.method != "grid":
        return _say("wrong_method", lang, name="grid_result", got=grid_result.method, want="grid")
    if len(grid_result.records) != budget:
        return _say("wrong_count", lang, name="grid_result", n=len(grid_result.records), budget=budget)
    if not isinstance(random_results, (list, tuple)) or len(random_results) < min_seeds:
        n = len(random_results) if isinstance(random_results, (list, tuple)) else 0
        return _say("few_seeds", lang, n=n, need=min_seeds)
    for i, run in enumerate(random_results):
        problem = _result_problem(run, f"random_results[{i}]", lang)
        if problem is not None:
            return problem
        if run.method != "random":
            return _say("wrong_method", lang, name=f"random_results[{i}]", got=run.method, want="random")
        if len(run.records) != budget:
            return _say("wrong_count", lang, name=f"random_results[{i}]", n=len(run.records), budget=budget)
    if len({run.seed for run in random_results}) < len(random_results):
        return _say("same_seeds", lang)
    return _say("budget_fair", lang, n=len(random_results), budget=budget)


def check_distinct(distinct_grid: Any, distinct_random: Any, grid_result: Any, random_result: Any, param: str,
                   *, lang: str = "en") -> Feedback:
    """The two counts equal the numbers of distinct values of ``param`` each search tried."""
    for name, run in (("grid_result", grid_result), ("random_results[0]", random_result)):
        problem = _result_problem(run, name, lang)
        if problem is not None:
            return problem
    want_grid = len({t.params.get(param) for t in grid_result.records})
    want_random = len({t.params.get(param) for t in random_result.records})
    for name, got, want, source in (("distinct_grid", distinct_grid, want_grid, "grid_result"),
                                    ("distinct_random", distinct_random, want_random, "random_results[0]")):
        if isinstance(got, bool) or not isinstance(got, numbers.Real) or got != want:
            return _say("wrong_distinct", lang, name=name, got=got, want=want, param=param, source=source)
    return _say("distinct_ok", lang, grid=want_grid, random=want_random, param=param)


def check_answer(answer: Any, *, min_words: int = 20, lang: str = "en") -> Feedback:
    """A written answer of at least ``min_words`` words (its content is for the teacher to read)."""
    n = len(answer.split()) if isinstance(answer, str) else 0
    if n < min_words:
        return _say("short_answer", lang, n=n, need=min_words)
    return _say("answer_ok", lang, n=n)


# Assignment 3: which hyperparameters matter ------------------------------------------------------
#: the mystery network's space: six hyperparameters, of which only two change the loss much
MYSTERY_SPACE = Space({
    "learning_rate": Float(1e-5, 1e-1, log=True),
    "units": Int(8, 512, log=True),
    "dropout": Float(0.0, 0.5),
    "batch_size": Int(16, 256, log=True),
    "momentum": Float(0.0, 0.99),
    "weight_decay": Float(1e-6, 1e-2, log=True),
})
_MATTERS = ("learning_rate", "dropout")


def mystery(params: dict) -> float:
    """A stand-in for a network's validation loss on a hidden task (minimise it).

    The learning rate and the dropout decide the loss; the other four barely move it.
    """
    lr = (math.log10(params["learning_rate"]) + 2.5) ** 2
    drop = 8.0 * (params["dropout"] - 0.3) ** 2
    rest = (0.01 * math.log2(params["units"] / 64.0) ** 2 + 0.01 * math.log2(params["batch_size"] / 64.0) ** 2
            + 0.02 * params["momentum"] + 0.005 * abs(math.log10(params["weight_decay"]) + 4))
    return 0.2 + 0.3 * lr + drop + rest


def check_tuned(result: Any, *, min_trials: int = 20, name: str = "result", lang: str = "en") -> Feedback:
    """``result`` holds at least ``min_trials`` completed trials."""
    problem = _result_problem(result, name, lang)
    if problem is not None:
        return problem
    n = len(result.completed)
    if n < min_trials:
        return _say("few_complete", lang, name=name, n=n, need=min_trials)
    return _say("tuned_ok", lang, n=n, method=result.method)


def check_important(important: Any, *, lang: str = "en") -> Feedback:
    """``important`` names the two hyperparameters of ``mystery`` that matter."""
    if isinstance(important, (list, tuple, set)) and not important:
        return _say("no_names", lang)
    if not isinstance(important, (list, tuple, set)) or not all(isinstance(name, str) for name in important):
        return _say("not_names", lang, got=_describe(important))
    unknown = [name for name in important if name not in MYSTERY_SPACE]
    if unknown:
        return _say("unknown_names", lang, names=", ".join(unknown), known=", ".join(MYSTERY_SPACE))
    wrong = [name for name in important if name not in _MATTERS]
    if wrong or len(set(important)) != len(_MATTERS):
        right = len(set(important) & set(_MATTERS))
        return _say("wrong_important", lang, right=right, n=len(set(important)), wrong=", ".join(wrong) or "-")
    return _say("important_ok", lang, names=" and ".join(sorted(important)) if lang == "en"
                else " y ".join(sorted(important)))


# Assignment 4: cross-validation, and the winner is not luck --------------------------------------
def check_cv(result: Any, *, min_splits: int = 3, name: str = "result", lang: str = "en") -> Feedback:
    """Every completed trial of ``result`` was scored on at least ``min_splits`` splits."""
    problem = _result_problem(result, name, lang)
    if problem is not None:
        return problem
    n = min(len(t.folds) for t in result.completed)
    if n < min_splits:
        return _say("no_cv", lang, name=name, n=max(n, 1), need=min_splits)
    return _say("cv_ok", lang, n=n)


def check_reevaluation(table: Any, *, min_top: int = 2, min_repeats: int = 3, lang: str = "en") -> Feedback:
    """``table`` comes from ``result.reevaluate`` with at least ``min_top`` configurations and ``min_repeats`` runs."""
    columns = getattr(table, "columns", ())
    if not all(c in columns for c in ("rank_tuning", "rank_reevaluated", "runs", "mean", "std")):
        return _say("not_table", lang, got=_describe(table))
    top, runs = len(table), int(table["runs"].min()) if len(table) else 0
    if top < min_top or runs < min_repeats:
        return _say("small_table", lang, top=top, runs=runs, need_top=min_top, need_runs=min_repeats)
    return _say("table_ok", lang, top=top, runs=runs)


def check_verdict(best_holds: Any, table: Any, *, lang: str = "en") -> Feedback:
    """``best_holds`` says whether the tuning winner stays first after re-evaluation, as ``table`` shows."""
    problem = check_reevaluation(table, min_top=1, min_repeats=1, lang=lang)
    if not problem:
        return problem
    if type(best_holds).__name__ not in ("bool", "bool_"):  # Python or NumPy booleans
        return _say("not_bool", lang, got=_describe(best_holds))
    winner = table[table["rank_tuning"] == 1]
    rank = int(winner["rank_reevaluated"].iloc[0])
    best_holds = bool(best_holds)
    if best_holds != (rank == 1):
        return _say("wrong_verdict", lang, got=best_holds, rank=rank)
    return _say("verdict_ok", lang, rank=rank, meaning=_MEANING[lang, best_holds])
