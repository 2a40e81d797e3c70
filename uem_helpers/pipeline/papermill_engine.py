"""papermill's engine for the workbench: the notebook's Markdown cells in the language of its ``language`` parameter.

Registered under the ``papermill.engine`` entry point ``uem`` (pyproject.toml). papermill
imports it while it registers its engines, so this module is imported by papermill only,
never by the workbench's own modules (importing it first would load it twice over).
"""

from __future__ import annotations

from papermill.engines import NBClientEngine

from uem_helpers.core.i18n import check_language
from uem_helpers.pipeline.markdown_cells import translate_markdown


class TranslatingEngine(NBClientEngine):
    """papermill's nbclient engine, translating the Markdown cells first: ``papermill ... -p language zh --engine uem``.

    Registered under the ``papermill.engine`` entry point ``uem`` (pyproject.toml), so a notebook run by
    papermill alone reads in the language of its ``language`` parameter, as ``uem run`` makes it.
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        language = nb_man.nb.metadata.get("papermill", {}).get("parameters", {}).get("language")
        if language:
            translate_markdown(nb_man.nb, check_language(str(language), "papermill parameter 'language'"))
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
