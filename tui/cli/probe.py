"""`flowtop probe [DEVICE|URL ...] [--json]`: is this camera working, and how well? The probing
lives in `tracker.sources.probe`, loaded only when the command runs."""

from __future__ import annotations

import argparse

DEFAULT_MEASURE_S = 2.0


def register(p: argparse.ArgumentParser) -> None:
    p.description = ("List the video devices (/dev/video*) and, for each: whether it opens, the "
                     "backend, the default mode, the time to the first frame, the measured frame "
                     "rate, and which of 640x480, 1280x720, 1920x1080 in MJPG and YUYV it really "
                     "delivers; a stream URL gets the same but the modes. No display needed.")
    p.add_argument("devices", nargs="*", metavar="DEVICE",
                   help="device paths or stream URLs to probe (default: every /dev/video*, "
                        "and the stream of $FLOWTOP_SOURCE or the config's [source] url)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--seconds", type=seconds, default=DEFAULT_MEASURE_S, metavar="S",
                   help=f"how long to measure each device's frame rate "
                        f"(default {DEFAULT_MEASURE_S:g})")
    p.set_defaults(func=run)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value <= 60:
        raise argparse.ArgumentTypeError(f"must be in (0, 60], got {text}")
    return value


def run(args: argparse.Namespace) -> int:
    import json
    import os
    import sys

    from flowtop.tracker.errors import SourceError
    from flowtop.tracker.sources import probe
    from flowtop.tui.cli.options import configured_source, params_from, warn_if_secret

    params_from(args)  # a broken config is reported here as by every command
    for path in args.devices:
        warn_if_secret(path)
        if not probe.is_stream(path) and not os.path.exists(path):
            raise SourceError(f"{path} does not exist")
    devices = args.devices or probe.list_devices()
    if not args.devices and (configured := configured_source(args)) and probe.is_stream(configured):
        devices.append(configured)
    if not devices:
        if args.json:
            sys.stdout.write(json.dumps(probe.to_json([])) + "\n")
        else:
            print(f"no video devices found ({probe.DEVICE_GLOB} matches nothing)")
        return 0

    if sys.stderr.isatty():
        budget = args.seconds + probe.STEPS_BUDGET_S
        print(f"probing {len(devices)} device(s), up to {budget:g} s each", file=sys.stderr)

    def show(report: probe.DeviceReport) -> None:
        print("\n".join(probe.format_report(report)), flush=True)

    reports = probe.probe_devices(devices, probe.open_device,
                                  on_report=None if args.json else show,
                                  measure_s=args.seconds)
    if args.json:
        sys.stdout.write(json.dumps(probe.to_json(reports)) + "\n")
    closed = [r.path for r in reports if not r.opens]
    if args.devices and closed:  # a device asked for by name that does not work: a failure
        sys.stdout.flush()
        print(f"flowtop: {', '.join(closed)} did not open", file=sys.stderr)
        return 1
    return 0
