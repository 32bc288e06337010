"""Services (writes) of live trading: ledger, orders and their execution, engine control, the runner's records."""
