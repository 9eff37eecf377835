#!/usr/bin/env python3
"""The Python half of scripts/bench.sh (standard library only).

  bench_report.py counts REPORT         "<processes> <lost_events>" from proclife's JSON report
  bench_report.py table RESULTS UNAVAILABLE "VARIANTS" WORKLOAD=LABEL...
                                        the Markdown table of a benchmark run
  bench_report.py readme README START END BLOCK
                                        BLOCK between the markers of README, the rest untouched
"""
import os
import statistics
import sys
from collections import defaultdict


def counts(args):
    """Reads the documented top-level fields `processes` and `lost_events`
    (README, "JSON report"); "-" for what the report does not give."""
    import json

    procs = lost = "-"
    try:
        with open(args[0]) as f:
            report = json.load(f)
        procs = len(report["processes"])
        lost = report["lost_events"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    print(procs, lost)


def table(args):
    results_path, unavailable_path, variant_list = args[0:3]
    variants = variant_list.split()
    workloads = [arg.split("=", 1) for arg in args[3:]]
    unavailable = dict(line.rstrip("\n").split("\t", 1) for line in open(unavailable_path) if line.strip())

    runs = defaultdict(list)
    startup = defaultdict(list)
    for line in open(results_path):
        kind, wl, variant, rep, wall, rc, captured, lost, cpu, rss, note = line.rstrip("\n").split("\t")
        if rep == "0":  # warm-up round
            continue
        row = dict(rep=rep, wall=wall, rc=int(rc), captured=captured, lost=lost, cpu=cpu, rss=rss, note=note)
        (startup if kind == "startup" else runs)[(wl, variant)].append(row)

    def number(text):
        try:
            return float(text)
        except ValueError:
            return None

    def nums(rows, key):
        return [x for x in (number(r[key]) for r in rows) if x is not None]

    def med(values):
        return statistics.median(values) if values else None

    def ms(x):
        return "—" if x is None else (f"{x:.1f}" if x < 100 else f"{x:,.0f}")

    def count(x):
        return "—" if x is None else f"{x:,.0f}"

    def cell(text):
        return str(text).replace("|", "\\|")

    def round_ratios(rows, base_rows):
        """Each round's variant time over the untraced time of the same round.
        A round runs every variant one after another, so these pair runs made
        under the same conditions: drift on the machine between rounds cancels."""
        def walls_by_round(rs):
            return {r["rep"]: w for r in rs if r["rc"] == 0 and (w := number(r["wall"]))}

        base, own = walls_by_round(base_rows), walls_by_round(rows)
        return [own[rep] / base[rep] for rep in own if rep in base]

    units = {"proclife": "procs", "proclife-attached": "procs", "proclife-stacks": "procs", "monitor": "lifetimes", "monitor-approx": "lifetimes",
             "bpftrace": "events", "libbpf-tools": "exits+execs"}
    out = []
    out.append("| workload | variant | wall ms, median (min–max) | × untraced, median (min–max) of rounds³ | captured¹ | lost¹, median (max) | tracer CPU ms² | tracer peak RSS MiB² |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for wl, label in workloads:
        base_rows = runs[(wl, "untraced")]
        for i, v in enumerate(variants):
            first = label if i == 0 else ""
            rows = runs[(wl, v)]
            if v in unavailable or not rows:
                out.append(f"| {first} | {v} | {cell(unavailable.get(v, 'not run'))} | | | | | |")
                continue
            ok = [r for r in rows if r["rc"] == 0]
            walls = nums(ok, "wall")
            if not walls:
                out.append(f"| {first} | {v} | failed: {cell(rows[0]['note'])} | | | | | |")
                continue
            m = med(walls)
            wall_cell = f"{ms(m)} ({ms(min(walls))}–{ms(max(walls))})"
            if len(ok) < len(rows):
                wall_cell += f" ⚠ {len(rows) - len(ok)}/{len(rows)} runs failed"
            ratios = round_ratios(ok, base_rows)
            if v == "untraced":
                ratio = "1.00"
            elif ratios:
                ratio = f"{med(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"
            else:
                ratio = "—"
            if v == "untraced":
                captured = lost = cpu = rss = "—"
            elif v == "strace":
                captured, lost = "n/a", "0 (ptrace)"
            else:
                c = med(nums(ok, "captured"))
                captured = "—" if c is None else f"{count(c)} {units[v]}"
                l = nums(ok, "lost")
                lost = f"{count(med(l))} ({count(max(l))})" if l else "—"
            if v != "untraced":
                cpu = ms(med(nums(ok, "cpu")))
                r = med(nums(ok, "rss"))
                rss = "—" if r is None else f"{r / 1024:.1f}"
            out.append(f"| {first} | {v} | {wall_cell} | {ratio} | {captured} | {lost} | {cpu} | {rss} |")

    out.append("")
    out.append("| start-up probe | wall ms, median (min–max) | ms added vs `true` |")
    out.append("|---|---:|---:|")
    commands = {"true": "`/bin/true`", "proclife": "`proclife run -- /bin/true`",
                "proclife-release": "`proclife run -- /bin/true`, release binary (static, as the Debian package installs it)",
                "strace": "`strace -f /bin/true`",
                "bpftrace": "`bpftrace -e 'tracepoint:sched:sched_process_exit { }' -c /bin/true`"}
    true_med = med(nums(startup[("startup", "true")], "wall"))
    for probe, shown in commands.items():
        if probe == "proclife-release" and not startup[("startup", probe)]:
            continue  # no release binary, or an older one than the binary under test
        if probe not in ("true", "proclife-release") and probe not in variants:
            continue
        if probe in unavailable:
            out.append(f"| {shown} | {cell(unavailable[probe])} | |")
            continue
        rows = startup[("startup", probe)]
        walls = nums([r for r in rows if r["rc"] == 0], "wall")
        if not walls:
            out.append(f"| {shown} | {'failed' if rows else 'not run'} | |")
            continue
        added = "—" if probe == "true" else f"+{med(walls) - true_med:.1f}"
        out.append(f"| {shown} | {ms(med(walls))} ({ms(min(walls))}–{ms(max(walls))}) | {added} |")
    print("\n".join(out))


def readme(args):
    path, start, end, block = args[0:4]
    text = open(path).read() if os.path.exists(path) else ""
    if start not in text or end not in text or text.index(start) > text.index(end):
        if text and not text.endswith("\n"):
            text += "\n"
        text += ("\n" if text else "") + start + "\n" + end + "\n"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    with open(path + ".tmp", "w") as f:
        f.write(head + start + "\n" + block.rstrip("\n") + "\n" + end + tail)
    os.replace(path + ".tmp", path)


COMMANDS = {"counts": counts, "table": table, "readme": readme}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
