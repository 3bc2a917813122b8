"""The three-seed methods table of `benchmarks/RESULTS.md`, made from the recipe-search lines.

Reads the runs `recipe_search.py` wrote for every joint-embedding method at its defaults
(`defaults_300.jsonl`, `defaults_1500.jsonl`; BYOL's 1,500-step seeds, run before the others
at the same recipe, from `recipe_search.jsonl`) and rewrites the part of RESULTS.md between
the markers `<!-- methods-table -->` and `<!-- /methods-table -->`: mean ± std over the seeds
at both budgets, the cookbook's two targets (10 points over the random-init floor at 300 steps;
within 8 points of SimCLR at 1,500) checked per method, and the sentences that read them; and
the part between `<!-- search-table -->` markers: the recipe search of the methods that miss a
target (`recipe_search.py --summary` for them); and the part between `<!-- second-dataset -->`
markers: the methods at 300 steps on `scattered_digits` (`scattered_digits_300.jsonl`) beside
their `shapes` numbers, with the rank correlation of the two orders, and their 1,500-step runs
on it where there are some (`scattered_digits_1500.jsonl`); between `<!-- after-table -->` markers:
LeJEPA and MoCo v3 on the convnet at both budgets (`after_cookbook.jsonl`); between `<!-- vit-table -->`
markers: the tiny-ViT methods (MAE, SimCLR, I-JEPA, MSN) from the chapters' stored evidence grids.

    python benchmarks/results_table.py [--print]   # --print: to stdout, RESULTS.md untouched

Every number in the section comes from the lines; nothing is typed.
"""
import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from cookbook_lib.methods.catalog import CATALOG

HERE = Path(__file__).parent
JOINT_EMBEDDING = ("simclr", "dcl", "nnclr", "moco", "byol", "simsiam", "dino", "simdino", "vicreg",
                   "barlow_twins", "swav", "wmse", "directclr")
FAMILY = {**{m: row.family for m, row in CATALOG.items()}, "directclr": "contrastive, no projector"}
# a stored learning curve run at an earlier recipe than the method's default today
CURVE_NOTES = {"byol": "its recipe then: predictor lr ×1, before the ×10 of its catalog row"}
FLOOR_GAIN, GAP_TO_SIMCLR = 0.10, 0.08
SECOND = (HERE / "scattered_digits_300.jsonl", HERE / "scattered_digits_1500.jsonl")  # the second dataset's runs
AFTER = HERE / "after_cookbook.jsonl"  # LeJEPA's and MoCo v3's runs on the convnet
AFTER_METHODS = ("lejepa", "mocov3")
VIT_500 = HERE / "vit_500.jsonl"  # the tiny-ViT methods at 500 steps (recipe_search.py with VIT_SET)
VIT_SET = {"dataset": "digits", "image_size": 16, "patch_size": 4, "representation_dim": 64, "batch_size": 64}
FIRST_LEJEPA = {"sigreg_lambda": 0.05, "lr": 0.002}  # LeJEPA's recipe before its search (the paper's λ, the shared lr)
SEARCHED = ("byol", "simsiam", "nnclr", "dino", "simdino")  # the methods short of a target: their search lines  # issue 13's targets: +10 points at 300 steps, within 8 of SimCLR at 1,500


def records(path: Path) -> list:
    """The JSON records of a .jsonl file, one per non-empty line ([] when the file is absent)."""
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def load(paths):
    """(method, steps) -> the runs at the method's defaults (no knob set), one per seed, from
    the `defaults_*` files; from `recipe_search.jsonl` only BYOL's 1,500-step `predictor_lr_mult=10` runs,
    which are its defaults since its catalog row set ×10 (its other lines there are older recipes)."""
    runs = defaultdict(dict)
    for path in paths:
        search = path.name == "recipe_search.jsonl"
        for r in records(path):
            if r.get("variant"):
                continue
            knobs = r["set"]
            if search:
                if not (r["method"] == "byol" and knobs == {"predictor_lr_mult": 10.0} and r["steps"] == 1500):
                    continue
            elif knobs:
                continue
            runs[(r["method"], r["steps"])][r["seed"]] = r
    return {k: [v[s] for s in sorted(v)] for k, v in runs.items()}


