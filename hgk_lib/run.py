"""Compatibility names for code written before the split into :mod:`hgk_lib.orchestrate` (issue 10).

New code imports from ``orchestrate.notebook`` (papermill execution of one notebook) and ``orchestrate.batch``
(``hgk audit``: county jobs in local processes or on Dask, resume, the run summary, the city steps).
"""

from __future__ import annotations

from .orchestrate.batch import (
    STATUS_LABELS,
    county_done,
    county_job,
    county_summaries,  # noqa: F401
    crashed_job_record,
    dask_client,
    ensure_fixture_outputs,
    print_summary,
    remove_stale_temporaries,
    run_audit,
    run_audit_cli,
    run_city_notebook,
    run_county_job,
    run_jobs_dask,
    run_jobs_local,
    run_spot_check,
    summary_table,
)
from .orchestrate.notebook import (
    CITY_NOTEBOOK,
    COUNTY_NOTEBOOK,
    KERNEL,
    child_env,
    execute_notebook,  # noqa: F401
    is_kernel_failure,
    kill_live_notebooks,
    mask_notebook,
    notebook_error,
    papermill_command,
    partial_notebook,
    render_html,
)
from .orchestrate.paths import RUN_SUMMARY, city_paths, county_paths  # noqa: F401
