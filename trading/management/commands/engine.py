"""``manage.py engine start|stop|restart|status [--mode MODE] [--confirm YES]`` — the trading engine switch."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from jutsu.errors import JutsuError
from trading.modes import Mode
from trading.services.engine import engine_restart, engine_start, engine_status, engine_stop


class Command(BaseCommand):
    help = (
        "Start, stop or restart the trading engine, or show its state. online_live trades real money and "
        "needs --confirm YES."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=("start", "stop", "restart", "status"))
        parser.add_argument("--mode", choices=Mode.values, help="trading mode (start/restart; default: unchanged)")
        parser.add_argument("--confirm", help="type YES to switch to online_live")
        parser.add_argument("--json", action="store_true", help="status as JSON")

    def handle(self, *args, action, mode=None, confirm=None, json=False, **options):
        actor = "manage.py engine"
        try:
            if action == "start":
                engine_start(mode=mode, confirm=confirm, actor=actor)
            elif action == "restart":
                engine_restart(mode=mode, confirm=confirm, actor=actor)
            elif action == "stop":
                if mode:
                    raise CommandError("--mode applies to start and restart")
                engine_stop(actor=actor)
        except JutsuError as exc:
            raise CommandError(str(exc)) from None
        self._print(engine_status(), as_json=json)

    def _print(self, status: dict, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(_dumps(status))
            return
        line = f"engine {status['state']} in {status['mode']} mode"
        if status["next_execution_at"]:
            line += f"; next execution {status['next_execution_at']}"
        if status["last_error"]:
            line += f"; last error: {status['last_error']}"
        line += f"; {status['execution_count']} run(s)"
        style = self.style.SUCCESS if status["state"] == "running" else self.style.WARNING
        self.stdout.write(style(line))


def _dumps(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