def mean_std(rs, key, fmt="{:.3f}"):
    v = [r[key] for r in rs if key in r]
    if not v:
        return "—"
    return (fmt + " ± " + fmt).format(statistics.mean(v), statistics.stdev(v)) if len(v) > 1 else fmt.format(v[0])


def signed(fraction):
    """A difference in points with a real minus sign: +3.1, −20.2."""
    return f"{fraction * 100:+.1f}".replace("-", "−")


def mean(rs, key):
    return statistics.mean(r[key] for r in rs)


def table(runs, seeds_needed=3, methods=JOINT_EMBEDDING):
    floor = runs.get(("simclr", 0), [])
    simclr = runs.get(("simclr", 1500), [])
    out = ["| method | family | linear 300 | linear 1500 | kNN 300 | kNN 1500 | RankMe 1500 | "
           "std × √d 1500 | s / step | 300: +10 over floor | 1500: within 8 of SimCLR |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    out.append(f"| random init | — | {mean_std(floor, 'linear_acc')} | | {mean_std(floor, 'knn_acc')} | | | | | | |")
    short300, short1500 = [], []
    for m in methods:
        a, b = runs.get((m, 300), []), runs.get((m, 1500), [])
        t300 = t1500 = ""
        if len(a) >= seeds_needed and len(floor) >= seeds_needed:
            gain = mean(a, "linear_acc") - mean(floor, "linear_acc")
            t300 = f"{'yes' if gain >= FLOOR_GAIN else 'no'} ({signed(gain)})"
            if gain < FLOOR_GAIN:
                short300.append((m, gain))
        if len(b) >= seeds_needed and len(simclr) >= seeds_needed and m != "simclr":
            gap = mean(simclr, "linear_acc") - mean(b, "linear_acc")
            t1500 = f"{'yes' if gap <= GAP_TO_SIMCLR else 'no'} ({signed(-gap)})"
            if gap > GAP_TO_SIMCLR:
                short1500.append((m, gap))
        sps = f"{statistics.mean(r['seconds'] / r['steps'] for r in b or a):.3f}" if (a or b) else "—"
        out.append(f"| {m} | {FAMILY[m]} | {mean_std(a, 'linear_acc')} | {mean_std(b, 'linear_acc')} | "
                   f"{mean_std(a, 'knn_acc')} | {mean_std(b, 'knn_acc')} | {mean_std(b, 'rankme', '{:.0f}')} | "
                   f"{mean_std(b, 'embedding_std_sqrt_d', '{:.2f}')} | {sps} | {t300} | {t1500} |")
    return out, short300, short1500, floor, simclr


def section(runs, dataset_label):
    lines, short300, short1500, floor, simclr = table(runs)
    text = [f"Seeds 0-2 on {dataset_label}; each cell is mean ± std over the seeds (a single value: one seed so far). "
            f"Random-init floor {mean(floor, 'linear_acc'):.3f}" if floor else "Random-init floor: not run yet",
            ]
    if simclr:
        text[0] += f"; SimCLR at 1,500 steps {mean(simclr, 'linear_acc'):.3f}."
    text.append("")
    text += lines
    text.append("")
    if short300:
        text.append("Short of +10 points over the floor at 300 steps: " +
                    ", ".join(f"{m} ({signed(g)})" for m, g in sorted(short300, key=lambda x: -x[1])) + ".")
        later = [(m, mean(runs[(m, 1500)], "linear_acc") - mean(floor, "linear_acc"))
                 for m, _ in sorted(short300, key=lambda x: -x[1]) if runs.get((m, 1500))]
        if later:
            text.append("What they need is steps: at 1,500 steps the same methods are " +
                        ", ".join(f"{m} {signed(g)}" for m, g in later) + " points over the floor.")
    if short1500:
        text.append("More than 8 points behind SimCLR at 1,500 steps: " +
                    ", ".join(f"{m} ({signed(-g)})" for m, g in sorted(short1500, key=lambda x: x[1])) + ".")
        target = mean(simclr, "linear_acc") - GAP_TO_SIMCLR
        text += ["", f"What they need: the step at which the online probe (one batch of test images, so noisy: the "
                     f"mean of five consecutive logs) first reaches {target:.3f}, SimCLR's 1,500-step accuracy less "
                     f"8 points, in the first stored learning curve of each (a 5,000-step run of `recipe_curves.jsonl` "
                     f"where there is one, else a 1,500-step run of `defaults_1500.jsonl` kept with `--curve`; "
                     f"SimCLR's own 5,000-step run for scale: the online probe reads lower than a frozen-backbone "
                     f"probe, so compare the steps):", ""]
        for m in [m for m, _ in sorted(short1500, key=lambda x: x[1])] + ["simclr"]:
            text.append(f"- {m}: {reach(m, target)}")
    return text


def after_section(shapes):
    """The methods that came after the paper and train the convnet (LeJEPA, MoCo v3): their runs at
    their defaults (`after_cookbook.jsonl`) in the columns of the reference table, with its floor and
    SimCLR; and LeJEPA's first recipe, before its search."""
    lines = records(AFTER)
    after = defaultdict(dict)
    for r in lines:
        if not r["set"] and not r.get("variant"):
            after[(r["method"], r["steps"])][r["seed"]] = r
    runs = dict(shapes)
    runs.update({k: [v[s] for s in sorted(v)] for k, v in after.items()})
    body, short300, short1500, *_ = table(runs, methods=AFTER_METHODS)
    first = {steps: [r for r in lines + records(HERE / "recipe_search.jsonl")
                     if r["method"] == "lejepa" and r["set"] == FIRST_LEJEPA and r["steps"] == steps]
             for steps in (300, 1500)}
    out = [f"Seeds 0-2 (mean ± std) at each method's defaults in `methods/catalog.py`, the reference table's random-init "
           f"floor and targets.", ""] + body + [""]
    if short300 or short1500:
        out.append("Short of a target: " + "; ".join(
            [f"{m} at 300 steps ({signed(g)} over the floor)" for m, g in short300] +
            [f"{m} at 1,500 steps ({signed(-g)} against SimCLR)" for m, g in short1500]) +
            " (the search lines below are at 300 steps only).")
        out.append("")
    if first[300]:
        seeds = ", ".join(str(r["seed"]) for r in first[1500])
        out.append(f"LeJEPA's first recipe (λ {FIRST_LEJEPA['sigreg_lambda']}, lr {FIRST_LEJEPA['lr']}): linear "
                   f"{mean_std(first[300], 'linear_acc')} at 300 steps (seeds "
                   f"{', '.join(str(r['seed']) for r in first[300])})"
                   + (f", {mean_std(first[1500], 'linear_acc')} at 1,500 steps (seed{'s' * (len(first[1500]) > 1)} "
                      f"{seeds})." if first[1500] else "."))
    sys.path.insert(0, str(HERE))
    from recipe_search import summary
    return out + ["", "Their recipe search (`recipe_search.jsonl`, `recipe_search.py --summary`):", ""] + \
        summary(HERE / "recipe_search.jsonl", AFTER_METHODS)


def vit_section():
    """The tiny-ViT methods from the chapters' stored evidence grids: the same ViT (16-pixel digits,
    4-pixel patches, width 64), batch 64, 2,000 steps, seeds 0-2; linear probe, kNN and a 300-step
    fine-tune of the backbone (chapter 06's and chapter 16's grids); and DINO with and without iBOT."""
    rows = (("random init", "06_masked_modeling.random_init", {}), ("MAE", "06_masked_modeling.protocols",
            {"method": "mae"}), ("SimCLR", "06_masked_modeling.simclr_vit", {}),
            ("I-JEPA", "16_jepa_era.ijepa", {}), ("MSN (Sinkhorn targets)", "16_jepa_era.msn", {"sinkhorn_iters": 3}),
            ("MSN (me-max only)", "16_jepa_era.msn", {"sinkhorn_iters": 0}))
    early = {"MAE": ("mae", {}), "SimCLR": ("simclr", {"backbone": "vit_tiny"}), "I-JEPA": ("ijepa", {}),
             "MSN (Sinkhorn targets)": ("msn", {})}
    ibot = (("random init", "16_jepa_era.vit_random_init", {}), ("DINO", "16_jepa_era.ibot", {"ibot_weight": 0.0}),
            ("DINO + iBOT (weight 1)", "16_jepa_era.ibot", {"ibot_weight": 1.0}))
    return (vit_rows(rows, early) + ["", "DINO with and without iBOT's masked-patch loss on the same tiny ViT, 16-pixel "
                              "`shapes`, batch 64, 1,000 steps, seeds 0-2 (`16_jepa_era.ibot`; chapter 16 reads "
                              "what its patch tokens hold):", ""] + vit_rows(ibot))


def vit_rows(rows, early=None):
    """One Markdown table row per (name, grid, point): mean ± std over the stored seeds; with `early`
    (name -> (method, knobs set)), the linear probe of the same method at 500 steps from `VIT_500`."""
    from cookbook_lib import evidence

    lines = records(VIT_500)
    out = ["| method | evidence grid | seeds | linear | kNN | fine-tune 300 | RankMe | s / step |"
           + (" linear at 500 steps (seeds) |" if early else ""), "|---|---|---|---|---|---|---|---|" + "---|" * bool(early)]
    for name, grid, point in rows:
        runs = sorted(evidence.load(grid).runs_at(**point), key=lambda r: r["seed"])
        if not runs:
            out.append(f"| {name} | `{grid}` | none stored | | | | | |")
            continue
        ms = [dict(r["metrics"], seconds=r["seconds"], steps=r["config"]["steps"]) for r in runs]
        sps = f"{statistics.mean(m['seconds'] / m['steps'] for m in ms):.2f}" if ms[0]["steps"] else "—"
        out.append(f"| {name} | `{grid}` | {', '.join(str(r['seed']) for r in runs)} | {mean_std(ms, 'linear_acc')} | "
                   f"{mean_std(ms, 'knn_acc')} | {mean_std(ms, 'fine_tune300_acc')} | "
                   f"{mean_std(ms, 'rankme', '{:.1f}')} | {sps} |")
        if early:
            method, knobs = early.get(name, (None, None))
            at500 = sorted((r for r in lines if r["method"] == method and
                            {k: v for k, v in r["set"].items() if k not in VIT_SET} == knobs), key=lambda r: r["seed"])
            out[-1] += (f" {mean_std(at500, 'linear_acc')} ({', '.join(str(r['seed']) for r in at500)}) |" if at500
                        else " — |")
    return out


def load_second(paths, dataset="scattered_digits"):
    """(method, steps) -> the runs of `paths` at the method's defaults on `dataset` (the only knob set)."""
    runs = defaultdict(dict)
    for r in (r for path in paths for r in records(path)):
        if r["set"] == {"dataset": dataset} and not r.get("variant"):
            runs[(r["method"], r["steps"])][r["seed"]] = r
    return {k: [v[s] for s in sorted(v)] for k, v in runs.items()}


def ranks(values):
    """Rank of each value (1 = largest), ties sharing their mean rank."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(x, y):
    """Spearman's rank correlation of two equally long lists."""
    rx, ry = ranks(x), ranks(y)
    mx, my = statistics.mean(rx), statistics.mean(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    return cov / (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5


def second_section(second, shapes, steps=300):
    """The methods at `steps` on the second dataset beside their `shapes` numbers: the floor, the
    gain over it, the rank on each dataset and how well the two orders agree."""
    floor = second.get(("simclr", 0), [])
    have = [m for m in JOINT_EMBEDDING if len(second.get((m, steps), [])) >= 3 and len(shapes.get((m, steps), [])) >= 3]
    if not floor or not have:
        return ["No runs on the second dataset yet."]
    acc2 = [mean(second[(m, steps)], "linear_acc") for m in have]
    acc1 = [mean(shapes[(m, steps)], "linear_acc") for m in have]
    r2, r1 = ranks(acc2), ranks(acc1)
    f2 = mean(floor, "linear_acc")
    out = [f"`scattered_digits`, 32 px, batch 128, the default convnet, {steps} steps, seeds 0-2 (mean ± std), "
           f"linear probe on the backbone; random-init floor {mean_std(floor, 'linear_acc')} (kNN "
           f"{mean_std(floor, 'knn_acc')}); chance 0.100. Beside it, the same methods on `shapes` at {steps} steps, and "
           f"in the last column their 1,500-step runs on `scattered_digits` (mean ± std, or one seed's value: seed 0).",
           "", f"| method | linear | kNN | over the floor | rank | rank on `shapes` | linear on `shapes` | linear 1,500 steps |",
           "|---|---|---|---|---|---|---|---|"]
    for m, a2, q2, q1 in sorted(zip(have, acc2, r2, r1), key=lambda t: t[2]):
        rs = second[(m, steps)]
        out.append(f"| {m} | {mean_std(rs, 'linear_acc')} | {mean_std(rs, 'knn_acc')} | {signed(a2 - f2)} | "
                   f"{q2:g} | {q1:g} | {mean_std(shapes[(m, steps)], 'linear_acc')} | "
                   f"{mean_std(second.get((m, 1500), []), 'linear_acc')} |")
    missing = [m for m in JOINT_EMBEDDING if m not in have]
    gains = [a - f2 for a in acc2]
    rho = f"{spearman(acc1, acc2):.2f}" if len(have) >= 3 else "—"
    out += ["", f"{sum(g >= FLOOR_GAIN for g in gains)} of {len(have)} methods gain 10 points or more over the floor "
                f"(from {signed(min(gains))} to {signed(max(gains))}); Spearman's rank correlation of the two "
                f"datasets' orders: {rho}."
            + (f" Not run yet: {', '.join(missing)}." if missing else "")]
    return out


def curves(method):
    """The stored learning curves of `method`: its 5,000-step runs (`recipe_curves.jsonl`) first, then
    its 1,500-step runs at today's defaults that kept one (`defaults_1500.jsonl`, `--curve`)."""
    out = []
    for name in ("recipe_curves.jsonl", "defaults_1500.jsonl"):
        out += [r for r in records(HERE / name)
                if r["method"] == method and r.get("curve") and not (name == "defaults_1500.jsonl" and r["set"])]
    return out


def reach(method, target, window=5):
    """When `method`'s first stored learning curve reaches `target` (rolling mean of the online probe)."""
    runs = curves(method)
    if not runs:
        return "no learning curve stored"
    r = runs[0]
    steps = [c[0] for c in r["curve"]]
    acc = [c[1] for c in r["curve"]]
    smooth = [statistics.mean(acc[max(0, i - window + 1):i + 1]) for i in range(len(acc))]
    knobs = ", ".join(f"{k}={v}" for k, v in r["set"].items() if k != "log_every")
    setting = f" (at {knobs})" if knobs else f" ({CURVE_NOTES[method]})" if method in CURVE_NOTES and r["steps"] > 1500 else ""
    hit = next((s for s, a in zip(steps, smooth) if a >= target), None)
    final = f"final frozen-backbone linear probe {r['linear_acc']:.3f} at {r['steps']:,} steps, seed {r['seed']}"
    return (f"step {hit:,} of {r['steps']:,}{setting}; {final}" if hit is not None
            else f"not reached in {r['steps']:,} steps{setting}; {final}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--print", action="store_true", help="print the section instead of rewriting RESULTS.md")
    a = p.parse_args()
    runs = load([HERE / "defaults_300.jsonl", HERE / "defaults_1500.jsonl", HERE / "recipe_search.jsonl"])
    body = section(runs, "`shapes`, 32 px, batch 128, the default convnet, linear probe on the backbone")
    if a.print:
        print("\n".join(body + [""] + second_section(load_second(SECOND), runs) + [""] + after_section(runs) + [""]
                        + vit_section()))
        return
    sys.path.insert(0, str(HERE))
    from recipe_search import summary
    second = second_section(load_second(SECOND), runs)
    sections = {"methods-table": body, "search-table": summary(HERE / "recipe_search.jsonl", SEARCHED),
                "second-dataset": second, "after-table": after_section(runs), "vit-table": vit_section()}
    results = HERE / "RESULTS.md"
    text = results.read_text()
    for marker, lines in sections.items():
        start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
        if start not in text or end not in text:
            raise SystemExit(f"RESULTS.md has no {start} … {end} section: add the two markers where the table goes")
        head, rest = text.split(start, 1)
        text = head + start + "\n" + "\n".join(lines) + "\n" + end + rest.split(end, 1)[1]
        print(f"rewrote the {marker} section of {results}")
    results.write_text(text)

if __name__ == "__main__":
    main()
