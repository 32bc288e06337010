"""The Schwab broker: OAuth and the encrypted token store, the API client, status, reconciliation.

* :mod:`.tokens` — the token store (``BrokerToken``) and the read/write functions schwab-py calls;
* :mod:`.oauth` — starting and completing the browser login, deleting the token;
* :mod:`.status` — what the status endpoints and the overview show (refresh-token age, time left);
* :mod:`.schwab` — :class:`SchwabBroker`, the client the executor, quotes and reconciliation use.
"""
