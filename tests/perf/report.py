"""The readable table of `make bench`: every figure from results.json next to its goal."""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent


MEMBER_MODES = {
    "concurrent_members_sqlite_1_worker": "reported",
    "concurrent_members_postgresql_redis_2_workers": "≥ 100 members",
}


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(benchmark, figure, goal, verdict) for each benchmark present."""
    out = []
    if h := results.get("history_dashboard_10k_vs_100"):
        out.append(
            (
                "dashboard + first history page, 10,000 vs 100 ledger rows (p50)",
                f"{h['p50_ms_10000_rows']} ms vs {h['p50_ms_100_rows']} ms — {h['ratio_p50']}×",
                f"≤ {h['goal_ratio']}×",
                _met(h["ratio_p50"] <= h["goal_ratio"]),
            )
        )
    if s := results.get("submit_to_confirmation"):
        out.append(
            (
                f"Submit → confirmation, {s['payments']} card payments, in-page (p50 / p95)",
                f"{s['submit_p50_ms']} / {s['submit_p95_ms']} ms; trivial event {s['trivial_event_p50_ms']} ms — "
                f"{s['ratio_p50']}×",
                f"≤ {s['goal_ratio']}× a trivial event",
                _met(s["ratio_p50"] <= s["goal_ratio"]),
            )
        )
    if d := results.get("daily_job_100k"):
        out.append(
            (
                f"daily job, {d['accounts']:,} accounts ({d['charges']} charges)",
                f"{d['job_seconds']} s; charges {d['charge_seconds']} s, {d['charges_per_second']} a second",
                f"≤ {d['goal_seconds']} s",
                _met(d["job_seconds"] <= d["goal_seconds"]),
            )
        )
        out.append(
            (
                f"… its set-based part ({d['set_based_rows_total']} rows) vs a raw SQLite insert of the same rows",
                f"{d['set_based_seconds']} s vs {d['raw_insert_seconds']} s — {d['ratio']}×",
                f"≤ {d['goal_ratio']}×",
                _met(d["ratio"] <= d["goal_ratio"]),
            )
        )
    if d := results.get("daily_job_postgresql"):
        out.append(
            (
                f"daily job on PostgreSQL, {d['accounts']:,} accounts: set-based part ({d['set_based_rows_total']} "
                "rows) vs a raw insert of the same rows",
                f"{d['set_based_seconds']} s vs {d['raw_insert_seconds']} s — {d['ratio']}×; whole job "
                f"{d['job_seconds']} s, {d['charges_per_second']} charges a second",
                f"≤ {d['goal_ratio']}×",
                _met(d["ratio"] <= d["goal_ratio"]),
            )
        )
    if q := results.get("autopay_fan_out_postgresql"):
        minutes = q["100k_charges_minutes_at_this_rate"]
        out.append(
            (
                f"autopay on the queue, {q['charges']:,} charges at {q['processor_latency_ms']} ms, "
                f"PostgreSQL, {q['workers']} workers",
                f"{q['charges_per_second']} a second ({q['speed_up']}× one after another); "
                f"100,000 would take {minutes} min",
                "whole job ≤ 15 min",
                _met(minutes is not None and minutes <= 15),
            )
        )
    if e := results.get("event_loop_ping_during_30_logins"):
        out.append(
            (
                "ping while 30 members log in (bcrypt 12), p50 / p95 / max",
                f"{e['loaded_ping_p50_ms']} / {e['loaded_ping_p95_ms']} / {e['loaded_ping_max_ms']} ms "
                f"(idle p50 {e['idle_ping_p50_ms']} ms)",
                "p95 ≤ 100 ms",
                _met(e["met"]),
            )
        )
    if f := results.get("dashboard_during_200_bogus_log_ins"):
        out.append(
            (
                "member's dashboard load while 200 bogus log-ins arrive (bcrypt 12), p50 / p95 / max",
                f"{f['flood_load_p50_ms']} / {f['flood_load_p95_ms']} / {f['flood_load_max_ms']} ms "
                f"(idle p50 {f['idle_load_p50_ms']} ms)",
                "p95 ≤ 100 ms",
                _met(f["met"]),
            )
        )
    for key, goal in MEMBER_MODES.items():
        if m := results.get(key):
            steps = "; ".join(
                f"{step['members']}: {step['p50_ms']:g} / {step['p95_ms']:g} ms"
                + (f", {step['failures']} of {step['count']} failed" if step["failures"] else "")
                + (
                    f" (once all on: {settled['p50_ms']:g} / {settled['p95_ms']:g} ms)"
                    if (settled := step.get("settled"))
                    else ""
                )
                for step in m["steps"]
            )
            stopped = (
                f" (stopped after {m['stopped_after_overloaded_step']}: overloaded)"
                if m.get("stopped_after_overloaded_step")
                else ""
            )
            out.append(
                (
                    f"concurrent members, {m['mode']}: largest step with p95 ≤ 250 ms and no failures "
                    "(members: p50 / p95 of every round trip)",
                    f"**{m['largest_members_met']}** members — {steps}{stopped}; "
                    f"{m['payments_confirmed']} payments confirmed, "
                    f"{m.get('payments_confirmed_found_in_database', '?')} of them found in the database",
                    goal,
                    _met(m["largest_members_met"] >= 100) if goal != "reported" else "",
                )
            )
    if w := results.get("page_weight"):
        out.append(
            (
                "gzipped JS a cold log-in page downloads (en / es / pt) vs a blank Reflex app's page",
                f"{w['login_page_js_gzip_kb_en']} / {w['login_page_js_gzip_kb_es']} / "
                f"{w['login_page_js_gzip_kb_pt']} KB vs {w['blank_page_js_gzip_kb']} KB — {w['ratio']}×",
                "≤ 1.3×",
                _met(w["met"]),
            )
        )
    if c := results.get("cold_load_login_page"):
        out.append(
            (
                "cold load of the log-in page at 390×844, p50 (load / first paint)",
                f"{c['hcpay']['load_p50_ms']} / {c['hcpay']['fcp_p50_ms']} ms; blank app "
                f"{c['blank']['load_p50_ms']} / {c['blank']['fcp_p50_ms']} ms",
                "reported",
                "",
            )
        )
    if lh := results.get("lighthouse_mobile"):
        for page, result in lh["pages"].items():
            scores = result["scores"]
            figure = " / ".join(
                f"{scores[k]:.2f}" if scores[k] is not None else "–"
                for k in ("performance", "accessibility", "best-practices")
            )
            if len(runs := result.get("performance_runs") or []) > 1:
                hosts = result.get("host_benchmark_index_runs") or [None] * len(runs)
                figure += (
                    " (each run in order, with the host's benchmark index: "
                    + ", ".join(
                        f"{score:.2f}" + (f" at {host:,}" if host is not None else "")
                        for score, host in zip(runs, hosts, strict=False)
                        if score is not None
                    )
                    + ")"
                )
            if result.get("tbt_ms") is not None:
                figure += f"; total blocking time {result['tbt_ms']} ms, main thread {result.get('main_thread_ms')} ms"
            below = "; ".join(f"{k}: {', '.join(v)}" for k, v in result["below_goal_audits"].items())
            blank = page.startswith("blank")
            ok = not blank and all(
                (scores[k] or 0) >= g
                for k, g in (("performance", 0.95), ("accessibility", 1.0), ("best-practices", 1.0))
            )
            out.append(
                (
                    f"Lighthouse mobile, {page} (perf / a11y / best practices)",
                    figure + (f" — below: {below}" if below else ""),
                    "reference" if blank else "≥ 0.95 / 1.0 / 1.0",
                    "" if blank else _met(ok),
                )
            )
    if cls := results.get("lighthouse_cls"):
        out.append(
            (
                "Lighthouse cumulative layout shift, each page",
                ", ".join(
                    f"{page}: {value:.3f}" if value is not None else f"{page}: –"
                    for page, value in cls["pages"].items()
                ),
                "< 0.02",
                _met(cls["met"]),
            )
        )
    return out


def member_tables(results: dict) -> list[str]:
    """Per event and step of the concurrent-members benchmark: p50 / p95 ms and failures."""
    lines = []
    for key in MEMBER_MODES:
        if not (m := results.get(key)):
            continue
        steps = m["steps"]
        events = sorted({name for step in steps for name in step["events"]})
        lines += [
            "",
            f"## Concurrent members, {m['mode']} — p50 / p95 ms (failed) per event",
            "",
            "| event | " + " | ".join(f"{step['members']} members" for step in steps) + " |",
            "|---|" + "---|" * len(steps),
        ]
        for name in events:
            cells = []
            for step in steps:
                e = step["events"].get(name)
                cells.append(
                    f"{e['p50_ms']:g} / {e['p95_ms']:g}"
                    + (f" ({e['failures']} of {e['count']})" if e["failures"] else "")
                    if e
                    else "–"
                )
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append(
            "| **all round trips** | "
            + " | ".join(
                f"**{s['p50_ms']:g} / {s['p95_ms']:g}**"
                + (f" ({s['failures']} of {s['count']})" if s["failures"] else "")
                for s in steps
            )
            + " |"
        )
        opened = " | ".join(f"{s['page_loads_per_s']:g}" for s in steps)
        lines.append(f"| pages opened a second (loaded or gone to) | {opened} |")
        lines.append(
            "| Locust's share of a core | "
            + " | ".join(f"{s['generator_cpu_share']:.0%}" if "generator_cpu_share" in s else "–" for s in steps)
            + " |"
        )
        if errors := {k: v for s in steps for k, v in s.get("errors", {}).items()}:
            lines += ["", "Failures seen: " + "; ".join(f"{k} ×{v}" for k, v in list(errors.items())[:6])]
    return lines


ACTION_CPU_MODES = {
    "server_cpu_per_action_sqlite_1_worker": "one worker on SQLite",
    "server_cpu_per_action_postgresql_redis_2_workers": "PostgreSQL + Redis, two workers",
}


def action_cpu_table(results: dict) -> list[str]:
    """Server CPU per member action (app / database), one column per mode measured."""
    modes = [(name, label) for name, label in ACTION_CPU_MODES.items() if name in results]
    if not modes:
        return []
    lines = [
        "",
        "## Server CPU per member action, one member alone — ms (the app's workers + PostgreSQL and Redis)",
        "",
        "| action | " + " | ".join(label for _, label in modes) + " |",
        "|---|" + "---|" * len(modes),
    ]
    actions = list(results[modes[0][0]]["actions"])
    for action in actions:
        cells = []
        for name, _ in modes:
            figures = results[name]["actions"].get(action, {})
            app, database = figures.get("app_cpu_ms_mean"), figures.get("database_cpu_ms_mean")
            total = figures.get("server_cpu_ms_mean", "–")
            cells.append(f"{total} ({app} + {database})" if app is not None else f"{total}")
        label = "**a whole visit**" if action == "_visit" else action
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def write(results: dict, path: Path = HERE / "results.md") -> str:
    meta = results.get("_run", {})
    lines = [
        f"# hcpay benchmarks — {meta.get('date', '?')}",
        "",
        f"Machine: {meta.get('machine', '?')}",
        "",
        "| benchmark | figure | goal | |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)]
    lines += member_tables(results)
    lines += action_cpu_table(results)
    text = "\n".join(lines) + "\n"
    path.write_text(text)
    return text


if __name__ == "__main__":
    sys.stdout.write(write(json.loads((HERE / "results.json").read_text())))
