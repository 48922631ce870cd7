"""The Markdown report of a benchmark, ending with the Lindauer-Hutter checklist answered from the run itself.

Sections: settings, tuning record, results, differences with confidence intervals, figure, time and environment.
Everything here is a pure function of the ``pnas.benchmark/v2`` summary (:func:`pnas.benchmark.report.summarize`).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["checklist", "markdown_report"]

_PAPER = "Lindauer & Hutter (2020), *Best Practices for Scientific Research on Neural Architecture Search*"


def _number(value: float | None, digits: int = 2, sign: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _seeds(seeds: list[int]) -> str:
    if not seeds:
        return "none"
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 2:
        return f"{seeds[0]}..{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _settings(settings: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in settings.items()) or "none"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(row) for row in rows), ""]


def _objective(summary: dict[str, Any]) -> dict[str, str]:
    """How runs are measured and tuned, and how the answer is chosen, in words (single- or multi-objective)."""
    settings = summary["settings"]
    signal, report, cost = settings.get("signal"), settings.get("report_column"), settings.get("cost")
    if cost is None:
        return {
            "measure": f"`{report}` of each run's best-by-signal architecture",
            "optimum": f"Table optimum of `{report}`",
            "tuning score": f"the mean best-so-far `{signal}`",
            "protocol": f"each run's best-by-{signal} architecture, its {report} reported",
            "choice": f"each run's best architecture by {signal} (the first of equal ones); its {report} is reported",
        }
    return {
        "measure": f"the normalised hypervolume in (`{report}`, `{cost}`) of each run's (`{signal}`, `{cost}`) front",
        "optimum": f"Hypervolume of the table's own front in (`{report}`, `{cost}`)",
        "tuning score": f"the mean hypervolume of the (`{signal}`, `{cost}`) fronts",
        "protocol": f"each run's front of {signal} against {cost}, measured by its hypervolume in ({report}, {cost})",
        "choice": f"each run's front: the architectures no other of the run beats on both {signal} and {cost} "
        f"(smaller is better); their {report} and {cost} are measured",
    }


def _tuning_budget(summary: dict[str, Any]) -> tuple[bool, str]:
    """Whether every tunable strategy got the same tuning budget, and what each got (no verdict in the text)."""
    tuning = summary["tuning"]
    if tuning is None:
        return False, "no tuning in this run: every strategy used the settings given on the command line (--no-tune)"
    counts = {name: len(entry["grid"]) for name, entry in tuning["strategies"].items()}
    tuned = {name: count for name, count in counts.items() if count}
    untuned = [name for name, count in counts.items() if not count]
    none = f" ({', '.join(f'{name}: none' for name in untuned)})" if untuned else ""
    seeds = f"{len(tuning['seeds'])} seeds each{none}"
    if not tuned:
        return True, f"nothing to tune{none}"
    if len(set(tuned.values())) == 1:
        return True, f"{next(iter(tuned.values()))} configurations x {seeds}"
    return False, f"configurations per strategy differ ({', '.join(f'{n} {c}' for n, c in tuned.items())}), x {seeds}"


def checklist(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The Lindauer & Hutter (2020) best-practices checklist for NAS, each item answered from ``summary``.

    Returns:
        ``(question, answer)`` pairs in the paper's order (releasing code, comparing methods, reporting details),
        followed by the protocol items this command adds (equal tuning budget, how the final architecture is chosen).
    """
    settings, env, time = summary["settings"], summary["environment"], summary["time"]
    versions, hardware = env.get("versions", {}), env.get("hardware", {})
    names = list(summary["strategies"])
    report, table = settings.get("report_column"), settings.get("table")
    seeds, tuning, command = summary["seeds"], summary["tuning"], settings.get("command", "pnas benchmark")
    runs = len(seeds["reported"])
    seconds = ", ".join(f"{name} {summary['strategies'][name]['seconds']:.1f} s" for name in names)
    chosen = "; ".join(f"{name}: {_settings(summary['strategies'][name]['settings'])}" for name in names)
    machine = f"{hardware.get('cpu', 'unknown CPU')}, {hardware.get('cores_usable', '?')} usable cores"
    library = ", ".join(f"{key} {value}" for key, value in versions.items())
    equal, budget = _tuning_budget(summary)
    objective = _objective(summary)
    if tuning is None:
        tuned = "no tuning in this run: the settings given on the command line were used as is (--no-tune)"
        ablation = "no: not part of this run"
    else:
        grids = [name for name, entry in tuning["strategies"].items() if entry["grid"]]
        tuned = (
            f"yes: {budget}, seeds {_seeds(tuning['seeds'])} (disjoint from the reported ones), scored on "
            f"{tuning['signal']} of {tuning['table']} only (the report column is never read), by the mean over budgets "
            f"of {objective['tuning score']}; {tuning['seconds']:.1f} s on this machine"
        )
        ablation = (
            f"partly: the tuning table scores every configuration of {', '.join(grids) or 'no strategy'} on the tuning "
            "seeds; no other ablation in this run"
        )
    return [
        (
            "Released code for the training pipeline used to evaluate the final architectures?",
            f"not applicable: a tabular benchmark; every evaluation is a lookup in {table}",
        ),
        (
            "Released code for the search space?",
            f"yes: {settings.get('space', 'the space')} in pnas {versions.get('pnas', '?')}",
        ),
        (
            "Released the hyperparameters and seeds of the final evaluation pipeline?",
            "not applicable: fixed by the table's authors; this run reads its columns only",
        ),
        (
            "Released code for the NAS method?",
            f"yes: pnas {versions.get('pnas', '?')}, strategies {', '.join(names)}; rerun with `{command}`",
        ),
        (
            "Released the hyperparameters of the NAS method, and seeds?",
            f"yes: {chosen}; seeds {_seeds(seeds['reported'])}",
        ),
        (
            "Same benchmark (dataset, split, search space, training code) for all methods?",
            f"yes: every strategy searched {settings.get('space', 'one space')} on one table, {table}",
        ),
        (
            "Controlled for confounding factors (hardware, library versions, runtimes)?",
            f"yes: all strategies ran in this one command ({settings.get('workers', 1)} worker process(es)) on "
            f"{machine}, with {library}; runtimes per strategy: {seconds}",
        ),
        ("Ran ablation studies?", ablation),
        (
            "Same evaluation protocol for all methods?",
            f"yes: at {', '.join(map(str, summary['budgets']))} evaluations (distinct architectures), "
            f"{objective['protocol']}",
        ),
        ("Compared performance over time?", "yes: over evaluations and over wall-clock seconds (figure, JSON curves)"),
        ("Compared to random search?", "yes" if "random" in names else "no: random search was not in --strategies"),
        (
            "Performed multiple runs and reported the seeds?",
            f"{'yes' if runs > 1 else 'no'}: {runs} runs per strategy, seeds {_seeds(seeds['reported'])}",
        ),
        ("Used tabular or surrogate benchmarks for in-depth evaluations?", f"yes: {table}"),
        ("Reported how hyperparameters were tuned, and the time and resources this took?", tuned),
        ("Same hyperparameter-tuning budget for all methods?", f"{'yes' if equal else 'no'}, {budget}"),
        (
            "Reported the time of the entire end-to-end NAS method?",
            f"yes: {time['total_seconds']:.1f} s end to end (tuning {time['tuning_seconds']:.1f} s, reported runs "
            f"{time['reported_seconds']:.1f} s)",
        ),
        (
            "Reported all details of the experimental setup?",
            f"yes: settings, {library}; {machine}; the JSON holds every run",
        ),
        (
            "How is the final architecture chosen?",
            f"{objective['choice']}; {report} is never an input of a search or of tuning",
        ),
    ]


