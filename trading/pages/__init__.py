"""Data for the trading pages (``/trades/``, ``/regime/``, ``/control/``): reads through selectors and services,
shaped into plain dicts for the templates. No writes here (the control page's actions call the services)."""
