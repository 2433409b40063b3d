"""Printer connections from configuration, behind one interface the dispenser uses.

Real adapters: python-escpos's Usb, Serial, Network (port 9100) and File (e.g. /dev/usb/lp0).
``preview`` writes each ticket as a PNG (demos and tests). Trouble is raised as
``PrinterError`` with a ``PrinterState`` the hub shows in fleet health.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from escpos.escpos import Escpos
from pydantic import BaseModel, ConfigDict, Field

from appliance.printing.layout import COLUMNS, write_ticket
from appliance.printing.preview import render
from appliance.printing.ticket import PrintedTicket
from hub.contract.messages import PrinterState

log = logging.getLogger("okienko.appliance.printer")


class PrinterError(Exception):
    def __init__(self, state: PrinterState, message: str) -> None:
        super().__init__(message)
        self.state = state


class _Conf(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    as_image: bool = Field(False, description="print text as a bitmap (no CP852 in the printer)")
    columns: int = Field(
        COLUMNS,
        ge=24,
        le=64,
        description="characters per line in the printer's normal font (48 on 576-dot printers)",
    )


class UsbConf(_Conf):
    kind: Literal["usb"]
    vendor_id: int
    product_id: int


class SerialConf(_Conf):
    kind: Literal["serial"]
    device: str = "/dev/ttyUSB0"
    baudrate: int = 19200


class NetworkConf(_Conf):
    kind: Literal["network"]
    host: str
    port: int = Field(9100, ge=1, le=65535)
    timeout: float = 5.0


class FileConf(_Conf):
    kind: Literal["file"]
    device: str = "/dev/usb/lp0"


class PreviewConf(_Conf):
    kind: Literal["preview"]
    directory: Path = Path("var/tickets")


PrinterConfig = Annotated[
    UsbConf | SerialConf | NetworkConf | FileConf | PreviewConf, Field(discriminator="kind")
]

# python-escpos paper_status(): 2 = paper adequate, 1 = near end, 0 = out.
PAPER = {2: PrinterState.OK, 1: PrinterState.PAPER_NEAR_END, 0: PrinterState.PAPER_OUT}


class EscposPrinter:
    """A real ESC/POS printer; a connection is opened per ticket, so a printer switched off
    and on again needs nothing from us."""

    def __init__(
        self,
        connect: Callable[[], Escpos],
        *,
        as_image: bool = False,
        reports_status: bool = True,
        columns: int = COLUMNS,
    ) -> None:
        self._connect = connect
        self.as_image = as_image
        self.reports_status = reports_status
        self.columns = columns

    def _open(self) -> Escpos:
        try:
            p = self._connect()
            p.open()  # python-escpos connects lazily; we want "offline" known before printing
            return p
        except Exception as exc:
            raise PrinterError(PrinterState.OFFLINE, f"printer not reachable: {exc}") from exc

    def status(self) -> PrinterState:
        p = self._open()
        try:
            if not self.reports_status:
                return PrinterState.OK
            try:
                return PAPER.get(p.paper_status(), PrinterState.ERROR)
            except Exception as exc:  # no answer to DLE EOT: connected, state unknown
                log.info("printer does not report paper: %s", exc)
                return PrinterState.OK
        finally:
            p.close()

    def print_ticket(self, ticket: PrintedTicket) -> None:
        state = self.status()
        if state is PrinterState.PAPER_OUT:
            raise PrinterError(state, "paper out")
        p = self._open()
        try:
            write_ticket(p, ticket, as_image=self.as_image, columns=self.columns)
        except Exception as exc:
            raise PrinterError(PrinterState.ERROR, f"printing failed: {exc}") from exc
        finally:
            p.close()


class PreviewPrinter:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.last: Path | None = None

    def status(self) -> PrinterState:
        return PrinterState.OK

    def print_ticket(self, ticket: PrintedTicket) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = self.directory / f"{ticket.number}-{stamp}.png"
        render(ticket).save(path)
        self.last = path


def open_printer(
    conf: UsbConf | SerialConf | NetworkConf | FileConf | PreviewConf,
) -> EscposPrinter | PreviewPrinter:
    from escpos import printer

    match conf:
        case PreviewConf():
            return PreviewPrinter(conf.directory)
        case NetworkConf():
            return EscposPrinter(
                lambda: printer.Network(conf.host, conf.port, timeout=conf.timeout),
                as_image=conf.as_image,
                columns=conf.columns,
            )
        case UsbConf():
            return EscposPrinter(
                lambda: printer.Usb(conf.vendor_id, conf.product_id),
                as_image=conf.as_image,
                columns=conf.columns,
            )
        case SerialConf():
            return EscposPrinter(
                lambda: printer.Serial(conf.device, baudrate=conf.baudrate),
                as_image=conf.as_image,
                columns=conf.columns,
            )
        case FileConf():
            # A character device cannot answer status queries.
            return EscposPrinter(
                lambda: printer.File(conf.device),
                as_image=conf.as_image,
                reports_status=False,
                columns=conf.columns,
            )
    raise ValueError(f"unknown printer kind {conf!r}")
