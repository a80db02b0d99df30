"""The till's one theme: calm colours, readable type, touch-sized targets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QIcon
from PySide6.QtWidgets import QApplication

INK = "#1f2933"
MUTED = "#52606d"
PAPER = "#f5f7fa"
PANEL = "#ffffff"
LINE = "#cbd2d9"
ACCENT = "#0b6e4f"
ACCENT_DARK = "#08503a"
ACCENT_SOFT = "#d7f0e5"
WARN = "#b44d12"
WARN_SOFT = "#fdebd3"
DANGER = "#b42318"
DANGER_SOFT = "#fde4e1"
INFO_SOFT = "#e0ecff"

STAMP_FILLED = QColor(ACCENT)
STAMP_EMPTY = QColor(LINE)


@dataclass(frozen=True, slots=True)
class Scale:
    """Sizes for one class of screen: a 1024x600 till, a laptop, a large screen (px and pt)."""

    name: str
    base_pt: int
    touch: int  # the smallest target a thumb hits reliably (44 px at least)
    key: int  # keypad keys
    stamp: int  # a stamp of the stamp card
    banner: int  # the card screen's message line (two lines of a banner)
    margin: int


COMPACT = Scale("compact", base_pt=12, touch=44, key=52, stamp=40, banner=48, margin=12)
REGULAR = Scale("regular", base_pt=14, touch=48, key=62, stamp=52, banner=56, margin=20)
LARGE = Scale("large", base_pt=18, touch=60, key=80, stamp=68, banner=72, margin=28)
_current = REGULAR


def scale_for(width: int, height: int) -> Scale:
    """The sizes for a window of this size."""
    if height < 720 or width < 1280:
        return COMPACT
    if height < 1000 or width < 1800:
        return REGULAR
    return LARGE


def current() -> Scale:
    return _current


def stylesheet(scale: Scale) -> str:
    pt, touch, key = scale.base_pt, scale.touch, scale.key
    return f"""
QWidget {{ color: {INK}; font-size: {pt}pt; }}
QMainWindow, QDialog, QStackedWidget > QWidget {{ background: {PAPER}; }}
QFrame#panel {{ background: {PANEL}; border: 1px solid {LINE}; border-radius: 10px; }}
QLabel#title {{ font-size: {round(pt * 1.55)}pt; font-weight: 600; }}
QLabel#subtitle {{ font-size: {round(pt * 1.15)}pt; color: {MUTED}; }}
QLabel#muted {{ color: {MUTED}; }}
QLabel#big {{ font-size: {round(pt * 2)}pt; font-weight: 700; }}
QLabel#hint {{ color: {MUTED}; font-size: {pt - 2}pt; }}
QLabel#figure {{ font-weight: 700; }}
QScrollArea#figures, QWidget#figures {{ background: {PANEL}; }}
QScrollArea#names, QWidget#names {{ background: transparent; }}
QLabel#pending {{ background: {WARN_SOFT}; color: {WARN}; border-radius: 6px; padding: 4px 10px;
                  font-weight: 600; }}
QWidget#message_line {{ min-height: {scale.banner}px; max-height: {scale.banner}px; }}
QLabel#banner_info {{ background: {ACCENT_SOFT}; color: {ACCENT_DARK}; border-radius: 8px;
                      padding: 2px 12px; font-weight: 600; font-size: {pt - 1}pt; }}
QLabel#banner_problem {{ background: {DANGER_SOFT}; color: {DANGER}; border-radius: 8px;
                         padding: 2px 12px; font-weight: 600; font-size: {pt - 1}pt; }}
