"""Export loader: read a county folder of the provincial export into canonical tables (docs/loader.md).

Public API: :func:`find_county_folders`, :func:`load_county`, :func:`load_counties`, :class:`CountyData`,
:func:`write_processed`, :func:`read_processed`; utilities :func:`atomic_write`, :func:`safe_output_path`;
safety limits :class:`Limits`.
"""

from .guard import DEFAULT_LIMITS, Limits
from .loader import CountyData, find_county_folders, load_counties, load_county, select_counties
from .safe import atomic_write, safe_output_path
from .store import read_processed, write_processed

__all__ = [
    "CountyData",
    "DEFAULT_LIMITS",
    "Limits",
    "atomic_write",
    "find_county_folders",
    "load_counties",
    "load_county",
    "read_processed",
    "safe_output_path",
    "select_counties",
    "write_processed",
]
