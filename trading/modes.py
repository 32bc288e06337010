"""Trading modes, from safest to live (progressive safety)."""

from __future__ import annotations

from django.db import models


class Mode(models.TextChoices):
    OFFLINE_MOCK = "offline_mock", "Offline mock"
    DRY_RUN = "dry_run", "Dry run"
    PAPER = "paper", "Paper"
    ONLINE_LIVE = "online_live", "Live (Schwab)"


# Modes in which simulated or real fills produce positions and equity.
EQUITY_MODES = (Mode.OFFLINE_MOCK, Mode.PAPER, Mode.ONLINE_LIVE)
