"""Compatibility names for code written before the split into :mod:`hgk_lib.orchestrate` (issue 10).

New code imports from the rooms themselves: ``orchestrate.paths`` (paths, names, hashes), ``orchestrate.processed``
(processed data, R09 index), ``orchestrate.county`` (the county run, ``hgk check``), ``orchestrate.views`` (the
notebooks' tables), ``orchestrate.checks`` (consistency checks); atomic writers live in :mod:`hgk_lib.io.safe`.
"""

from __future__ import annotations

from .io.safe import read_json, write_bytes_atomic, write_parquet_atomic  # noqa: F401
from .io.safe import write_json_atomic as write_json  # noqa: F401
from .orchestrate.checks import city_checks, output_checks  # noqa: F401
from .orchestrate.county import (
    CountyRun,
    backup_filled_ledger,
    build_provenance,
    check_counts,  # noqa: F401
    county_summary,
    ledger_status,
    process_county,
    report_inputs,
    result_tables,
    run_check,
    run_check_cli,
    save_county_results,
    write_county_outputs,
)
from .orchestrate.paths import (
    CITY_DIRNAME,
    CITY_OUT_DIRNAME,
    FIXTURE_EXPORT,
    FIXTURE_OUTPUT_ROOT,  # noqa: F401
    PROCESSED_DIRNAME,
    REPO_ROOT,
    check_county,
    city_output_dir,
    county_name,
    county_output_dir,
    default_processed_root,
    find_counties,
    input_files,
    input_hash,
    output_names,
    params_hash,
    processed_dir,
    resolve_path,
    safe_path,
)
from .orchestrate.processed import (
    INDEX_COLUMNS,
    STAMP_FILE,
    is_fresh,
    others_from_index,  # noqa: F401
    prepare_city,
    utc_now,
)
from .orchestrate.views import (
    comparison_section,
    county_spot_estimates,
    findings_by_category_township,  # noqa: F401
    findings_by_department,
    headline_table,
    income_chart_data,
    input_files_table,
    measures_coverage,
    needs_table,
    not_run_table,
    parameter_table,
    quarantine_table,
    readback_problems,
    rectification_by_county,
    rectification_by_department,
    row_ledger_table,
    spot_estimates,
    spot_table,
    verdict_table,
)