def _settings_section(summary: dict[str, Any]) -> list[str]:
    settings, seeds = summary["settings"], summary["seeds"]["reported"]
    objective = _objective(summary)
    return [
        "## Settings",
        "",
        f"- Command: `{settings.get('command', 'pnas benchmark')}`",
        f"- Table: {settings.get('table')}; space: {settings.get('space', 'n/a')}",
        f"- Search signal: `{settings.get('signal')}`; reported: {objective['measure']}",
        f"- Budgets (distinct architectures evaluated): {', '.join(map(str, summary['budgets']))}",
        f"- Runs: {len(seeds)} per strategy, seeds {_seeds(seeds)}",
        f"- {objective['optimum']}: {_number(settings.get('optimum'))}",
        *(f"- {name}: {_settings(entry['settings'])}" for name, entry in summary["strategies"].items()),
        "",
    ]


def _tuning_section(summary: dict[str, Any]) -> list[str]:
    tuning = summary["tuning"]
    if tuning is None:
        return ["## Tuning", "", "No tuning: the settings given on the command line were used as is (`--no-tune`).", ""]
    signal, budgets = tuning["signal"], ", ".join(map(str, tuning["budgets"]))
    rows = [
        [name, _settings(config), _number(score), "**chosen**" if index == entry["chosen_index"] else ""]
        for name, entry in tuning["strategies"].items()
        for index, (config, score) in enumerate(zip(entry["grid"], entry["scores"], strict=True))
    ]
    rows += [[name, "(nothing to tune)", "", ""] for name, entry in tuning["strategies"].items() if not entry["grid"]]
    return [
        "## Tuning",
        "",
        f"Each configuration ran on seeds {_seeds(tuning['seeds'])} of {tuning['table']}, searching and scored on "
        f"`{signal}` alone (score: mean over budgets {budgets} of {_objective(summary)['tuning score']}, %); "
        f"{_tuning_budget(summary)[1]}; {tuning['seconds']:.1f} s.",
        "",
        *_table(["strategy", "configuration", "score", ""], rows),
    ]


