"""Printer settings for label sheets."""
from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

__all__ = ["PrinterOffset"]


class PrinterOffset(db.Model):
    """How far the school's printer is off for one sheet layout, measured once on the
    calibration page (mm; x to the right, y down)."""

    __tablename__ = "printer_offsets"

    layout: Mapped[str] = mapped_column(String(64), primary_key=True)
    x_mm: Mapped[float] = mapped_column(Float, default=0.0)
    y_mm: Mapped[float] = mapped_column(Float, default=0.0)
