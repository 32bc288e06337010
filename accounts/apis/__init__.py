"""The accounts REST API (DRF): thin views over ``accounts.services`` and ``accounts.selectors``."""
