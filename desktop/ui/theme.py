"""The till's one theme: calm colours, readable type, touch-sized targets."""

from __future__ import annotations

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

TOUCH = 48  # px: the smallest button a thumb hits reliably
BANNER_HEIGHT = 56  # px: the card screen's message line (two lines of a banner)
BASE_PT = 14

STAMP_FILLED = QColor(ACCENT)
STAMP_EMPTY = QColor(LINE)

QSS = f"""
QWidget {{ color: {INK}; font-size: {BASE_PT}pt; }}
QMainWindow, QDialog, QStackedWidget > QWidget {{ background: {PAPER}; }}
QFrame#panel {{ background: {PANEL}; border: 1px solid {LINE}; border-radius: 10px; }}
QLabel#title {{ font-size: 22pt; font-weight: 600; }}
QLabel#subtitle {{ font-size: 16pt; color: {MUTED}; }}
QLabel#muted {{ color: {MUTED}; }}
QLabel#big {{ font-size: 28pt; font-weight: 700; }}
QLabel#hint {{ color: {MUTED}; font-size: 12pt; }}
QSpinBox {{ min-height: {TOUCH - 4}px; padding: 0 8px; }}
QSpinBox::up-button, QSpinBox::down-button {{ width: 40px; }}
QLabel#pending {{ background: {WARN_SOFT}; color: {WARN}; border-radius: 6px; padding: 4px 10px;
                  font-weight: 600; }}
QLabel#banner_info {{ background: {ACCENT_SOFT}; color: {ACCENT_DARK}; border-radius: 8px;
                      padding: 2px 12px; font-weight: 600; font-size: {BASE_PT - 1}pt; }}
QLabel#banner_problem {{ background: {DANGER_SOFT}; color: {DANGER}; border-radius: 8px;
                         padding: 2px 12px; font-weight: 600; font-size: {BASE_PT - 1}pt; }}
QLabel#inline_problem {{ color: {DANGER}; font-weight: 600; }}
QPushButton {{ background: {PANEL}; border: 1px solid {LINE}; border-radius: 8px;
               min-height: {TOUCH}px; padding: 4px 16px; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:focus {{ border: 2px solid {ACCENT}; }}
QPushButton:pressed {{ background: {ACCENT_SOFT}; }}
QPushButton:disabled {{ color: #9aa5b1; background: #eef1f4; border-color: #e4e7eb; }}
QPushButton#primary {{ background: {ACCENT}; color: white; border: none; font-weight: 600; }}
QPushButton#primary:hover {{ background: {ACCENT_DARK}; }}
QPushButton#primary:disabled {{ background: #9fc9b8; }}
QPushButton#action {{ min-height: 52px; text-align: left; padding-left: 14px; font-weight: 600; }}
QPushButton#staff {{ min-height: 72px; min-width: 180px; font-size: 16pt; font-weight: 600; }}
QPushButton#staff:checked {{ background: {ACCENT}; color: white; }}
QPushButton#key {{ min-height: 64px; min-width: 80px; font-size: 20pt; font-weight: 600; }}
QPushButton#key_enter {{ min-height: 64px; min-width: 80px; font-size: 18pt; font-weight: 700;
               background: {ACCENT}; color: white; border: none; }}
QPushButton#key_enter:disabled {{ background: #9fc9b8; }}
QPushButton#flat {{ border: none; background: transparent; color: {ACCENT}; font-weight: 600; }}
QLineEdit, QComboBox, QPlainTextEdit {{ background: {PANEL}; border: 1px solid {LINE};
               border-radius: 8px; min-height: {TOUCH - 4}px; padding: 2px 10px; }}
QLineEdit:focus, QComboBox:focus, QPlainTextEdit:focus {{ border: 2px solid {ACCENT}; }}
QLineEdit#scan {{ font-size: 20pt; min-height: 56px; }}
QLineEdit#pin {{ font-size: 26pt; min-height: 60px; letter-spacing: 8px; }}
QListWidget, QTableWidget {{ background: {PANEL}; border: 1px solid {LINE}; border-radius: 8px;
               alternate-background-color: #f0f4f8; }}
QTableWidget, QHeaderView::section {{ font-size: {BASE_PT - 2}pt; }}
QListWidget::item {{ min-height: {TOUCH - 4}px; padding: 4px 8px; }}
QListWidget::item:selected, QTableWidget::item:selected {{ background: {ACCENT_SOFT}; color: {INK}; }}
QHeaderView::section {{ background: {PAPER}; border: none; border-bottom: 1px solid {LINE};
               padding: 6px; font-weight: 600; }}
QTabWidget::pane {{ border: 1px solid {LINE}; border-radius: 8px; background: {PANEL}; }}
QTabBar::tab {{ min-height: {TOUCH - 4}px; padding: 4px 18px; background: {PAPER}; border: 1px solid {LINE};
               border-bottom: none; border-top-left-radius: 8px; border-top-right-radius: 8px; }}
QTabBar::tab:selected {{ background: {PANEL}; font-weight: 600; }}
QStatusBar {{ background: {PANEL}; border-top: 1px solid {LINE}; }}
QStatusBar QLabel {{ padding: 0 10px; }}
QStatusBar QPushButton {{ min-height: 36px; }}
QLabel#sync_online {{ color: {ACCENT}; font-weight: 600; }}
QLabel#sync_offline, QLabel#sync_error {{ color: {DANGER}; font-weight: 600; }}
QLabel#sync_syncing {{ color: {MUTED}; font-weight: 600; }}
"""


ICON = Path(__file__).resolve().parents[1] / "assets" / "till.svg"


def apply_theme(app: QApplication) -> None:
    app.setWindowIcon(QIcon(str(ICON)))
    font = QFont(app.font())
    font.setPointSize(BASE_PT)
    app.setFont(font)
    app.setStyle("Fusion")
    app.setStyleSheet(QSS)
