"""`swanalysis synth`: write a synthetic council's CSWW returns, payroll extract and truth."""

HELP = ("write a synthetic council (XSD-valid CSWW returns, payroll extract, truth.json) "
        "calibrated to an authority's published figures")


def add_arguments(parser):
    """Options of ``swanalysis synth``."""
    parser.add_argument("--la", required=True, metavar="NAME_OR_CODE",
                        help="authority to calibrate to: name, 3-digit DfE code or ONS code")
    parser.add_argument("--years", default="2019-2024", metavar="FIRST-LAST",
                        help="census years to write, e.g. 2019-2024 (default)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply the council's size (FTE, cases) by this factor")
    parser.add_argument("--stationary", action="store_true",
                        help="same leaving process every year (turnover matches the published "
                             "figures on average only); use for survival-curve checks")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="folder of the published DfE statistics "
                             "(default: $SWANALYSIS_DATA_DIR, then the `swanalysis data fetch` "
                             "download, then the built-in snapshot)")


def run(args) -> int:
    """Write a synthetic council's returns, payroll extract and truth; return the exit code."""
    from ..safeio import ensure_dir
    from ..synth import generate

    ensure_dir(args.out)  # a one-line error now, not after the council is simulated

    council = generate(args.la, args.years, seed=args.seed, data_dir=args.data_dir,
                       scale=args.scale, stationary=args.stationary, out_dir=args.out)
    t = council.truth
    print(f"synthetic council calibrated to {council.la_name} ({council.old_la_code}), "
          f"{council.years[0]}-{council.years[-1]}, seed {council.seed}: "
          f"{len(council.returns)} returns, {t['n_workers']} workers, {t['n_spells']} spells, "
          f"{t['n_leavers']} leavers -> {council.out_dir}")
    return 0
