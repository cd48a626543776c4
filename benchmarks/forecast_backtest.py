"""Back-test of swanalysis.forecast on the published statistics (prints the docs/forecast.md table).

Rolling origin: for every local authority and every origin year 2019..2023, the projection is
fitted on the published figures up to the origin (the all-authority spreads too) and compared,
one and two years ahead, with what was then published (newest figures). Baselines in the same
run: persistence (the origin year's value) and a linear trend (least squares through every year
up to the origin, at least three). Also the share of realised values inside the 80% interval.

    .venv/bin/python benchmarks/forecast_backtest.py [--origins 2019-2023] [--simulations 400]
                                                     [--trend 0] [--la Wokingham ...]

Takes a few minutes on the whole country (2 cores).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from swanalysis import forecast as F
from swanalysis.published.panel import shared_panel

MEASURES = ["inpost_fte", "leavers_fte", "starters_fte", "agency_fte", "agency_rate", "vacancy_rate"]


def trend_forecast(series: pd.Series, year: int) -> float:
    s = series.dropna()
    if len(s) < 3:
        return float(s.iloc[-1]) if len(s) else np.nan
    b = np.polyfit(s.index.to_numpy(float), s.to_numpy(float), 1)
    return float(np.polyval(b, year))


def run(origins, simulations: int, trend: float, only=None) -> pd.DataFrame:
    panel = shared_panel()
    frame = F._la_frame(panel)
    rows = []
    for code, g in frame.groupby("old_la_code"):
        name = g["area_name"].iloc[-1]
        if only and name not in only:
            continue
        full = F._with_rates(g.set_index("time_period")[F._PANEL_MEASURES].rename_axis("year"))
        for origin in origins:
            hist = full[full.index <= origin]
            if origin not in hist.index or not np.isfinite(hist.at[origin, "inpost_fte"]):
                continue
            try:
                model = F.fit(name, history=hist, priors=F.national_priors(panel, until=origin),
                              simulations=simulations, seed=1, trend=trend)
                res = F.project(model, horizon=2)
            except Exception as exc:  # an authority with too little history: counted, not fatal
                rows.append({"la": name, "origin": origin, "error": type(exc).__name__})
                continue
            tab = res.table().set_index(["year", "measure"])
            for h in (1, 2):
                year = origin + h
                if year not in full.index:
                    continue
                for m in MEASURES:
                    actual = full.at[year, m]
                    if not np.isfinite(actual) or (year, m) not in tab.index:
                        continue
                    f = tab.loc[(year, m)]
                    rows.append({
                        "la": name, "origin": origin, "horizon": h, "measure": m, "actual": actual,
                        "forecast": f["value"], "lower": f["lower"], "upper": f["upper"],
                        "persistence": hist.at[origin, m], "trend": trend_forecast(hist[m], year),
                    })
    return pd.DataFrame(rows)


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    df = df.dropna(subset=["measure", "persistence", "forecast"]).copy()
    for k in ("forecast", "persistence", "trend"):
        df[f"ae_{k}"] = (df[k] - df["actual"]).abs()
    df["covered"] = (df["actual"] >= df["lower"]) & (df["actual"] <= df["upper"])
    g = df.groupby(["measure", "horizon"], sort=False)
    out = pd.DataFrame({
        "n": g.size(),
        "MAE forecast": g["ae_forecast"].mean(),
        "MAE persistence": g["ae_persistence"].mean(),
        "MAE trend": g["ae_trend"].mean(),
        "80% coverage": 100 * g["covered"].mean(),
    })
    out["beats persistence"] = np.where(out["MAE forecast"] < out["MAE persistence"], "yes", "no")
    out["beats trend"] = np.where(out["MAE forecast"] < out["MAE trend"], "yes", "no")
    return out.reindex(MEASURES, level=0)


def markdown(df: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(map(str, df.columns)) + " |",
             "|" + "|".join("---" for _ in df.columns) + "|"]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in df.itertuples(index=False)]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--origins", default="2019-2023")
    ap.add_argument("--simulations", type=int, default=400)
    ap.add_argument("--trend", type=float, default=0.0,
                    help="weight of recent establishment growth (the library default is 0)")
    ap.add_argument("--la", nargs="*")
    ap.add_argument("--csv", help="also write every forecast row here")
    ap.add_argument("--from-csv", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    lo, hi = (int(x) for x in a.origins.split("-"))
    t0 = time.perf_counter()
    df = (pd.read_csv(a.from_csv) if a.from_csv else run(range(lo, hi + 1), a.simulations, a.trend, a.la))
    if a.csv:
        df.to_csv(a.csv, index=False)
    errors = int(df["error"].notna().sum()) if "error" in df else 0
    s = summarise(df)
    fmt = {c: "{:.2f}" for c in ("MAE forecast", "MAE persistence", "MAE trend")}
    fmt["80% coverage"] = "{:.0f}%"
    table = s.reset_index()
    for c, f in fmt.items():
        table[c] = table[c].map(f.format)
    print(f"Back-test: origins {a.origins}, horizons 1-2, {df['la'].nunique()} authorities, "
          f"{a.simulations} simulations, trend weight {a.trend:g}; {errors} authority-origins "
          f"without enough history; {time.perf_counter() - t0:.0f} s")
    print()
    print(markdown(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
