"""``python -m hgk_lib.orchestrate.papermill_cli ARGS`` runs ``papermill ARGS`` — papermill's own command line —
without jsonschema's optional IRI format checker.

nbformat (which papermill and nbconvert import) imports jsonschema; when the optional package ``rfc3987_syntax`` is
installed (JupyterLab's dependencies bring it), jsonschema imports it to check ``iri`` formats, and that import
compiles a grammar: 2.3 s of CPU in every notebook process (papermill itself imports in 0.9 s without it). No
notebook schema uses an IRI format, so hgk's processes leave that checker out (:func:`skip_slow_optional_imports`);
jsonschema treats the package as absent.
"""

from __future__ import annotations

import sys

#: optional imports that hgk's notebook processes never need (module -> why it is skipped)
SLOW_OPTIONAL = {"rfc3987_syntax": "jsonschema's iri/iri-reference format checker; nbformat never uses it"}


def skip_slow_optional_imports() -> None:
    """Make the modules of :data:`SLOW_OPTIONAL` look absent to ``import`` in this process (unless already loaded)."""
    for name in SLOW_OPTIONAL:
        sys.modules.setdefault(name, None)


def main() -> None:
    skip_slow_optional_imports()
    from papermill.cli import papermill

    papermill(prog_name="papermill")


if __name__ == "__main__":
    main()
