"""Orchestration of a city run, one room per concern (docs/dataflow.md shows what each step reads and writes):

* :mod:`.paths` — output names, folders, county-name checks, input/params hashes;
* :mod:`.processed` — each county loaded once into processed parquet; the R09 cross-county ID index;
* :mod:`.county` — the county run (load → rules → audit → save results, :mod:`hgk_lib.results`), the ledger and
  ``summary.json``, ``hgk check``;
* :mod:`.views` — the Chinese tables the county and city notebooks display;
* :mod:`.checks` — the consistency checks the notebooks assert;
* :mod:`.notebook` — papermill execution of one notebook (retries, kill, timeout, masking, HTML);
* :mod:`.batch` — ``hgk audit``: county jobs in local processes or on Dask, resume, the run summary, the draw and the
  city notebook.
"""
