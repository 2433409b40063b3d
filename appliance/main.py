"""``okienko appliance ROLE --device ID``: start one appliance screen."""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.common.config import ApplianceConfig, from_info_file, load_config
from appliance.common.i18n import LANGUAGES

if TYPE_CHECKING:
    from appliance.common.hub_client import HubClient
from hub.config import ConfigError

ROLES = ("dispenser", "counter", "display", "counter-display")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size like 1024x600") from None
    if not (320 <= w <= 7680 and 240 <= h <= 4320):
        raise argparse.ArgumentTypeError(f"'{text}' is out of range")
    return w, h


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("role", choices=ROLES)
    p.add_argument("--device", required=True, help="the device id (its broker account)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", type=Path, help="appliance configuration (TOML)")
    src.add_argument("--info-file", type=Path, help="the JSON written by okienko demo")
    p.add_argument("--screenshot", type=Path, help="render once with the hub's state, save, exit")
    p.add_argument(
        "--screenshot-after",
        type=float,
        metavar="SECONDS",
        help="with --screenshot: save whatever is shown after this long, state or not",
    )
    p.add_argument("--size", type=_size, default=(1024, 600), help="window size, e.g. 800x480")
    p.add_argument(
        "--language",
        choices=LANGUAGES,
        help="screen language (default Polish); a dispenser returns to it after each visitor",
    )
    p.add_argument("--windowed", action="store_true", help="never fullscreen")
    p.add_argument(
        "--idle-seconds",
        type=float,
        metavar="SECONDS",
        help="dispenser: time without a touch before the warning (config: idle_seconds)",
    )
    p.add_argument(
        "--low-reach",
        action="store_true",
        help="dispenser: every control in the lower part of the screen (config: low_reach)",
    )


def _builder(config: ApplianceConfig) -> Any:
    role = str(config.role)
    if role == "display":
        from appliance.display.presenter import DisplayPresenter
        from appliance.display.view import DisplayView
        from hub.contract import messages as msg

        def build(client: HubClient) -> tuple[Any, Any]:
            speaker = None
            if config.voice.enabled:
                from appliance.speech.health import report_speech

                try:
                    from appliance.speech.announcer import default_announcer

                    speaker = default_announcer(config, functools.partial(report_speech, client))
                    report_speech(client, msg.SpeechState.OK)
                except Exception as exc:  # a display without voice still shows the calls
                    report_speech(client, msg.SpeechState.FAILING, f"no voice: {exc}")
            return DisplayPresenter(
                client, language=config.language, speaker=speaker
            ), DisplayView()

        return build
    if role == "counter-display":
        from appliance.counter_display.presenter import CounterDisplayPresenter
        from appliance.counter_display.view import CounterDisplayView

        counter = config.counter
        if counter is None:
            raise SystemExit(f"device {config.device}: a counter display needs 'counter'")

        def build_cd(client: HubClient) -> tuple[Any, Any]:
            presenter = CounterDisplayPresenter(client, counter, language=config.language)
            return presenter, CounterDisplayView()

        return build_cd
    if role == "counter":
        from appliance.counter.presenter import CounterPresenter
        from appliance.counter.view import CounterView

        counter_id = config.counter
        if counter_id is None:
            raise SystemExit(f"device {config.device}: a counter terminal needs 'counter'")

        def build_counter(client: HubClient) -> tuple[Any, Any]:
            presenter = CounterPresenter(client, counter_id, language=config.language)
            return presenter, CounterView(presenter)

        return build_counter
    if role == "dispenser":
        from pydantic import TypeAdapter, ValidationError

        from appliance.dispenser.presenter import DispenserPresenter
        from appliance.dispenser.view import DispenserView
        from appliance.printing.printers import PrinterConfig, open_printer

        adapter: TypeAdapter[Any] = TypeAdapter(PrinterConfig)
        try:
            printer_conf = adapter.validate_python(
                config.printer or {"kind": "preview", "directory": "var/tickets"}
            )
        except ValidationError as exc:
            raise SystemExit(f"device {config.device}: printer: {exc.errors()[0]['msg']}") from None
        printer = open_printer(printer_conf)

        def build_dispenser(client: HubClient) -> tuple[Any, Any]:
            from appliance.speech.guide import default_guide

            presenter = DispenserPresenter(
                client,
                printer,
                language=config.language,
                idle_seconds=config.idle_seconds,
                speaker=default_guide(config),
                low_reach=config.low_reach,
                double_strike_s=config.double_strike_s,
                volume=config.voice.volume,
            )
            return presenter, DispenserView(presenter)

        return build_dispenser
    raise SystemExit(f"unknown role {role}")


def main(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.language:
        overrides["language"] = args.language
    if args.low_reach:
        overrides["low_reach"] = True
    if args.idle_seconds is not None:
        overrides["idle_seconds"] = args.idle_seconds
    if args.windowed or args.screenshot:
        overrides["fullscreen"] = False
    try:
        if args.info_file is not None:
            config = from_info_file(args.info_file, args.device, **overrides)
        else:
            config = load_config(args.config)
            config = config.model_copy(update=overrides)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if str(config.role) != args.role:
        print(f"device {args.device} is a {config.role}, not a {args.role}", file=sys.stderr)
        return 2
    try:
        config.hub.ca_pem()  # TLS only: without the site CA there is no broker to trust
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    from appliance.common.kivy_app import run

    return run(
        config,
        _builder(config),
        size=args.size,
        screenshot=args.screenshot,
        screenshot_after=args.screenshot_after,
    )
