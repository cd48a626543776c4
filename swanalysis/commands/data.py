"""`swanalysis data fetch`: download the newest published statistics into the cache."""

from __future__ import annotations

HELP = "get the DfE's published children's social work workforce statistics"


def add_arguments(parser):
    """Options of ``swanalysis data``."""
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION")
    fetch = sub.add_parser(
        "fetch",
        help="download the newest indicators CSV through the DfE's EES public API",
        description="Download the newest 'Indicators' data set of Children's social work "
                    "workforce through the Explore Education Statistics public API into the "
                    "cache folder, as csww_indicators_2017_to_YYYY.csv.",
    )
    from ..published.fetch import DEFAULT_API, DEFAULT_DATASET
    fetch.add_argument("--dataset-id", default=DEFAULT_DATASET,
                       help=f"EES data set id (default {DEFAULT_DATASET})")
    fetch.add_argument("--api-url", default=DEFAULT_API,
                       help=f"EES API base URL (default {DEFAULT_API})")
    fetch.add_argument("--cache", metavar="DIR", default=None,
                       help="folder to save into (default $SWANALYSIS_CACHE_DIR or "
                            "~/.cache/swanalysis/csww)")
    fetch.add_argument("--timeout", type=float, default=120,
                       help="seconds to wait for the server (default 120)")
    parser.set_defaults(_data_parser=parser)


def run(args) -> int:
    """``swanalysis data fetch``: download the indicators from the DfE's API into the cache; return the exit code."""
    if getattr(args, "data_command", None) != "fetch":
        args._data_parser.print_help()
        return 2
    from ..published.fetch import fetch_indicators

    info = fetch_indicators(dataset_id=args.dataset_id, api_url=args.api_url,
                            cache=args.cache, timeout=args.timeout)
    print(f"saved {info['rows']} records ({info['first_year']}–{info['last_year']}) to "
          f"{info['path']}")
    if args.cache is None:
        print("later commands use it unless --data-dir or SWANALYSIS_DATA_DIR names another folder "
              "(it comes before the built-in snapshot)")
    else:
        print(f"use it with: SWANALYSIS_DATA_DIR={info['path'].parent} (or --data-dir)")
    return 0
