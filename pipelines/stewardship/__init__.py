"""What the walidata keeps and answers for, beside the data path: the yearly Daftar Data
(`daftar_data.py`), the publication approval workflow (`approval.py`), whether agencies are late
(`freshness.py`) and the alerts that say so (`alerts.py`), the agencies' compliance scorecard
(`scorecard.py`), the evidence for BPS's EPSS (`epss.py`) and the public's data requests (`datarequests.py`)."""
