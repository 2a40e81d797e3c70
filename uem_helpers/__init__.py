"""UEM Workbench helpers: turn what users do and say into product decisions.

The package is in layers that import only downward (``docs/architecture.md`` is
the map; import-linter holds the code to it):

- :mod:`uem_helpers.cli`, :mod:`uem_helpers.widgets`, :mod:`uem_helpers.sample`: entry points;
- :mod:`uem_helpers.pipeline`: notebooks into shareable HTML reports;
- :mod:`uem_helpers.present`: words, charts, tables and privacy on small results;
- :mod:`uem_helpers.stories`: one composed result per notebook;
- :mod:`uem_helpers.analyses`: Ibis expressions in, small frames out;
- :mod:`uem_helpers.stats` (pure numbers) and :mod:`uem_helpers.data` (files, contract, engines);
- :mod:`uem_helpers.core`: config, errors, periods, number formats.
"""

__version__ = "0.1.0"