QLabel#inline_problem {{ color: {DANGER}; font-weight: 600; }}
QLabel#coverage_covered {{ color: {ACCENT_DARK}; font-weight: 600; }}
QLabel#coverage_online {{ color: {MUTED}; }}
QLabel#coverage_at_risk {{ color: {WARN}; font-weight: 600; }}
QPushButton {{ background: {PANEL}; border: 1px solid {LINE}; border-radius: 8px;
               min-height: {touch}px; padding: 2px 14px; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:focus {{ border: 2px solid {ACCENT}; }}
QPushButton:pressed {{ background: {ACCENT_SOFT}; }}
QPushButton:disabled {{ color: #9aa5b1; background: #eef1f4; border-color: #e4e7eb; }}
QPushButton#primary {{ background: {ACCENT}; color: white; border: none; font-weight: 600; }}
QPushButton#primary:hover {{ background: {ACCENT_DARK}; }}
QPushButton#primary:disabled {{ background: #9fc9b8; }}
QPushButton#action {{ min-height: {touch + 4}px; text-align: left; padding-left: 14px; font-weight: 600; }}
QPushButton#staff {{ min-height: {round(touch * 1.4)}px; font-size: {round(pt * 1.15)}pt; font-weight: 600; }}
QPushButton#staff:checked {{ background: {ACCENT}; color: white; }}
QPushButton#key {{ min-height: {key}px; min-width: {key}px; font-size: {round(pt * 1.4)}pt; font-weight: 600;
               padding: 0; }}
QPushButton#key_enter {{ min-height: {key}px; min-width: {key}px; font-size: {round(pt * 1.25)}pt;
               font-weight: 700; background: {ACCENT}; color: white; border: none; padding: 0; }}
QPushButton#key_enter:disabled {{ background: #9fc9b8; }}
QPushButton#flat {{ border: none; background: transparent; color: {ACCENT}; font-weight: 600; }}
QLineEdit, QComboBox, QPlainTextEdit {{ background: {PANEL}; border: 1px solid {LINE};
               border-radius: 8px; min-height: {touch}px; padding: 0 10px; }}
QLineEdit:focus, QComboBox:focus, QPlainTextEdit:focus {{ border: 2px solid {ACCENT}; }}
QLineEdit#scan {{ font-size: {round(pt * 1.4)}pt; min-height: {touch + 8}px; }}
QLineEdit#pin {{ font-size: {round(pt * 1.8)}pt; min-height: {touch + 12}px; letter-spacing: 8px; }}
QListWidget, QTableWidget {{ background: {PANEL}; border: 1px solid {LINE}; border-radius: 8px;
               alternate-background-color: #f0f4f8; }}
QTableWidget, QHeaderView::section {{ font-size: {pt - 2}pt; }}
QListWidget::item {{ min-height: {touch - 4}px; padding: 2px 8px; }}
QListWidget::item:selected, QTableWidget::item:selected {{ background: {ACCENT_SOFT}; color: {INK}; }}
QHeaderView::section {{ background: {PAPER}; border: none; border-bottom: 1px solid {LINE};
               padding: 4px; font-weight: 600; }}
QTabWidget::pane {{ border: 1px solid {LINE}; border-radius: 8px; background: {PANEL}; }}
QTabBar::tab {{ min-height: {touch}px; padding: 0 18px; background: {PAPER}; border: 1px solid {LINE};
               border-bottom: none; border-top-left-radius: 8px; border-top-right-radius: 8px; }}
QTabBar::tab:selected {{ background: {PANEL}; font-weight: 600; }}
QStatusBar {{ background: {PANEL}; border-top: 1px solid {LINE}; }}
QStatusBar QLabel {{ padding: 0 8px; }}
QLabel#sync_online {{ color: {ACCENT}; font-weight: 600; }}
QLabel#sync_offline, QLabel#sync_error {{ color: {DANGER}; font-weight: 600; }}
QLabel#sync_syncing {{ color: {MUTED}; font-weight: 600; }}
"""


ICON = Path(__file__).resolve().parents[1] / "assets" / "till.svg"


def apply_theme(app: QApplication, scale: Scale | None = None) -> None:
    """The theme at `scale` (by default, for the primary screen's free area)."""
    global _current
    if scale is None:
        screen = app.primaryScreen()
        area = screen.availableGeometry() if screen is not None else None
        scale = scale_for(area.width(), area.height()) if area is not None else REGULAR
    _current = scale
    app.setWindowIcon(QIcon(str(ICON)))
    font = QFont(app.font())
    font.setPointSize(scale.base_pt)
    app.setFont(font)
    app.setStyle("Fusion")
    app.setStyleSheet(stylesheet(scale))