def _results_section(summary: dict[str, Any]) -> list[str]:
    names, runs = list(summary["strategies"]), len(summary["seeds"]["reported"])
    rows = []
    for budget in summary["budgets"]:
        cells = [summary["strategies"][name]["budgets"][str(budget)] for name in names]
        rows.append([str(budget), *(f"{_number(c['mean'])} ± {_number(c['stderr'])}" for c in cells)])
    rows.append(["seconds (all runs)", *(f"{summary['strategies'][name]['seconds']:.1f}" for name in names)])
    measure = _objective(summary)["measure"]
    return [
        "## Results",
        "",
        f"{measure[0].upper()}{measure[1:]} (%), mean ± standard error of {runs} runs.",
        "",
        *_table(["evaluations", *names], rows),
    ]


def _difference(cell: dict[str, float]) -> str:
    ratio = cell["difference"] / cell["stderr"] if cell["stderr"] else math.nan
    interval = f"[{_number(cell['low'], sign=True)}, {_number(cell['high'], sign=True)}]"
    return f"{_number(cell['difference'], sign=True)} {interval}, {_number(ratio, 1, sign=True)} SE"


def _differences_section(summary: dict[str, Any]) -> list[str]:
    record = summary["differences"]
    if not record["baselines"]:
        return ["## Differences", "", "One strategy only: no differences.", ""]
    baselines, reference = list(record["baselines"]), record["reference"]
    rows = [
        [str(budget), *(_difference(record["baselines"][name][str(budget)]) for name in baselines)]
        for budget in summary["budgets"]
    ]
    return [
        "## Differences",
        "",
        f"`{reference}` minus each baseline in percentage points, with its {100 * record['confidence']:.0f} % "
        f"confidence interval ({record['method']}) and in standard errors (SE) of the difference.",
        "",
        *_table(["evaluations", *(f"{reference} − {name}" for name in baselines)], rows),
    ]


def _environment_section(summary: dict[str, Any]) -> list[str]:
    env, time, runs = summary["environment"], summary["time"], len(summary["seeds"]["reported"])
    return [
        "## Time and environment",
        "",
        f"- End to end: {time['total_seconds']:.1f} s (tuning {time['tuning_seconds']:.1f} s, reported runs "
        f"{time['reported_seconds']:.1f} s)",
        *(f"- {name}: {entry['seconds']:.1f} s for {runs} runs" for name, entry in summary["strategies"].items()),
        f"- Versions: {', '.join(f'{k} {v}' for k, v in env.get('versions', {}).items())}",
        f"- Hardware: {', '.join(f'{k} {v}' for k, v in env.get('hardware', {}).items())}",
        "",
    ]


def markdown_report(summary: dict[str, Any], figure: str | None = None) -> str:
    """The benchmark report in Markdown, ending with the :func:`checklist`.

    Args:
        summary: The ``pnas.benchmark/v2`` summary.
        figure: Path of the performance picture, relative to where the report is written (``None``: no figure).
    """
    settings, names = summary["settings"], list(summary["strategies"])
    picture = f"![Performance over evaluations and over wall-clock time]({figure})" if figure else "No figure."
    items = [
        f"{i}. **{question}** {answer[0].upper()}{answer[1:]}."
        for i, (question, answer) in enumerate(checklist(summary), 1)
    ]
    lines = [
        f"# Benchmark: {', '.join(names)} on {settings.get('table')}",
        "",
        *_settings_section(summary),
        *_tuning_section(summary),
        *_results_section(summary),
        *_differences_section(summary),
        *["## Figure", "", picture, ""],
        *_environment_section(summary),
        "## Lindauer-Hutter checklist",
        "",
        f"{_PAPER}, answered from this run.",
        "",
        *items,
    ]
    return "\n".join(lines) + "\n"
